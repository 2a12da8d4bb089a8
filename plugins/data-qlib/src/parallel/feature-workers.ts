import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { autoThreads, ERROR_CODES, machineLoad, QonlineError, type ErrorCode, type MachineLoad } from '../../../../core/index.js';
import {
  FEATURE_PROTOCOL_VERSION,
  type FeatureJob,
  type FeatureJobResult,
  type FeatureWorkerData,
  type FromFeatureWorker,
  type SerializedError,
  type ToFeatureWorker,
} from './feature-protocol.js';

const SCRIPT = 'data-worker.js';
/** Idle workers are stopped after this long (a daemon evaluates features once a day). */
const IDLE_MS = 10_000;
/** Batches per worker: small enough to balance uneven instruments, large enough to keep messages few. */
const BATCHES_PER_WORKER = 8;
const MAX_BATCH = 8;

/**
 * Values (expressions x rows) each automatic feature thread must have to
 * evaluate: about 1.7 s of one thread's work (~70 M values/s for Alpha158).
 * Below that, starting a worker (~0.1 s), warming up its compiled code (the
 * first instruments run several times slower) and handing results back cost
 * more than it saves: on an otherwise idle 2-core machine, 2 threads over
 * Alpha158 + label on 300 x 2509 (101 M values) ran at 0.83x one thread, so
 * that request stays on one thread.
 */
export const MIN_VALUES_PER_THREAD = 120_000_000;

/**
 * Automatic worker count for a request of `work` values: up to 4, one per
 * core other processes leave idle (idleCores: the load average and the tasks
 * runnable now), no more than MIN_VALUES_PER_THREAD each pays for. On this
 * project's shared 2-core machine (load 10-16 from other jobs) a second
 * feature thread was slower than one (issue 15; docs/data.md): with no idle
 * core the choice is 1.
 */
export function defaultFeatureThreads(work: number, load: MachineLoad = machineLoad()): number {
  return autoThreads(work, MIN_VALUES_PER_THREAD, 4, load);
}

/**
 * The built worker (`data-worker.js`, its own tsup entry) sits next to the
 * bundled provider in dist/. Run from source (vitest) it is looked for in the
 * nearest dist/ above this file, i.e. after `npx tsup`; null without one.
 */
