/**
 * Histogram worker: claims chunks of the trainer's current histogram job and
 * fills them, over SharedArrayBuffers (see hist-protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildExactHistogram, buildPackedHistogram, clearWords, EXACT_WORD_STRIDE, PACKED_WORD_STRIDE } from './hist-kernel.js';
import { claimChunk, CTL, HIST_PROTOCOL_VERSION, type HistWorkerData } from './hist-protocol.js';

const d = workerData as HistWorkerData;
const ctl = new Int32Array(d.control);
const bins = new Uint32Array(d.bins);
const order = new Int32Array(d.order);
const grad = new Float64Array(d.grad);
const hess = new Float64Array(d.hess);
const packed = d.packed ? new Float64Array(d.packed) : null;
const hist = new Float64Array(d.hist);
const own = new Float64Array(d.ownHist);
const words = new Int32Array(d.words);
const wordStride = packed ? PACKED_WORD_STRIDE : EXACT_WORD_STRIDE;

parentPort?.postMessage({ ready: true, protocol: HIST_PROTOCOL_VERSION });

function build(start: number, end: number, target: Float64Array, slot: number, list: Int32Array | null, w0: number, w1: number, accumulate: boolean): void {
  if (packed) buildPackedHistogram(bins, d.wordsPerRow, order, start, end, packed, target, slot, list, w0, w1, accumulate);
  else buildExactHistogram(bins, d.wordsPerRow, order, start, end, grad, hess, target, slot, list, w0, w1, accumulate);
}

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
      const start = ctl[CTL.start]!;
      const end = ctl[CTL.end]!;
      const slot = ctl[CTL.slotOffset]!;
      const list = ctl[CTL.useList] === 1 ? words : null;
      if (ctl[CTL.byRows] === 1) {
        // Our rows go to our own histogram; the trainer adds it to the slot.
        const chunkRows = ctl[CTL.chunkRows]!;
        clearWords(own, 0, list, 0, numWords, wordStride);
        Atomics.store(ctl, CTL.joined + d.index, job);
        while (chunk >= 0) {
          const r0 = start + chunk * chunkRows;
          build(r0, Math.min(end, r0 + chunkRows), own, 0, list, 0, numWords, true);
          chunk = claimChunk(ctl, job);
        }
      } else {
        const chunkWords = ctl[CTL.chunkWords]!;
        while (chunk >= 0) {
          const w0 = chunk * chunkWords;
          build(start, end, hist, slot, list, w0, Math.min(numWords, w0 + chunkWords), false);
          chunk = claimChunk(ctl, job);
        }
      }
    }
  } catch (e) {
    Atomics.store(ctl, CTL.failed, 1);
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (Atomics.sub(ctl, CTL.active, 1) === 1) Atomics.notify(ctl, CTL.active);
  }
}
