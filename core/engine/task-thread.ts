import { isMainThread, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../contracts/logger.js';
import type { FetchedTask, LocalTrainJob, TaskPoolProvider } from '../contracts/task-pool.js';
import { ERROR_CODES, isQonlineError, QonlineError, type ErrorCode } from '../errors/index.js';
import type { TaskRunner } from '../online/task-runner.js';
import { runLocalJobInScope, runPoolTaskInScope, type TaskScopes } from './worker.js';
import type { TaskExecutor, TaskOutcome } from './worker.js';

/** `workerData` key that tells the CLI it runs as a training thread of `qonline worker`. */
export const TASK_THREAD_FLAG = 'qonlineTaskThread';

interface SerializedError {
  code?: string;
  message: string;
  hint?: string;
  details?: string[];
}

type ToThread = { type: 'run'; fetched: FetchedTask } | { type: 'job'; job: LocalTrainJob } | { type: 'close' };
type FromThread =
  | { type: 'ready' }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'result'; outcome: TaskOutcome }
  | { type: 'error'; error: SerializedError };

/** A training thread's share of the disk feature cache's writes: the instruments whose code hashes to `index` modulo `count`. */
export interface FeatureCacheShare {
  index: number;
  count: number;
}

/**
 * This thread's share of the disk feature cache's writes, when it is one of
 * the training threads of a batch that all compute the same features (an
 * in-process trainer's batch: each thread's first task computes every
 * instrument's features): each then writes only its share, and the entries
 * of one batch are written once, not once per thread. Null elsewhere (every
 * computed entry is written). Exact either way: an entry not written is
 * computed again when next wanted.
 */
export function featureCacheShare(): FeatureCacheShare | null {
  if (isMainThread) return null;
  const share = ((workerData as Record<string, unknown> | undefined)?.[TASK_THREAD_FLAG] as { share?: FeatureCacheShare } | undefined)?.share;
  return share && share.count > 1 ? share : null;
}

/** Whether the instrument `code` is in `share` (a string hash: the same in every thread whatever each one's request order). */
export function inFeatureCacheShare(code: string, share: FeatureCacheShare | null): boolean {
  if (!share) return true;
  // FNV-1a over the UTF-16 code units.
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
  return (h >>> 0) % share.count === share.index;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  pending?: { resolve: (o: TaskOutcome) => void; reject: (e: unknown) => void };
  exited: boolean;
}

export interface ThreadExecutorOptions {
  /** Script each thread runs: the CLI, whose `worker` command serves tasks when it finds TASK_THREAD_FLAG in workerData. */
  script: string | URL;
  /** Arguments after the script (the worker's own command line, so threads open the same config and home). */
  argv: string[];
  logger: Logger;
}

/**
 * Trains each slot's tasks on a worker thread of its own, so the main
 * thread's event loop stays free to renew leases, LISTEN and handle signals
 * however long a fit blocks. A thread opens the pipeline once and trains
 * task after task; aborting a slot terminates its thread (a new one starts
 * for the next task).
 */
export class ThreadExecutor implements TaskExecutor {
  private readonly slots = new Map<number, Slot>();
  /** Slots sharing the disk feature cache's writes (start's `sameFeatures`); 0: each writes all it computes. */
  private sharing = 0;

  constructor(private readonly o: ThreadExecutorOptions) {}

  /** Starts the threads of `count` slots and waits until each has opened its pipeline (set-up errors surface here, once). */
  async start(count: number, options: { sameFeatures?: boolean } = {}): Promise<void> {
    this.sharing = options.sameFeatures && count > 1 ? count : 0;
    await Promise.all(Array.from({ length: count }, (_, i) => this.slot(i).ready));
  }

