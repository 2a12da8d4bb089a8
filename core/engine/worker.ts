import type { Clock, Logger } from '../contracts/logger.js';
import type { EngineMetrics, TaskEnd } from '../contracts/metrics.js';
import type { Resolver } from '../contracts/online.js';
import { isLeaseLost, type FetchedTask, type LocalTrainJob, type PoolTask, type TaskExecutor, type TaskOutcome, type TaskPool } from '../contracts/task-pool.js';
import type { RecorderInfo } from '../contracts/store.js';
import { isQonlineError } from '../errors/index.js';
import { takenOver } from '../store/lease-expiry.js';
import { SystemClock } from '../kernel/clock.js';
import { keepLeaseAlive, runPoolTask, workerName, type PoolTaskOutcome } from '../online/pool-training.js';
import type { TaskRunner } from '../online/task-runner.js';

export type { TaskExecutor, TaskOutcome } from '../contracts/task-pool.js';

/** Where a worker slot builds a task's components: one child scope per task (a `Kernel` is one). */
export interface TaskScopes {
  createScope(): Resolver & { stop(): Promise<void> };
}

/**
 * Runs one fetched task with its components (dataset, model, records) built
 * in a child scope of `scopes`, disposed when the task ends, success or not:
 * what the task opened is closed in reverse order of creation. A failure to
 * close is logged (every one, aggregated by the scope), never dropped, and
 * does not undo a committed task.
 */