export function locateFeatureWorker(): URL | null {
  const here = new URL(`./${SCRIPT}`, import.meta.url);
  if (here.protocol !== 'file:') return null;
  if (existsSync(fileURLToPath(here))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'dist', SCRIPT);
    if (existsSync(candidate)) return pathToFileURL(candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function toError(e: SerializedError): QonlineError {
  const code = (Object.hasOwn(ERROR_CODES, e.code) ? e.code : 'QONLINE_INTERNAL') as ErrorCode;
  return new QonlineError(code, e.message, { details: e.details, hint: e.hint });
}

/**
 * Worker threads that evaluate instruments for one data folder. Started on
 * first use, kept while busy and for a short idle time (unref'd, so they never
 * keep the process alive), and stopped by `close()`. One `run` at a time.
 */
export class FeatureWorkerPool {
  private workers: Worker[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(
    private readonly uri: string,
    private readonly freq = 'day',
  ) {}

  /**
   * Evaluates `jobs` on up to `threads` workers, calling `onResult(jobIndex,
   * result)` on this thread as results arrive. Resolves false, without
   * running anything, when no worker can be started (no built script).
   */
  run(jobs: readonly FeatureJob[], threads: number, onResult: (index: number, result: FeatureJobResult) => void): Promise<boolean> {
    const next = this.queue.then(() => this.runNow(jobs, threads, onResult));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(jobs: readonly FeatureJob[], threads: number, onResult: (index: number, result: FeatureJobResult) => void): Promise<boolean> {
    if (jobs.length === 0) return true;
    clearTimeout(this.idleTimer);
    const count = Math.max(1, Math.min(threads, jobs.length));
    if (!(await this.ensure(count))) return false;
    const workers = this.workers.slice(0, count);
    const batch = Math.max(1, Math.min(MAX_BATCH, Math.ceil(jobs.length / (count * BATCHES_PER_WORKER))));
    try {
      await new Promise<void>((resolve, reject) => {
        let cursor = 0;
        let active = 0;
        let failed = false;
        const cleanups: (() => void)[] = [];
        const finish = (e?: Error): void => {
          if (failed) return;
          if (e) failed = true;
          if (e || (active === 0 && cursor >= jobs.length)) {
            for (const c of cleanups) c();
            if (e) reject(e);
            else resolve();
          }
        };
        const feed = (w: Worker): void => {
          if (failed || cursor >= jobs.length) return;
          const from = cursor;
          cursor = Math.min(jobs.length, cursor + batch);
          const id = this.nextId++;
          active++;
          const msg: ToFeatureWorker = { id, jobs: jobs.slice(from, cursor) };
          const onMessage = (m: FromFeatureWorker): void => {
            if (!('id' in m) || m.id !== id) return;
            w.off('message', onMessage);
            active--;
            if ('error' in m) return finish(toError(m.error));
            try {
              m.results.forEach((r, k) => onResult(from + k, r));
            } catch (e) {
              return finish(e as Error);
            }
            feed(w);
            finish();
          };
          w.on('message', onMessage);
          cleanups.push(() => w.off('message', onMessage));
          w.postMessage(msg);
        };
        for (const w of workers) {
          const onError = (e: Error): void => finish(new QonlineError('QONLINE_INTERNAL', `a feature worker failed: ${e.message}`, { cause: e }));
          const onExit = (code: number): void => finish(new QonlineError('QONLINE_INTERNAL', `a feature worker exited with code ${code} while evaluating`));
          w.on('error', onError);
          w.on('exit', onExit);
          cleanups.push(() => {
            w.off('error', onError);
            w.off('exit', onExit);
          });
          w.ref();
        }
        for (const w of workers) feed(w);
      });
    } catch (e) {
      // A worker in an unknown state is not reused.
      await this.close();
      throw e;
    } finally {
      for (const w of this.workers) w.unref();
      this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
    return true;
  }

  /** Starts workers until `count` run; false when the script is missing or a worker will not start. */
  private async ensure(count: number): Promise<boolean> {
    if (this.workers.length >= count) return true;
    const script = locateFeatureWorker();
    if (!script) return false;
    const data: FeatureWorkerData = { protocol: FEATURE_PROTOCOL_VERSION, uri: this.uri, freq: this.freq };
    const started = Array.from({ length: count - this.workers.length }, () => new Worker(script, { workerData: data }));
    // Only our own listeners are removed: the Worker keeps internal ones (removeAllListeners would stop its messages).
    const detach: (() => void)[] = [];
    try {
      await Promise.all(
        started.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              const onExit = (code: number): void => reject(new Error(`exited with code ${code}`));
              const onMessage = (m: FromFeatureWorker): void => {
                if ('ready' in m && m.protocol === FEATURE_PROTOCOL_VERSION) resolve();
                else reject(new Error(`worker speaks protocol ${'protocol' in m ? m.protocol : '?'}, provider ${FEATURE_PROTOCOL_VERSION} (stale dist/? rebuild with npx tsup)`));
              };
              w.on('error', reject);
              w.on('exit', onExit);
              w.once('message', onMessage);
              detach.push(() => {
                w.off('error', reject);
                w.off('exit', onExit);
                w.off('message', onMessage);
              });
            }),
        ),
      );
    } catch {
      for (const d of detach) d();
      for (const w of started) w.on('error', () => undefined);
      await Promise.all(started.map((w) => w.terminate()));
      return false;
    }
    for (const d of detach) d();
    for (const w of started) {
      // A worker that dies while idle leaves the pool (runs watch their own workers).
      w.on('error', () => undefined);
      w.on('exit', () => {
        this.workers = this.workers.filter((x) => x !== w);
      });
      w.unref();
    }
    this.workers.push(...started);
    return true;
  }

  /** Stops the workers (they are restarted on the next run). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
