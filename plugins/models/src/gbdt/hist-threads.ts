import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { locateBuiltWorker, wholeSharedBuffer } from '../worker-script.js';
import { autoThreads, machineLoad, QonlineError, type Logger, type MachineLoad } from '../../../../core/index.js';
import { addHistogram, buildExactHistogram, buildPackedHistogram, clearWords, EXACT_WORD_STRIDE, PACKED_WORD_STRIDE } from './hist-kernel.js';
import { claimChunk, controlSize, CTL, HIST_PROTOCOL_VERSION, MAX_CHUNKS, openCounter, type HistWorkerData } from './hist-protocol.js';
import type { HistogramBuild } from './tree-builder.js';

/**
 * Training cells (rows x features) each automatic thread must have: below
 * that the per-histogram hand-off (waking the workers, merging their
 * histograms) costs more than the shared building saves.
 */
export const MIN_CELLS_PER_THREAD = 4_000_000;

/**
 * Requested threads capped at the cores this process may use; 0 is the
 * automatic choice: one per core other processes leave idle, no more than
 * MIN_CELLS_PER_THREAD each pays for, and 1 on a busy machine (on this
 * project's loaded 2-core machine 2 threads were no faster than one: issue
 * 15, docs/models.md).
 */
export function usableThreads(requested: number, cells: number, load: MachineLoad = machineLoad()): number {
  const cores = Math.max(1, availableParallelism());
  if (requested === 0) return autoThreads(cells, MIN_CELLS_PER_THREAD, cores, load);
  return Math.max(1, Math.min(requested, cores));
}

/** Below this many row-words a histogram is built on the calling thread alone (waking workers costs more). */
const PARALLEL_MIN_WORK = 64 * 1024;
/**
 * Word chunks (exact histograms): one contiguous run of feature words per
 * thread, so each thread reads one part of every row (finer chunks re-read
 * the rows and measured slower).
 */
const MIN_CHUNK_WORDS = 2;
/** Row chunks (packed histograms) per thread: enough to balance a late or slow thread. */
const ROW_CHUNKS_PER_THREAD = 4;

export interface SharedTrainingBuffers {
  bins: Uint32Array;
  wordsPerRow: number;
  order: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  packed: Float64Array | null;
  hist: Float64Array;
  /** Doubles per histogram slot (a worker's private histogram has one). */
  slotSize: number;
}

export interface HistogramWorkers {
  build: HistogramBuild;
  close(): Promise<void>;
}

export function locateWorkerScript(): URL | null {
  return locateBuiltWorker('gbdt-worker.js');
}

const sharedOf = (a: ArrayBufferView): SharedArrayBuffer => wholeSharedBuffer(a, 'histogram workers');

/**
 * Starts `count` workers that build histograms over chunks of feature words
 * together with the calling thread (protocol in hist-protocol.ts). Returns
 * null (one thread) when the worker script cannot be found or started.
 */
