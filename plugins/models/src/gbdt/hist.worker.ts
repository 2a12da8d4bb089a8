/**
 * Histogram worker: builds its share of feature words for the trainer, over
 * SharedArrayBuffers, woken and answered through Atomics on a control block.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildExactHistogram, buildPackedHistogram } from './hist-kernel.js';
import { CTL, HIST_PROTOCOL_VERSION, STATE, type HistWorkerData } from './hist-protocol.js';

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

for (;;) {
  Atomics.wait(ctl, CTL.state, STATE.idle);
  const state = Atomics.load(ctl, CTL.state);
  if (state === STATE.exit) break;
  if (state !== STATE.go) continue;
  try {
    const start = ctl[CTL.start]!;
    const end = ctl[CTL.end]!;
    const slot = ctl[CTL.slotOffset]!;
    const w0 = ctl[CTL.w0]!;
    const w1 = ctl[CTL.w1]!;
    const list = ctl[CTL.useList] === 1 ? words : null;
    if (packed) buildPackedHistogram(bins, d.wordsPerRow, order, start, end, packed, hist, slot, list, w0, w1);
    else buildExactHistogram(bins, d.wordsPerRow, order, start, end, grad, hess, hist, slot, list, w0, w1);
    Atomics.store(ctl, CTL.state, STATE.done);
  } catch (e) {
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
    Atomics.store(ctl, CTL.state, STATE.failed);
  }
  Atomics.notify(ctl, CTL.state);
}
