import { QonlineError } from '../errors/qonline-error.js';
import type { Trainer } from './online.js';
import type { ExperimentStore } from './store.js';
import type { TaskDef } from './task.js';

/**
 * The task pool (Qlib's TaskManager, with leases): a durable queue of training
 * tasks shared by a manager and any number of workers.
 *
 *   waiting -> running -> done                              (one phase)
 *   waiting -> running -> part_done -> running -> done      (two phases)
 *   running -> failed                                       (after max attempts)
 *
 * A running task holds a lease (worker, token, expiry in database time). The
 * holder renews it while it trains; a lease that runs out returns the task to
 * the status it had before it was fetched, by itself (checked whenever a task
 * is fetched, and by `reapExpired`). Every fetch counts an attempt; a task
 * whose attempts reach its maximum becomes `failed` with the last error kept.
 * Results are committed only with the current lease token, so a worker that
 * lost its lease can never overwrite the new holder's result.
 */
export type PoolTaskStatus = 'waiting' | 'running' | 'part_done' | 'done' | 'failed';

export const POOL_TASK_STATUSES: readonly PoolTaskStatus[] = ['waiting', 'running', 'part_done', 'done', 'failed'];

/** What `wait` waits for by default: anything not yet done (Qlib's "undone"). */
export const UNDONE_STATUSES: readonly PoolTaskStatus[] = ['waiting', 'running', 'part_done'];

/** Statuses a task can be fetched from. */
export type FetchableStatus = 'waiting' | 'part_done';

export interface TaskLease {
  taskId: string;
  pool: string;
  worker: string;
  /** Fencing token: changes on every fetch; only its holder may commit. */
  token: string;
  /** Database time (ISO 8601) at which the lease runs out unless renewed. */
  expiresAt: string;
}

export interface PoolTask {
  id: string;
  pool: string;
  /** The experiment the task's recorder belongs to. */
  experiment: string;
  /** taskHash(def): the pool holds one task per (pool, experiment, hash). */
  hash: string;
  def: TaskDef;
  status: PoolTaskStatus;
  /**
   * Running: the status the task returns to when handed back or when its lease
   * runs out. Failed: the status it failed from (where `retry` puts it back).
   */
  priorStatus: PoolTaskStatus | null;
  /** 1: waiting -> done. 2: waiting -> part_done -> done (delayed trainers). */
  phases: 1 | 2;
  priority: number;
  /** What the last phase committed (trainers: the recorder id). */
  res: unknown;
  /** Fetches of the current phase (reset when a phase completes or on retry). */
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** The current lease (running tasks only). */
  lease: TaskLease | null;
  /** The last worker that held the task. */
  worker: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewPoolTask {
  def: TaskDef;
  experiment: string;
  /** Higher is fetched first. Default 0. */
  priority?: number;
  /** Default 1. */
  phases?: 1 | 2;
  /** Default: the pool's `maxAttempts`. */
  maxAttempts?: number;
}

export interface PoolQuery {
  ids?: readonly string[];
  status?: PoolTaskStatus | readonly PoolTaskStatus[];
  experiment?: string;
  hashes?: readonly string[];
}

export type TaskStat = Record<PoolTaskStatus, number>;

export interface FetchOptions {
  /** Who takes the task (host:pid:slot); kept on the task. */
  worker: string;
  /** Only tasks matching this (its `status` is ignored: see `status`). */
  query?: Omit<PoolQuery, 'status'>;
  /** Statuses to fetch from. Default `waiting`. */
  status?: FetchableStatus | readonly FetchableStatus[];
  /** Lease length. Default: the pool's `leaseSeconds`. */
  leaseSeconds?: number;
}

export interface FetchedTask {
  /** The task as fetched (status `running`, `priorStatus` the status it came from). */
  task: PoolTask;
  lease: TaskLease;
}

export interface WaitProgress {
  /** Tasks of the query no longer in a waited-for status. */
  done: number;
  total: number;
  stat: TaskStat;
}

export interface WaitOptions {
  query?: Omit<PoolQuery, 'status'>;
  /** Wait until no task of the query is in one of these. Default UNDONE_STATUSES. */
  statuses?: readonly PoolTaskStatus[];
  /** Longest time between two checks (notifications wake earlier). Default 1000. */
  pollMs?: number;
  /** Give up (QONLINE_TASK_FAILED) after this long. Default: never. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called on every check whose counts changed (and on the first). */
  onProgress?: (progress: WaitProgress) => void;
}

export interface CommitOptions {
  /** Status after the commit. Default `done`. */
  status?: 'done' | 'part_done';
  /** Join this store transaction (same database), so the result commits with the recorder. */
  tx?: ExperimentStore;
}

export interface TaskPoolOptions {
  /** Default lease length of fetches. Default 60. */
  leaseSeconds?: number;
  /** Default maximum attempts of created tasks. Default 3. */
  maxAttempts?: number;
}

export interface TaskPool {
  readonly name: string;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;

