/**
 * Histogram worker: claims chunks of feature words of the trainer's current
 * histogram job and fills them, over SharedArrayBuffers (see hist-protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildExactHistogram, buildPackedHistogram } from './hist-kernel.js';
import { claimChunk, CTL, HIST_PROTOCOL_VERSION, type HistWorkerData } from './hist-protocol.js';

const d = workerData as HistWorkerData;
const ctl = new Int32Array(d.control);
const bins = new Uint32Array(d.bins);
const order = new Int32Array(d.order);
const grad = new Float64Array(d.grad);
const hess = new Float64Array(d.hess);
const packed = d.packed ? new Float64Array(d.packed) : null;
const hist = new Float64Array(d.hist);
const words = new Int32Array(d.words);

parentPort?.postMessage({ ready: true, protocol: HIST_PROTOCOL_VERSION });

let seen = Atomics.load(ctl, CTL.job);
for (;;) {
  Atomics.wait(ctl, CTL.job, seen);
  if (Atomics.load(ctl, CTL.exit) === 1) break;
  const job = Atomics.load(ctl, CTL.job);
  if (job === seen) continue;
  seen = job;
  Atomics.add(ctl, CTL.active, 1);
  try {
    // Parameters are read only after a chunk is claimed: the job cannot change while we are active.
    let chunk = claimChunk(ctl, job);
    if (chunk >= 0) {
      const numWords = ctl[CTL.numWords]!;
      const chunkWords = ctl[CTL.chunkWords]!;
      const start = ctl[CTL.start]!;
      const end = ctl[CTL.end]!;
      const slot = ctl[CTL.slotOffset]!;
      const list = ctl[CTL.useList] === 1 ? words : null;
      while (chunk >= 0) {
        const w0 = chunk * chunkWords;
        const w1 = Math.min(numWords, w0 + chunkWords);
        if (packed) buildPackedHistogram(bins, d.wordsPerRow, order, start, end, packed, hist, slot, list, w0, w1);
        else buildExactHistogram(bins, d.wordsPerRow, order, start, end, grad, hess, hist, slot, list, w0, w1);
        chunk = claimChunk(ctl, job);
      }
    }
  } catch (e) {
    Atomics.store(ctl, CTL.failed, 1);
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (Atomics.sub(ctl, CTL.active, 1) === 1) Atomics.notify(ctl, CTL.active);
  }
}
