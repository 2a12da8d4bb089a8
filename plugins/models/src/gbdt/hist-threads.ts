import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QonlineError, type Logger } from '../../../../core/index.js';
import { buildExactHistogram, buildPackedHistogram } from './hist-kernel.js';
import { CTL, HIST_PROTOCOL_VERSION, STATE, type HistWorkerData } from './hist-protocol.js';
import type { HistogramBuild } from './tree-builder.js';

/** Requested threads (0 = all cores), capped at the cores this process may use. */
export function usableThreads(requested: number): number {
  const cores = Math.max(1, availableParallelism());
  return Math.max(1, requested === 0 ? cores : Math.min(requested, cores));
}

/** Below this many row-words a histogram is built on the calling thread alone (waking workers costs more). */
const PARALLEL_MIN_WORK = 64 * 1024;
/** A worker that does not answer within this time is taken as dead. */
const WORKER_TIMEOUT_MS = 120_000;

export interface SharedTrainingBuffers {
  bins: Uint32Array;
  wordsPerRow: number;
  order: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  packed: Float64Array | null;
  hist: Float64Array;
}

export interface HistogramWorkers {
  build: HistogramBuild;
  close(): Promise<void>;
}

/**
 * The built worker (`gbdt-worker.js`, its own tsup entry) sits next to the
 * bundled trainer in dist/. Run from source (vitest, tsx) it is looked for in
 * the nearest dist/ above this file, i.e. after `npx tsup`; without one,
 * training runs on one thread.
 */
export function locateWorkerScript(): URL | null {
  const here = new URL('./gbdt-worker.js', import.meta.url);
  if (here.protocol === 'file:' && existsSync(fileURLToPath(here))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'dist', 'gbdt-worker.js');
    if (existsSync(candidate)) return pathToFileURL(candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function sharedOf(a: ArrayBufferView): SharedArrayBuffer {
  if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0) throw new Error('histogram workers need whole SharedArrayBuffers');
  return a.buffer;
}

/**
 * Starts `count` workers that build histograms over disjoint feature words
 * together with the calling thread. Returns null (one thread) when the worker
 * script cannot be found or started.
 */
export async function startHistogramWorkers(count: number, buffers: SharedTrainingBuffers, logger?: Logger): Promise<HistogramWorkers | null> {
  const script = locateWorkerScript();
  if (!script || count < 1) {
    logger?.debug('GBDT: histogram worker script not found (run from source without dist/); training on one thread');
    return null;
  }
  const words = new Int32Array(new SharedArrayBuffer(Math.max(1, buffers.wordsPerRow) * 4));
  const controls: Int32Array[] = [];
  const workers: Worker[] = [];
  const failures: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const control = new SharedArrayBuffer(CTL.size * 4);
        const data: HistWorkerData = {
          protocol: HIST_PROTOCOL_VERSION,
          control,
          bins: sharedOf(buffers.bins),
          wordsPerRow: buffers.wordsPerRow,
          order: sharedOf(buffers.order),
          grad: sharedOf(buffers.grad),
          hess: sharedOf(buffers.hess),
          packed: buffers.packed ? sharedOf(buffers.packed) : null,
          hist: sharedOf(buffers.hist),
          words: words.buffer as SharedArrayBuffer,
        };
        const worker = new Worker(script, { workerData: data });
        workers.push(worker);
        controls.push(new Int32Array(control));
        await new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', (m: { ready?: boolean; protocol?: number }) => {
            if (m?.ready && m.protocol === HIST_PROTOCOL_VERSION) resolve();
            else reject(new Error(`worker speaks protocol ${m?.protocol}, trainer ${HIST_PROTOCOL_VERSION} (stale dist/? rebuild with npx tsup)`));
          });
        });
        worker.on('message', (m: { error?: string }) => {
          if (m?.error) failures.push(m.error);
        });
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    logger?.warn(`GBDT: histogram workers failed to start (${e instanceof Error ? e.message : String(e)}); training on one thread`);
    return null;
  }

  let currentWords: Int32Array | null = null;
  let currentCount = -1;
  const { bins, wordsPerRow, order, grad, hess, packed, hist } = buffers;
  const local = (start: number, end: number, slot: number, ws: Int32Array | null, w0: number, w1: number) => {
    if (packed) buildPackedHistogram(bins, wordsPerRow, order, start, end, packed, hist, slot, ws, w0, w1);
    else buildExactHistogram(bins, wordsPerRow, order, start, end, grad, hess, hist, slot, ws, w0, w1);
  };
  const build: HistogramBuild = (start, end, slotOffset, ws, numWords) => {
    const parts = Math.min(controls.length + 1, numWords);
    if (parts < 2 || (end - start) * numWords < PARALLEL_MIN_WORK) {
      local(start, end, slotOffset, ws, 0, numWords);
      return;
    }
    if (ws !== null && (ws !== currentWords || numWords !== currentCount)) {
      words.set(ws.subarray(0, numWords));
      currentWords = ws;
      currentCount = numWords;
    }
    const list = ws === null ? null : words;
    const cut = (p: number) => Math.round((numWords * p) / parts);
    for (let p = 1; p < parts; p++) {
      const ctl = controls[p - 1]!;
      ctl[CTL.start] = start;
      ctl[CTL.end] = end;
      ctl[CTL.slotOffset] = slotOffset;
      ctl[CTL.w0] = cut(p);
      ctl[CTL.w1] = cut(p + 1);
      ctl[CTL.useList] = list === null ? 0 : 1;
      Atomics.store(ctl, CTL.state, STATE.go);
      Atomics.notify(ctl, CTL.state);
    }
    local(start, end, slotOffset, list, 0, cut(1));
    for (let p = 1; p < parts; p++) {
      const ctl = controls[p - 1]!;
      const deadline = Date.now() + WORKER_TIMEOUT_MS;
      let state: number;
      while ((state = Atomics.load(ctl, CTL.state)) === STATE.go) {
        if (Date.now() > deadline) throw new QonlineError('QONLINE_INTERNAL', `GBDT: a histogram worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`);
        Atomics.wait(ctl, CTL.state, STATE.go, 1000);
      }
      Atomics.store(ctl, CTL.state, STATE.idle);
      if (state === STATE.failed) throw new QonlineError('QONLINE_INTERNAL', `GBDT: a histogram worker failed: ${failures.join('; ') || 'unknown error'}`);
    }
  };
  const close = async () => {
    for (const ctl of controls) {
      Atomics.store(ctl, CTL.state, STATE.exit);
      Atomics.notify(ctl, CTL.state);
    }
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { build, close };
}