export async function runPoolTaskInScope(pool: TaskPool, fetched: FetchedTask, runner: TaskRunner, scopes: TaskScopes | undefined, logger: Logger | undefined): Promise<PoolTaskOutcome> {
  if (!scopes || !logger) return runPoolTask(pool, fetched, runner);
  const scope = scopes.createScope();
  try {
    return await runPoolTask(pool, fetched, runner.withResolver(scope));
  } finally {
    await scope.stop().catch((e: unknown) => logger.error(`task ${fetched.task.id}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/**
 * Runs an in-process trainer's job (`LocalTrainJob`) with its components
 * built in a child scope of `scopes`, disposed when the job ends, as
 * `runPoolTaskInScope` does for pool tasks.
 */
export async function runLocalJobInScope(job: LocalTrainJob, runner: TaskRunner, scopes: TaskScopes | undefined, logger: Logger | undefined): Promise<RecorderInfo> {
  const run = (r: TaskRunner): Promise<RecorderInfo> => (job.kind === 'run' ? r.run(job.task, job.experiment) : r.complete(job.recorderId));
  if (!scopes || !logger) return run(runner);
  const scope = scopes.createScope();
  try {
    return await run(runner.withResolver(scope));
  } finally {
    await scope.stop().catch((e: unknown) => logger.error(`${job.kind === 'run' ? `task of ${job.experiment}` : `recorder ${job.recorderId}`}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/**
 * Trains on the calling thread. Lease renewal shares that thread, so it only
 * works while the fit yields; use the thread executor for CPU-bound fits.
 */
export class InProcessExecutor implements TaskExecutor {
  constructor(
    private readonly runner: TaskRunner,
    private readonly poolOf: (name: string) => TaskPool,
    /** Each task's components are built in a child scope of `scopes`, disposed when the task ends (close failures go to `logger`). */
    private readonly perTask?: { scopes: TaskScopes; logger: Logger },
  ) {}

  async execute(fetched: FetchedTask): Promise<TaskOutcome> {
    const out = await runPoolTaskInScope(this.poolOf(fetched.lease.pool), fetched, this.runner, this.perTask?.scopes, this.perTask?.logger);
    return { status: out.status, recorderId: out.recorder.id };
  }

  async abort(): Promise<void> {}

  async close(): Promise<void> {}
}

export interface WorkerLoopOptions {
  /** Pools served, in order of preference. */
  pools: TaskPool[];
  executor: TaskExecutor;
  /** Tasks trained at once. Default 1. */
  concurrency?: number;
  /** Return once nothing is left to fetch (instead of waiting for more). */
  once?: boolean;
  /** Lease of fetched tasks, renewed every third of it. */
  leaseSeconds: number;
  /** Longest idle pause between two looks at the pools (PostgreSQL wakes at once on NOTIFY). Default 1000. */
  idlePollMs?: number;
  logger: Logger;
  /** Graceful stop: no new fetches; running tasks finish. */
  stop?: AbortSignal;
  /** Hand running tasks back now (their attempt is not counted). */
  handBack?: AbortSignal;
  /** Worker name of a slot in leases. Default host:pid:slot. */
  name?: (slot: number) => string;
  /** Schedules lease renewals and times tasks (TOKENS.clock; tests move a TestClock). Idle pauses are the pools' own clock. Default: the system clock. */
  clock?: Clock;
  /** Told of lease renewals and takeovers and of every task's end (`--metrics-port`). */
  metrics?: EngineMetrics;
}

export interface WorkerReport {
  done: number;
  partDone: number;
  /** Attempts that threw (the task went back to the pool, or to failed at its last attempt). */
  failed: number;
  /** Tasks whose lease was taken over while they ran (their results were discarded). */
  lost: number;
  handedBack: number;
}

const SYSTEM_CLOCK: Clock = new SystemClock();

const HANDED_BACK = Symbol('handed back');

/**
 * The worker loop: each slot fetches a task from the pools (waiting or
 * part_done), renews its lease on a timer while the executor trains it, and
 * records the outcome: committed by the executor, a failed attempt, a lost
 * lease, or a hand-back on request.
 */
export async function runWorkerLoop(o: WorkerLoopOptions): Promise<WorkerReport> {
  const report: WorkerReport = { done: 0, partDone: 0, failed: 0, lost: 0, handedBack: 0 };
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const idleMs = o.idlePollMs ?? 1000;
  const nameOf = o.name ?? workerName;
  const { logger } = o;
  const clock = o.clock ?? SYSTEM_CLOCK;

  const claim = async (worker: string): Promise<{ pool: TaskPool; fetched: FetchedTask } | null> => {
    for (const pool of o.pools) {
      const fetched = await pool.fetch({ worker, status: ['waiting', 'part_done'], leaseSeconds: o.leaseSeconds });
      if (fetched) return { pool, fetched };
    }
    return null;
  };

  const idle = async (ms: number): Promise<void> => {
    // Asked to stop already (while a task ran): an abort listener added now would never fire.
    if (o.stop?.aborted) return;
    // Any pool's change wakes the slot; the others' waits are cancelled.
    const ac = new AbortController();
    const onStop = (): void => ac.abort();
    o.stop?.addEventListener('abort', onStop, { once: true });
    try {
      await Promise.race(o.pools.map((p) => p.changed(ms, ac.signal)));
    } finally {
      ac.abort();
      o.stop?.removeEventListener('abort', onStop);
    }
  };

  const runOne = async (slot: number, pool: TaskPool, fetched: FetchedTask): Promise<void> => {
    const { task, lease } = fetched;
    const what = describeTask(task);
    const t0 = clock.now().getTime();
    if (takenOver(task)) o.metrics?.leaseTakenOver(pool.name);
    logger.info(`slot ${slot}: task ${task.id} of pool ${pool.name} (${what}), attempt ${task.attempts} of ${task.maxAttempts}`);
    const keeper = keepLeaseAlive(pool, lease, {
      leaseSeconds: o.leaseSeconds,
      clock: o.clock,
      onLost: () => {
        logger.warn(`slot ${slot}: lost the lease of task ${task.id}; stopping it (another worker owns it now)`);
        void o.executor.abort(slot);
      },
      onError: (e) => logger.warn(`slot ${slot}: renewing the lease of task ${task.id} failed (will retry): ${(e as Error).message}`),
      onRenewed: o.metrics ? () => o.metrics!.leaseRenewed(pool.name) : undefined,
    });
    const ended = (end: TaskEnd): void => o.metrics?.taskEnded(pool.name, end, (clock.now().getTime() - t0) / 1000);
    let onHandBack: (() => void) | undefined;
    const handedBack = new Promise<typeof HANDED_BACK>((resolve) => {
      onHandBack = () => resolve(HANDED_BACK);
      if (o.handBack?.aborted) onHandBack();
      else o.handBack?.addEventListener('abort', onHandBack, { once: true });
    });
    try {
      const outcome = await Promise.race([o.executor.execute(fetched, slot), handedBack]);
      if (outcome === HANDED_BACK) {
        await o.executor.abort(slot);
        const back = await pool.returnTask(lease);
        report.handedBack++;
        ended('handed_back');
        logger.info(`slot ${slot}: handed task ${task.id} back${back ? ` (${task.priorStatus})` : ' (its lease was already gone)'}`);
        return;
      }
      if (outcome.status === 'done') report.done++;
      else report.partDone++;
      ended(outcome.status);
      logger.info(`slot ${slot}: task ${task.id} ${outcome.status} in ${((clock.now().getTime() - t0) / 1000).toFixed(1)} s (recorder ${outcome.recorderId})`);
    } catch (e) {
      if (keeper.lost || isLeaseLost(e)) {
        report.lost++;
        ended('lost');
        logger.warn(`slot ${slot}: task ${task.id}: lease lost, result discarded`);
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      const status = await pool.failTask(lease, message).catch((fe: unknown) => {
        logger.error(`slot ${slot}: could not record the failure of task ${task.id}: ${(fe as Error).message}`);
        return null;
      });
      report.failed++;
      ended('failed');
      logger.warn(
        `slot ${slot}: task ${task.id} failed at attempt ${task.attempts} of ${task.maxAttempts}${status === 'failed' ? ' (no attempts left: failed)' : status ? ` (back to ${status})` : ''}: ${message}`,
      );
    } finally {
      keeper.stop();
      if (onHandBack) o.handBack?.removeEventListener('abort', onHandBack);
    }
  };

  const slotLoop = async (slot: number): Promise<void> => {
    const worker = nameOf(slot);
    let backoff = 0;
    while (!o.stop?.aborted && !o.handBack?.aborted) {
      let claimed: { pool: TaskPool; fetched: FetchedTask } | null;
      try {
        claimed = await claim(worker);
        backoff = 0;
      } catch (e) {
        // The database may come back (restart, failover): keep trying, slower each time.
        if (!isTransient(e)) throw e;
        backoff = Math.min(30_000, Math.max(idleMs, backoff * 2));
        logger.warn(`slot ${slot}: cannot fetch from the pool (retrying in ${Math.round(backoff / 1000)} s): ${(e as Error).message}`);
        await idle(backoff);
        continue;
      }
      if (!claimed) {
        if (o.once) return;
        await idle(idleMs);
        continue;
      }
      await runOne(slot, claimed.pool, claimed.fetched);
    }
  };

  await Promise.all(Array.from({ length: concurrency }, (_, i) => slotLoop(i)));
  return report;
}

function isTransient(e: unknown): boolean {
  return isQonlineError(e) && (e.code === 'QONLINE_STORE' || e.code === 'QONLINE_STORE_LOCKED');
}

export function describeTask(task: PoolTask): string {
  const test = task.def.dataset?.kwargs?.segments?.['test'];
  const phase = task.priorStatus === 'part_done' ? 'phase two' : task.phases === 2 ? 'phase one' : 'train';
  return `${task.experiment}: ${task.def.model?.class ?? '?'}, test ${test ? `${test[0]}..${test[1] ?? 'open'}` : '?'}, ${phase}`;
}