  private slot(i: number): Slot {
    const existing = this.slots.get(i);
    if (existing && !existing.exited) return existing;
    const share: FeatureCacheShare | undefined = this.sharing ? { index: i % this.sharing, count: this.sharing } : undefined;
    const worker = new Worker(this.o.script, { argv: this.o.argv, workerData: { [TASK_THREAD_FLAG]: { slot: i, share } } });
    const s: Slot = { worker, exited: false, ready: Promise.resolve() };
    const settle = (fn: (p: NonNullable<Slot['pending']>) => void): void => {
      const p = s.pending;
      s.pending = undefined;
      if (p) fn(p);
    };
    s.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') reject(deserializeError(m.error));
        else if (m.type === 'result') settle((p) => p.resolve(m.outcome));
        else settle((p) => p.reject(deserializeError(m.error)));
      });
      worker.on('error', (e) => {
        reject(e);
        settle((p) => p.reject(e));
      });
      worker.on('exit', (code) => {
        s.exited = true;
        if (this.slots.get(i) === s) this.slots.delete(i);
        const e = new QonlineError('QONLINE_INTERNAL', `the training thread of slot ${i} stopped (exit code ${code})`);
        reject(e);
        settle((p) => p.reject(e));
      });
    });
    s.ready.catch(() => undefined);
    this.slots.set(i, s);
    return s;
  }

  async execute(fetched: FetchedTask, slot: number): Promise<TaskOutcome> {
    return this.send(slot, { type: 'run', fetched });
  }

  /** An in-process trainer's job on the slot's thread (committed there); the slot's thread opened the pipeline once for all its jobs. */
  async runJob(job: LocalTrainJob, slot: number): Promise<{ recorderId: string }> {
    const out = await this.send(slot, { type: 'job', job });
    return { recorderId: out.recorderId };
  }

  private async send(slot: number, message: ToThread): Promise<TaskOutcome> {
    const s = this.slot(slot);
    await s.ready;
    return new Promise<TaskOutcome>((resolve, reject) => {
      s.pending = { resolve, reject };
      s.worker.postMessage(message);
    });
  }

  async abort(slot: number): Promise<void> {
    const s = this.slots.get(slot);
    if (!s) return;
    this.slots.delete(slot);
    // terminate() stops JavaScript even in the middle of a synchronous fit.
    await s.worker.terminate();
  }

  async close(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(
      all.map(async (s) => {
        if (s.exited) return;
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        s.worker.postMessage({ type: 'close' } satisfies ToThread);
        const timer = setTimeout(() => void s.worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

export interface TaskThreadContext {
  runner: TaskRunner;
  /** The store's task pools; absent when it holds none (the thread then runs only in-process trainers' jobs). */
  pools?: TaskPoolProvider;
  /** Each task's components are built in a child scope of this, disposed when the task ends. */
  scopes?: TaskScopes;
  close(): Promise<void>;
}

/**
 * The thread side: opens its context (pipeline, store, pools), reports ready,
 * then trains each task it is sent (a pool task fenced by its lease and
 * committed with its recorder; an in-process trainer's job committed with
 * its recorder) until told to close.
 */
export async function serveTaskThread(open: () => Promise<TaskThreadContext>, port: MessagePort, logger: Logger): Promise<void> {
  let ctx: TaskThreadContext;
  try {
    ctx = await open();
  } catch (e) {
    port.postMessage({ type: 'fatal', error: serializeError(e) } satisfies FromThread);
    return;
  }
  port.postMessage({ type: 'ready' } satisfies FromThread);
  await new Promise<void>((resolve) => {
    let queue = Promise.resolve();
    port.on('message', (m: ToThread) => {
      if (m.type === 'run') {
        queue = queue.then(async () => {
          try {
            if (!ctx.pools) throw new QonlineError('QONLINE_CONFIG_INVALID', 'the store of this config cannot hold task pools');
            const out = await runPoolTaskInScope(ctx.pools.pool(m.fetched.lease.pool), m.fetched, ctx.runner, ctx.scopes, logger);
            port.postMessage({ type: 'result', outcome: { status: out.status, recorderId: out.recorder.id } } satisfies FromThread);
          } catch (e) {
            port.postMessage({ type: 'error', error: serializeError(e) } satisfies FromThread);
          }
        });
      } else if (m.type === 'job') {
        queue = queue.then(async () => {
          try {
            const rec = await runLocalJobInScope(m.job, ctx.runner, ctx.scopes, logger);
            port.postMessage({ type: 'result', outcome: { status: 'done', recorderId: rec.id } } satisfies FromThread);
          } catch (e) {
            port.postMessage({ type: 'error', error: serializeError(e) } satisfies FromThread);
          }
        });
      } else if (m.type === 'close') {
        void queue.then(resolve);
      }
    });
  });
  port.removeAllListeners('message');
  port.unref();
  await ctx.close().catch((e: unknown) => logger.warn(`closing the training thread failed: ${(e as Error).message}`));
}

function serializeError(e: unknown): SerializedError {
  if (isQonlineError(e)) return { code: e.code, message: e.message, hint: e.hint, details: e.details };
  return { message: e instanceof Error ? e.message : String(e) };
}

function deserializeError(e: SerializedError): Error {
  if (e.code && e.code in ERROR_CODES) return new QonlineError(e.code as ErrorCode, e.message, { hint: e.hint, details: e.details });
  return new Error(e.message);
}