export async function startHistogramWorkers(count: number, buffers: SharedTrainingBuffers, logger?: Logger): Promise<HistogramWorkers | null> {
  const script = locateWorkerScript();
  if (!script || count < 1) {
    logger?.debug('GBDT: histogram worker script not found (run from source without dist/); training on one thread');
    return null;
  }
  const ctl = new Int32Array(new SharedArrayBuffer(controlSize(count) * 4));
  const words = new Int32Array(new SharedArrayBuffer(Math.max(1, buffers.wordsPerRow) * 4));
  // Private histograms only serve row chunks, which only packed (integer) histograms use.
  const own = Array.from({ length: count }, () => new Float64Array(new SharedArrayBuffer(buffers.packed ? buffers.slotSize * 8 : 8)));
  const shared = {
    control: ctl.buffer as SharedArrayBuffer,
    bins: sharedOf(buffers.bins),
    wordsPerRow: buffers.wordsPerRow,
    order: sharedOf(buffers.order),
    grad: sharedOf(buffers.grad),
    hess: sharedOf(buffers.hess),
    packed: buffers.packed ? sharedOf(buffers.packed) : null,
    hist: sharedOf(buffers.hist),
    words: words.buffer as SharedArrayBuffer,
  };
  const workers: Worker[] = [];
  const failures: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const data: HistWorkerData = { ...shared, protocol: HIST_PROTOCOL_VERSION, index, ownHist: own[index]!.buffer as SharedArrayBuffer };
        const worker = new Worker(script, { workerData: data });
        workers.push(worker);
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

  const threads = count + 1;
  let job = 0;
  let listed: Int32Array | null = null;
  let listedCount = -1;
  const { bins, wordsPerRow, order, grad, hess, packed, hist } = buffers;
  const local = (start: number, end: number, slot: number, ws: Int32Array | null, w0: number, w1: number, accumulate: boolean) => {
    if (packed) buildPackedHistogram(bins, wordsPerRow, order, start, end, packed, hist, slot, ws, w0, w1, accumulate);
    else buildExactHistogram(bins, wordsPerRow, order, start, end, grad, hess, hist, slot, ws, w0, w1, accumulate);
  };
  const wordStride = packed ? PACKED_WORD_STRIDE : EXACT_WORD_STRIDE;
  const build: HistogramBuild = (start, end, slotOffset, ws, numWords) => {
    const rows = end - start;
    if (rows * numWords < PARALLEL_MIN_WORK || (!packed && numWords < 2 * MIN_CHUNK_WORDS)) {
      local(start, end, slotOffset, ws, 0, numWords, false);
      return;
    }
    // No worker is active here (the previous job ended with active = 0), so the parameters can change.
    if (ws !== null && (ws !== listed || numWords !== listedCount)) {
      words.set(ws.subarray(0, numWords));
      listed = ws;
      listedCount = numWords;
    }
    const list = ws === null ? null : words;
    const byRows = packed !== null;
    const chunkWords = Math.max(MIN_CHUNK_WORDS, Math.ceil(numWords / threads), Math.ceil(numWords / MAX_CHUNKS));
    const chunkRows = Math.ceil(rows / Math.min(MAX_CHUNKS, threads * ROW_CHUNKS_PER_THREAD));
    const chunks = byRows ? Math.ceil(rows / chunkRows) : Math.ceil(numWords / chunkWords);
    ctl[CTL.start] = start;
    ctl[CTL.end] = end;
    ctl[CTL.slotOffset] = slotOffset;
    ctl[CTL.numWords] = numWords;
    ctl[CTL.chunkWords] = chunkWords;
    ctl[CTL.chunkRows] = chunkRows;
    ctl[CTL.byRows] = byRows ? 1 : 0;
    ctl[CTL.useList] = ws === null ? 0 : 1;
    for (let i = 0; i < count; i++) ctl[CTL.joined + i] = -1;
    job = (job + 1) & 0x7fff;
    Atomics.store(ctl, CTL.counter, openCounter(job, chunks));
    Atomics.store(ctl, CTL.job, job);
    Atomics.notify(ctl, CTL.job);
    if (byRows) {
      // Our row chunks go straight into the slot; workers' go to their own histograms.
      clearWords(hist, slotOffset, list, 0, numWords, wordStride);
      for (let chunk = claimChunk(ctl, job); chunk >= 0; chunk = claimChunk(ctl, job)) {
        const r0 = start + chunk * chunkRows;
        local(r0, Math.min(end, r0 + chunkRows), slotOffset, list, 0, numWords, true);
      }
    } else {
      for (let chunk = claimChunk(ctl, job); chunk >= 0; chunk = claimChunk(ctl, job)) {
        const w0 = chunk * chunkWords;
        local(start, end, slotOffset, list, w0, Math.min(numWords, w0 + chunkWords), false);
      }
    }
    // Every chunk is claimed; wait only for workers still filling one.
    for (let spin = 0; Atomics.load(ctl, CTL.active) !== 0; spin++) {
      if (spin > 1000) {
        const active = Atomics.load(ctl, CTL.active);
        if (active !== 0) Atomics.wait(ctl, CTL.active, active, 50);
      }
    }
    if (Atomics.load(ctl, CTL.failed) === 1) {
      throw new QonlineError('QONLINE_INTERNAL', `GBDT: a histogram worker failed: ${failures.join('; ') || 'unknown error'}`);
    }
    if (byRows) {
      for (let i = 0; i < count; i++) {
        if (Atomics.load(ctl, CTL.joined + i) === job) addHistogram(hist, slotOffset, own[i]!, 0, list, 0, numWords, wordStride);
      }
    }
  };
  const close = async () => {
    Atomics.store(ctl, CTL.exit, 1);
    Atomics.store(ctl, CTL.job, (job + 1) & 0x7fff);
    Atomics.notify(ctl, CTL.job);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { build, close };
}