  /** Adds tasks; a task whose (experiment, canonical definition) is already in the pool keeps its row. Returns ids in input order. */
  create(tasks: readonly NewPoolTask[]): Promise<string[]>;
  /** Atomically takes the highest-priority, then oldest, matching task and leases it; null when none. */
  fetch(options: FetchOptions): Promise<FetchedTask | null>;
  /**
   * fetch + run `fn`; when `fn` throws, the task goes back to its prior status
   * (or to `failed` at its last attempt) with the error kept, and the error is
   * rethrown. `fn` commits its own result. Null when nothing was fetched.
   */
  safeFetch<T>(options: FetchOptions, fn: (fetched: FetchedTask) => Promise<T>): Promise<{ fetched: FetchedTask; result: T } | null>;
  /** Commits the result and the next status; QONLINE_LEASE_LOST unless `lease` is still the task's lease. */
  commitResult(lease: TaskLease, res: unknown, options?: CommitOptions): Promise<void>;
  /** Throws QONLINE_LEASE_LOST unless `lease` is still the task's lease (inside `tx`: holds the task until it ends). */
  checkLease(lease: TaskLease, options?: { tx?: ExperimentStore }): Promise<void>;
  /** Extends the lease from now; QONLINE_LEASE_LOST when it was taken over. */
  renewLease(lease: TaskLease, seconds?: number): Promise<TaskLease>;
  /** Hands a task back in its prior status without counting the attempt (graceful stop). False when the lease was lost. */
  returnTask(lease: TaskLease): Promise<boolean>;
  /** Records a failed attempt: back to the prior status, or `failed` at the last attempt. Null when the lease was lost. */
  failTask(lease: TaskLease, error: string): Promise<PoolTaskStatus | null>;
  /** Returns tasks whose lease ran out to their prior status (or `failed`). Returns how many. */
  reapExpired(): Promise<number>;

  get(id: string): Promise<PoolTask | undefined>;
  query(query?: PoolQuery): Promise<PoolTask[]>;
  remove(query?: PoolQuery): Promise<number>;
  stat(query?: PoolQuery): Promise<TaskStat>;
  /** Puts running tasks back in their prior status, dropping their leases (Qlib's reset_waiting; for tasks of workers known gone). */
  resetWaiting(query?: Omit<PoolQuery, 'status'>): Promise<number>;
  /** Puts failed tasks back where they failed from, with their attempts reset. */
  retry(query?: Omit<PoolQuery, 'status'>): Promise<number>;
  prioritize(ids: string | readonly string[], priority: number): Promise<number>;
  /** Blocks until no task of the query is in `statuses`, reaping expired leases meanwhile. Returns the last counts. */
  wait(options?: WaitOptions): Promise<TaskStat>;
  /** Resolves when the pool may have changed (a notification from any process on PostgreSQL, this process on SQLite) or after `ms`. */
  changed(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Opens the pools of one database (the `taskPool` service). */
export interface TaskPoolProvider {
  pool(name: string, options?: TaskPoolOptions): TaskPool;
  /** Names of the pools that hold at least one task. */
  listPools(): Promise<string[]>;
}

/** A store whose database can also hold task pools (so results and recorders commit together). */
export interface TaskPoolHost {
  taskPools(): TaskPoolProvider;
}

export function isTaskPoolHost(store: unknown): store is TaskPoolHost {
  return typeof store === 'object' && store !== null && typeof (store as Partial<TaskPoolHost>).taskPools === 'function';
}

/** A trainer that trains through task pools (TrainerRM, DelayTrainerRM); `qonline worker` serves its pools. */
export interface PoolTrainer extends Trainer {
  /** The pools the tasks of these experiments go into. */
  poolNames(experiments: readonly string[]): string[];
  /** Lease length the trainer's tasks are fetched with (workers renew at a third of it). */
  readonly leaseSeconds: number;
}

export function isPoolTrainer(trainer: unknown): trainer is PoolTrainer {
  return typeof trainer === 'object' && trainer !== null && typeof (trainer as Partial<PoolTrainer>).poolNames === 'function';
}

export function emptyTaskStat(): TaskStat {
  return { waiting: 0, running: 0, part_done: 0, done: 0, failed: 0 };
}

/** What training one fetched task produced. */
export interface TaskOutcome {
  status: 'done' | 'part_done';
  recorderId: string;
}

/**
 * Trains fetched tasks. Implementations commit the result themselves, fenced
 * by the task's lease (as `runPoolTask` does): in process, or on threads
 * whose blocking fits leave the caller's event loop free to renew leases.
 */
export interface TaskExecutor {
  execute(fetched: FetchedTask, slot: number): Promise<TaskOutcome>;
  /**
   * An in-process trainer's job (no pool, no lease), committed by the slot
   * itself; resolves with the recorder. Executors on threads implement it:
   * an in-process trainer gives several tasks to several threads.
   */
  runJob?(job: LocalTrainJob, slot: number): Promise<{ recorderId: string }>;
  /**
   * Starts `count` slots now (set-up errors surface here, once).
   * `sameFeatures`: the slots will compute the same features (one batch of
   * an in-process trainer), so each writes only its share of the disk
   * feature cache (see `featureCacheShare`).
   */
  start?(count: number, options?: { sameFeatures?: boolean }): Promise<void>;
  /** Stops the slot's current work now (its `execute` rejects); a no-op where work cannot be stopped. */
  abort(slot: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Training an in-process trainer hands to a thread: a task trained and
 * finished (Qlib's task_train), or a recorded task fitted and finished into
 * its recorder (end_task_train, `TaskRunner.complete`).
 */
export type LocalTrainJob = { kind: 'run'; task: TaskDef; experiment: string } | { kind: 'complete'; recorderId: string };

/**
 * The error every task pool throws when a lease is no longer held (it ran
 * out, or the task was reset): QONLINE_LEASE_LOST, nothing written.
 */
export function leaseLostError(lease: TaskLease, what: string): QonlineError {
  return new QonlineError('QONLINE_LEASE_LOST', `worker ${lease.worker} no longer holds task ${lease.taskId} of pool ${lease.pool} and cannot ${what}`, {
    hint: 'its lease ran out (renewal stalled or the task was reset) and another worker may have taken the task; nothing was written',
  });
}

/** True for the error a task pool throws when a lease was lost (`leaseLostError`), whichever pool threw it. */
export function isLeaseLost(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'QONLINE_LEASE_LOST';
}
