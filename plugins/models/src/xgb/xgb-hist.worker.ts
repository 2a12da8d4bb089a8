/**
 * XGBModel histogram worker: waits for a job on the control array, fills its
 * share of the features of one histogram slot, reports done (see
 * xgb-threads.ts for the protocol).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildXgbHistogram } from './xgb-hist-kernel.js';

interface Data {
  index: number;
  threads: number;
  control: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  cols: number;
  order: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  hess: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  features: SharedArrayBuffer;
  offset: SharedArrayBuffer;
}
const d = workerData as Data;
// Control: [job, exit, pending, start, end, slotOffset, numFeatures, failed]
const ctl = new Int32Array(d.control);
const bins = new Uint16Array(d.bins);
const order = new Int32Array(d.order);
const grad = new Float64Array(d.grad);
const hess = new Float64Array(d.hess);
const arena = new Float64Array(d.arena);
const features = new Int32Array(d.features);
const offset = new Int32Array(d.offset);
// The job counter is read before saying ready: the trainer starts jobs only after every ready, so none is missed.
let seen = Atomics.load(ctl, 0);
parentPort?.postMessage({ ready: true });

for (;;) {
  Atomics.wait(ctl, 0, seen);
  if (Atomics.load(ctl, 1) === 1) break;
  const job = Atomics.load(ctl, 0);
  if (job === seen) continue;
  seen = job;
  try {
    const nf = ctl[6]!;
    const k0 = Math.floor((nf * (d.index + 1)) / d.threads);
    const k1 = Math.floor((nf * (d.index + 2)) / d.threads);
    if (k1 > k0) buildXgbHistogram(bins, d.cols, order, ctl[3]!, ctl[4]!, grad, hess, arena, ctl[5]!, features, offset, k0, k1);
  } catch (e) {
    Atomics.store(ctl, 7, 1);
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (Atomics.sub(ctl, 2, 1) === 1) Atomics.notify(ctl, 2);
  }
}
