import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { locateBuiltWorker, wholeSharedBuffer } from '../worker-script.js';
import { QonlineError, type Logger } from '../../../../core/index.js';
import { buildXgbHistogram } from './xgb-hist-kernel.js';

/** Below this many row x feature visits a histogram is built on the calling thread alone. */
const PARALLEL_MIN_WORK = 256 * 1024;

/** One histogram job takes well under a second; a worker silent this long has died. */
const WORKER_SILENCE_MS = 120_000;

/** nthread as XGBoost reads it (<= 0: all cores), capped at the cores this process may use. */
export function xgbThreads(requested: number | undefined): number {
  const cores = Math.max(1, availableParallelism());
  if (requested === undefined) return 1;
  return requested <= 0 ? cores : Math.min(requested, cores);
}

export interface XgbHistBuffers {
  bins: Uint16Array;
  cols: number;
  order: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  /** Histogram slots. */
  arena: Float64Array;
  /** The tree's features (ascending), the first numFeatures entries in use. */
  features: Int32Array;
  /** Feature f's bins start at offset[f] in a slot. */
  offset: Int32Array;
}

/** Fills slot [slotOffset, ...) with the histogram of order[start, end) over the first numFeatures features (the slot is cleared by the caller). */
export type XgbHistBuild = (start: number, end: number, slotOffset: number, numFeatures: number) => void;

export function singleThreadBuild(b: XgbHistBuffers): XgbHistBuild {
  return (start, end, slot, nf) => buildXgbHistogram(b.bins, b.cols, b.order, start, end, b.grad, b.hess, b.arena, slot, b.features, b.offset, 0, nf);
}

export function locateXgbWorkerScript(): URL | null {
  return locateBuiltWorker('xgb-worker.js');
}

const sharedOf = (a: ArrayBufferView): SharedArrayBuffer => wholeSharedBuffer(a, 'XGBModel workers');

/**
 * Starts `count` workers that share each histogram's features with the
 * calling thread. Returns null (one thread) when the worker script is not
 * found or a worker fails to start.
 */
export async function startXgbWorkers(count: number, b: XgbHistBuffers, logger?: Logger): Promise<{ build: XgbHistBuild; close(): Promise<void> } | null> {
  const script = locateXgbWorkerScript();
  if (!script || count < 1) {
    logger?.debug('XGBModel: worker script not found (run from source without dist/); training on one thread');
    return null;
  }
  // [job, exit, pending, start, end, slotOffset, numFeatures, failed]
  const ctl = new Int32Array(new SharedArrayBuffer(8 * 4));
  const threads = count + 1;
  const failures: string[] = [];
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const worker = new Worker(script, {
          workerData: {
            index,
            threads,
            control: ctl.buffer,
            bins: sharedOf(b.bins),
            cols: b.cols,
            order: sharedOf(b.order),
            grad: sharedOf(b.grad),
            hess: sharedOf(b.hess),
            arena: sharedOf(b.arena),
            features: sharedOf(b.features),
            offset: sharedOf(b.offset),
          },
        });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', (m: { ready?: boolean }) => (m?.ready ? resolve() : reject(new Error('unexpected first message'))));
        });
        worker.on('message', (m: { error?: string }) => {
          if (m?.error) failures.push(m.error);
        });
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    logger?.warn(`XGBModel: workers failed to start (${e instanceof Error ? e.message : String(e)}); training on one thread`);
    return null;
  }
  const local = singleThreadBuild(b);
  let job = 0;
  const build: XgbHistBuild = (start, end, slot, nf) => {
    if ((end - start) * nf < PARALLEL_MIN_WORK || nf < threads) {
      local(start, end, slot, nf);
      return;
    }
    ctl[3] = start;
    ctl[4] = end;
    ctl[5] = slot;
    ctl[6] = nf;
    Atomics.store(ctl, 2, count);
    job = (job + 1) & 0x3fffffff;
    Atomics.store(ctl, 0, job);
    Atomics.notify(ctl, 0);
    // Our share: the first features.
    buildXgbHistogram(b.bins, b.cols, b.order, start, end, b.grad, b.hess, b.arena, slot, b.features, b.offset, 0, Math.floor(nf / threads));
    // A worker that died never answers: give up after WORKER_SILENCE_MS rather than hang.
    const started = Date.now();
    for (let pending = Atomics.load(ctl, 2); pending !== 0; pending = Atomics.load(ctl, 2)) {
      Atomics.wait(ctl, 2, pending, 100);
      if (Date.now() - started > WORKER_SILENCE_MS) throw new QonlineError('QONLINE_INTERNAL', `XGBModel: ${pending} histogram worker(s) did not finish a job within ${WORKER_SILENCE_MS / 1000} s`);
    }
    if (Atomics.load(ctl, 7) === 1) throw new QonlineError('QONLINE_INTERNAL', `XGBModel: a histogram worker failed${failures.length ? `: ${failures.join('; ')}` : ''}`);
  };
  const close = async () => {
    Atomics.store(ctl, 1, 1);
    Atomics.store(ctl, 0, (job + 1) & 0x3fffffff);
    Atomics.notify(ctl, 0);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { build, close };
}
