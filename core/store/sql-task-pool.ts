import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ExperimentStore } from '../contracts/store.js';
import {
  emptyTaskStat,
  isLeaseLost,
  leaseLostError as leaseLost,
  POOL_TASK_STATUSES,
  UNDONE_STATUSES,
  type CommitOptions,
  type FetchableStatus,
  type FetchedTask,
  type FetchOptions,
  type NewPoolTask,
  type PoolQuery,
  type PoolTask,
  type PoolTaskStatus,
  type TaskLease,
  type TaskPool,
  type TaskPoolOptions,
  type TaskPoolProvider,
  type TaskStat,
  type WaitOptions,
} from '../contracts/task-pool.js';
import type { TaskDef } from '../contracts/task.js';
import type { Clock } from '../contracts/logger.js';
import { QonlineError } from '../errors/index.js';
import { SystemClock } from '../kernel/clock.js';
import { plainJsonCopy, taskHash } from '../task/canonical.js';
import { chunkRows, type SqlDriver, type SqlExecutor } from './sql-driver.js';
import { LEASE_RAN_OUT } from './lease-expiry.js';

/** NOTIFY channel of every pool; the payload is the pool name. */
export const TASK_POOL_CHANNEL = 'qonline_task_pool';

const DEFAULT_LEASE_SECONDS = 60;
const DEFAULT_MAX_ATTEMPTS = 3;
const MAX_ERROR_CHARS = 4000;

interface PoolRow {
  id: number | string;
  pool: string;
  experiment: string;
  task_hash: string;
  def: string;
  phases: number;
  status: PoolTaskStatus;
  prior_status: PoolTaskStatus | null;
  priority: number;
  res: string | null;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  worker: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * Per driver: one in-process bus that wakes waiting pools. Drivers with
 * LISTEN feed it from every process; the others only from this process.
 */
interface Bus {
  emitter: EventEmitter;
  listening?: Promise<void>;
}
const buses = new WeakMap<SqlDriver, Bus>();
const SYSTEM_CLOCK: Clock = new SystemClock();

function busOf(driver: SqlDriver): Bus {
  let bus = buses.get(driver);
  if (!bus) {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    bus = { emitter };
    buses.set(driver, bus);
  }
  return bus;
}

/** The pools of one SQL database. Pool objects are cached per name and options. */
export class SqlTaskPools implements TaskPoolProvider {
  private readonly cache = new Map<string, SqlTaskPool>();

  constructor(
    private readonly driver: SqlDriver,
    /** Wait deadlines and poll pauses of its pools (never lease expiry: that is database time). */
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  pool(name: string, options: TaskPoolOptions = {}): SqlTaskPool {
    const key = `${name}\u0000${options.leaseSeconds ?? ''}\u0000${options.maxAttempts ?? ''}`;
    let pool = this.cache.get(key);
    if (!pool) {
      pool = new SqlTaskPool(this.driver, name, options, this.clock);
      this.cache.set(key, pool);
    }
    return pool;
  }

  async listPools(): Promise<string[]> {
    const rows = await this.driver.all<{ pool: string }>(`SELECT DISTINCT pool FROM task_pool ORDER BY pool`);
    return rows.map((r) => r.pool);
  }
}

/**
 * A task pool in the `task_pool` table, on any SQL driver. Claiming is one
 * `UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING *`, with the
 * dialect's skip-locked suffix on the subquery (claimers pass each other by;
 * empty where one writer runs at a time). Every time is the database's
 * clock (`dialect.nowEpochSeconds`).
 */
export class SqlTaskPool implements TaskPool {
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  private readonly now: string;
  private readonly forUpdate: string;
  private readonly skipLocked: string;

  constructor(
    private readonly driver: SqlDriver,
    readonly name: string,
    options: TaskPoolOptions = {},
    /** Operational time: wait deadlines and poll pauses. Lease expiry is the database's time (`dialect.nowEpochSeconds`). */
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    if (typeof name !== 'string' || !name) throw new QonlineError('QONLINE_USAGE', `a task pool needs a non-empty name, got ${JSON.stringify(name)}`);
    this.leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    checkLeaseSeconds(this.leaseSeconds);
    checkMaxAttempts(this.maxAttempts);
    const d = driver.dialect;
    this.now = d.nowEpochSeconds;
    this.forUpdate = d.forUpdate ? ` ${d.forUpdate}` : '';
    this.skipLocked = d.claimSkipLocked ? ` ${d.claimSkipLocked}` : '';
  }

  async create(tasks: readonly NewPoolTask[]): Promise<string[]> {
    if (!tasks.length) return [];
    const rows = tasks.map((t, i) => {
      if (typeof t.experiment !== 'string' || !t.experiment) throw new QonlineError('QONLINE_USAGE', `task ${i} has no experiment (expected a non-empty string)`);
      const phases = t.phases ?? 1;
      if (phases !== 1 && phases !== 2) throw new QonlineError('QONLINE_USAGE', `task ${i}: phases must be 1 or 2, got ${JSON.stringify(phases)}`);
      const priority = t.priority ?? 0;
      if (!Number.isFinite(priority)) throw new QonlineError('QONLINE_USAGE', `task ${i}: priority must be a finite number, got ${String(priority)}`);
      const maxAttempts = t.maxAttempts ?? this.maxAttempts;
      checkMaxAttempts(maxAttempts);
      const def = plainJsonCopy(t.def);
      return { experiment: t.experiment, hash: taskHash(def), def: JSON.stringify(def), phases, priority, maxAttempts };
    });
    const ids = new Map<string, string>();
    await this.tx(async (ex) => {
      const values = `(?, ?, ?, ?, ?, 'waiting', ?, 0, ?, ${this.now}, ${this.now})`;
      const d = this.driver.dialect;
      for (const chunk of chunkRows(rows, 7, this.driver.maxParams)) {
        await ex.run(
          `INSERT INTO task_pool (pool, experiment, task_hash, def, phases, status, priority, attempts, max_attempts, created_at, updated_at)
           VALUES ${d.bulkValues(chunk.length, values)} ${d.upsert(['pool', 'experiment', 'task_hash'], 'nothing')}`,
          chunk.flatMap((r) => [this.name, r.experiment, r.hash, r.def, r.phases, r.priority, r.maxAttempts]),
        );
      }
      const hashes = [...new Set(rows.map((r) => r.hash))];
      for (const chunk of chunkRows(hashes, 1, this.driver.maxParams - 1)) {
        const found = await ex.all<{ id: number | string; experiment: string; task_hash: string }>(
          `SELECT id, experiment, task_hash FROM task_pool WHERE pool = ? AND task_hash IN (${chunk.map(() => '?').join(', ')})`,
          [this.name, ...chunk],
        );
        for (const f of found) ids.set(`${f.experiment}\u0000${f.task_hash}`, String(f.id));
      }
      await this.notify(ex);
    });
    return rows.map((r) => ids.get(`${r.experiment}\u0000${r.hash}`)!);
  }

  async fetch(options: FetchOptions): Promise<FetchedTask | null> {
    if (typeof options.worker !== 'string' || !options.worker) throw new QonlineError('QONLINE_USAGE', 'fetch needs a worker name');
    const statuses = fetchStatuses(options.status);
    const seconds = options.leaseSeconds ?? this.leaseSeconds;
    checkLeaseSeconds(seconds);
    const w = this.where({ ...options.query, status: statuses });
    // A plain read first (an idle worker never takes the write lock), saying what there is to do.
    const probe = `SELECT EXISTS (SELECT 1 FROM task_pool WHERE ${w.sql}) AS claimable,
      EXISTS (SELECT 1 FROM task_pool WHERE pool = ? AND status = 'running' AND lease_expires_at < ${this.now}) AS expired`;
    // One statement claims atomically (a statement runs alone, or the dialect's skip-locked suffix passes rows others hold).
    const claim = `UPDATE task_pool SET status = 'running', prior_status = status, attempts = attempts + 1, worker = ?, lease_token = ?,
        lease_expires_at = ${this.now} + ?, updated_at = ${this.now}
      WHERE id = (SELECT id FROM task_pool WHERE ${w.sql} ORDER BY priority DESC, id ASC LIMIT 1${this.skipLocked})
      RETURNING *`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const p = (await this.driver.all<{ claimable: unknown; expired: unknown }>(probe, [...w.params, this.name]))[0];
      const expired = this.driver.dialect.bool(p?.expired);
      if (expired) await this.reapExpired();
      if (!this.driver.dialect.bool(p?.claimable) && !expired) return null;
      const rows = await this.driver.all<PoolRow>(claim, [options.worker, randomUUID(), seconds, ...w.params]);
      if (rows[0]) {
        const task = toTask(rows[0]);
        return { task, lease: task.lease! };
      }
      // Another claimer took the candidate between the look and the claim: look again.
    }
    return null;
  }

  async safeFetch<T>(options: FetchOptions, fn: (fetched: FetchedTask) => Promise<T>): Promise<{ fetched: FetchedTask; result: T } | null> {
    const fetched = await this.fetch(options);
    if (!fetched) return null;
    try {
      return { fetched, result: await fn(fetched) };
    } catch (e) {
      if (!isLeaseLost(e)) await this.failTask(fetched.lease, errorText(e)).catch(() => undefined);
      throw e;
    }
  }

  async commitResult(lease: TaskLease, res: unknown, options: CommitOptions = {}): Promise<void> {
    const status = options.status ?? 'done';
    if (status !== 'done' && status !== 'part_done') throw new QonlineError('QONLINE_USAGE', `a result commits as done or part_done, not ${JSON.stringify(status)}`);
    const ex = this.executorOf(options.tx);
    // A new phase starts with a fresh attempt count.
    const resetAttempts = status === 'part_done' ? ', attempts = 0' : '';
    const r = await ex.run(
      `UPDATE task_pool SET status = ?, res = ?, prior_status = NULL, lease_token = NULL, lease_expires_at = NULL${resetAttempts}, updated_at = ${this.now}
       WHERE id = ? AND pool = ? AND lease_token = ? AND status = 'running'`,
      [status, JSON.stringify(res ?? null), taskIdParam(lease.taskId), this.name, lease.token],
    );
    if (r.changes === 0) throw leaseLost(lease, 'commit its result');
    await this.notify(ex);
  }

  async checkLease(lease: TaskLease, options: { tx?: ExperimentStore } = {}): Promise<void> {
    const ex = this.executorOf(options.tx);
    const rows = await ex.all(
      `SELECT id FROM task_pool WHERE id = ? AND pool = ? AND lease_token = ? AND status = 'running'${options.tx ? this.forUpdate : ''}`,
      [taskIdParam(lease.taskId), this.name, lease.token],
    );
    if (!rows.length) throw leaseLost(lease, 'write its recorder');
  }

  async renewLease(lease: TaskLease, seconds = this.leaseSeconds): Promise<TaskLease> {
    checkLeaseSeconds(seconds);
    const rows = await this.driver.all<{ lease_expires_at: number }>(
      `UPDATE task_pool SET lease_expires_at = ${this.now} + ?, updated_at = ${this.now}
       WHERE id = ? AND pool = ? AND lease_token = ? AND status = 'running' RETURNING lease_expires_at`,
      [seconds, taskIdParam(lease.taskId), this.name, lease.token],
    );
    if (!rows.length) throw leaseLost(lease, 'renew its lease');
    return { ...lease, expiresAt: isoOf(rows[0]!.lease_expires_at) };
  }

  async returnTask(lease: TaskLease): Promise<boolean> {
    return this.tx(async (ex) => {
      const r = await ex.run(
        `UPDATE task_pool SET status = COALESCE(prior_status, 'waiting'), attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
           lease_token = NULL, lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id = ? AND pool = ? AND lease_token = ? AND status = 'running'`,
        [taskIdParam(lease.taskId), this.name, lease.token],
      );
      if (r.changes) await this.notify(ex);
      return r.changes > 0;
    });
  }

  async failTask(lease: TaskLease, error: string): Promise<PoolTaskStatus | null> {
    return this.tx(async (ex) => {
      const rows = await ex.all<{ status: PoolTaskStatus }>(
        `UPDATE task_pool SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE COALESCE(prior_status, 'waiting') END,
           last_error = ?, lease_token = NULL, lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id = ? AND pool = ? AND lease_token = ? AND status = 'running' RETURNING status`,
        [String(error).slice(0, MAX_ERROR_CHARS), taskIdParam(lease.taskId), this.name, lease.token],
      );
      if (rows.length) await this.notify(ex);
      return rows[0]?.status ?? null;
    });
  }

  async reapExpired(): Promise<number> {
    const expired = await this.driver.all(`SELECT 1 AS x FROM task_pool WHERE pool = ? AND status = 'running' AND lease_expires_at < ${this.now} LIMIT 1`, [this.name]);
    if (!expired.length) return 0;
    return this.tx(async (ex) => {
      const n = await this.reapOn(ex);
      if (n) await this.notify(ex);
      return n;
    });
  }

  private async reapOn(ex: SqlExecutor): Promise<number> {
    const r = await ex.run(
      `UPDATE task_pool SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE COALESCE(prior_status, 'waiting') END,
         last_error = '${LEASE_RAN_OUT}' || COALESCE(worker, '?') || ' ran out (the worker stopped or stalled) at attempt ' || attempts || ' of ' || max_attempts,
         lease_token = NULL, lease_expires_at = NULL, updated_at = ${this.now}
       WHERE id IN (SELECT id FROM task_pool WHERE pool = ? AND status = 'running' AND lease_expires_at < ${this.now}${this.skipLocked})`,
      [this.name],
    );
    return r.changes;
  }

  async get(id: string): Promise<PoolTask | undefined> {
    return (await this.query({ ids: [id] }))[0];
  }

  async query(query: PoolQuery = {}): Promise<PoolTask[]> {
    const w = this.where(query);
    const rows = await this.driver.all<PoolRow>(`SELECT * FROM task_pool WHERE ${w.sql} ORDER BY id`, w.params);
    return rows.map(toTask);
  }

  async remove(query: PoolQuery = {}): Promise<number> {
    const w = this.where(query);
    return this.tx(async (ex) => {
      const r = await ex.run(`DELETE FROM task_pool WHERE ${w.sql}`, w.params);
      if (r.changes) await this.notify(ex);
      return r.changes;
    });
  }

  async stat(query: PoolQuery = {}): Promise<TaskStat> {
    const w = this.where(query);
    const rows = await this.driver.all<{ status: PoolTaskStatus; n: number | string }>(`SELECT status, COUNT(*) AS n FROM task_pool WHERE ${w.sql} GROUP BY status`, w.params);
    const stat = emptyTaskStat();
    for (const r of rows) stat[r.status] = Number(r.n);
    return stat;
  }

  async resetWaiting(query: Omit<PoolQuery, 'status'> = {}): Promise<number> {
    return this.updateWhere(
      { ...query, status: 'running' },
      `status = COALESCE(prior_status, 'waiting'), attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, lease_token = NULL, lease_expires_at = NULL`,
    );
  }

  async retry(query: Omit<PoolQuery, 'status'> = {}): Promise<number> {
    return this.updateWhere({ ...query, status: 'failed' }, `status = CASE WHEN prior_status = 'part_done' THEN 'part_done' ELSE 'waiting' END, attempts = 0`);
  }

  async prioritize(ids: string | readonly string[], priority: number): Promise<number> {
    if (!Number.isFinite(priority)) throw new QonlineError('QONLINE_USAGE', `priority must be a finite number, got ${String(priority)}`);
    const list = typeof ids === 'string' ? [ids] : ids;
    if (!list.length) return 0;
    return this.updateWhere({ ids: list }, `priority = ?`, [priority]);
  }

  private async updateWhere(query: PoolQuery, set: string, setParams: unknown[] = []): Promise<number> {
    const w = this.where(query);
    return this.tx(async (ex) => {
      const r = await ex.run(`UPDATE task_pool SET ${set}, updated_at = ${this.now} WHERE ${w.sql}`, [...setParams, ...w.params]);
      if (r.changes) await this.notify(ex);
      return r.changes;
    });
  }

  async wait(options: WaitOptions = {}): Promise<TaskStat> {
    const statuses = options.statuses ?? UNDONE_STATUSES;
    const pollMs = options.pollMs ?? 1000;
    const deadline = options.timeoutMs !== undefined ? this.clock.now().getTime() + options.timeoutMs : Infinity;
    let last = '';
    for (;;) {
      await this.reapExpired();
      const stat = await this.stat(options.query);
      let total = 0;
      let pending = 0;
      for (const s of POOL_TASK_STATUSES) {
        total += stat[s];
        if (statuses.includes(s)) pending += stat[s];
      }
      const key = JSON.stringify(stat);
      if (key !== last) {
        last = key;
        options.onProgress?.({ done: total - pending, total, stat });
      }
      if (pending === 0) return stat;
      if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('waiting for the task pool was aborted');
      const left = deadline - this.clock.now().getTime();
      if (left <= 0) {
        throw new QonlineError('QONLINE_TASK_FAILED', `gave up waiting for pool ${this.name} after ${options.timeoutMs} ms: ${pending} task(s) still ${statuses.join('/')}`, {
          hint: 'start workers (`qonline worker CONFIG`) or check them with `qonline tasks list CONFIG`',
        });
      }
      await this.changed(Math.min(pollMs, left), options.signal);
    }
  }

  changed(ms: number, signal?: AbortSignal): Promise<void> {
    const bus = busOf(this.driver);
    this.listenOnce(bus);
    // A change of this pool, the caller's abort, or the clock's pause ends the wait, whichever comes first.
    const wake = new AbortController();
    const done = (): void => wake.abort();
    bus.emitter.on(this.name, done);
    signal?.addEventListener('abort', done, { once: true });
    if (signal?.aborted) done();
    return this.clock.sleep(Math.max(0, ms), wake.signal).finally(() => {
      bus.emitter.off(this.name, done);
      signal?.removeEventListener('abort', done);
      wake.abort();
    });
  }

  /** One LISTEN per driver feeds the bus (its failure only means polling). */
  private listenOnce(bus: Bus): void {
    if (bus.listening || !this.driver.listen) return;
    bus.listening = this.driver
      .listen(TASK_POOL_CHANNEL, (payload) => bus.emitter.emit(payload))
      .then(() => undefined)
      .catch(() => undefined);
  }

  private async notify(ex: SqlExecutor): Promise<void> {
    if (this.driver.notify) {
      await this.driver.notify(ex, TASK_POOL_CHANNEL, this.name);
    } else {
      const bus = busOf(this.driver);
      // After the current statement's turn: the woken reader queues behind the commit.
      setImmediate(() => bus.emitter.emit(this.name));
    }
  }

  /** The pool's own transactions lock the rows they change (skip-locked claims): read committed is enough and never spuriously fails. */
  private tx<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    return this.driver.transaction(fn, { isolation: 'read_committed' });
  }

  private executorOf(tx?: ExperimentStore): SqlExecutor {
    if (!tx) return this.driver;
    const ex = (tx as unknown as { executor?: SqlExecutor }).executor;
    if (!ex || typeof ex.run !== 'function') {
      throw new QonlineError('QONLINE_STORE', `task pool ${this.name} can join only a transaction of the SQL store of its own database (got a ${tx.backend} store)`);
    }
    return ex;
  }

  private where(query: PoolQuery): { sql: string; params: unknown[] } {
    const parts = ['pool = ?'];
    const params: unknown[] = [this.name];
    if (query.ids) {
      const ids = query.ids.filter((id) => /^\d+$/.test(String(id))).map(taskIdParam);
      if (!ids.length) parts.push('1 = 0');
      else {
        parts.push(`id IN (${ids.map(() => '?').join(', ')})`);
        params.push(...ids);
      }
    }
    if (query.status !== undefined) {
      const list = typeof query.status === 'string' ? [query.status] : [...query.status];
      for (const s of list) {
        if (!POOL_TASK_STATUSES.includes(s)) throw new QonlineError('QONLINE_USAGE', `unknown task status ${JSON.stringify(s)} (expected one of ${POOL_TASK_STATUSES.join(', ')})`);
      }
      if (!list.length) parts.push('1 = 0');
      else {
        parts.push(`status IN (${list.map(() => '?').join(', ')})`);
        params.push(...list);
      }
    }
    if (query.experiment !== undefined) {
      parts.push('experiment = ?');
      params.push(query.experiment);
    }
    if (query.hashes) {
      if (!query.hashes.length) parts.push('1 = 0');
      else {
        parts.push(`task_hash IN (${query.hashes.map(() => '?').join(', ')})`);
        params.push(...query.hashes);
      }
    }
    return { sql: parts.join(' AND '), params };
  }
}

function fetchStatuses(status: FetchOptions['status']): FetchableStatus[] {
  const list = status === undefined ? ['waiting' as const] : typeof status === 'string' ? [status] : [...status];
  for (const s of list) {
    if (s !== 'waiting' && s !== 'part_done') throw new QonlineError('QONLINE_USAGE', `tasks are fetched from waiting or part_done, not ${JSON.stringify(s)}`);
  }
  return list;
}

function checkLeaseSeconds(s: number): void {
  if (!(typeof s === 'number' && Number.isFinite(s) && s > 0)) throw new QonlineError('QONLINE_USAGE', `a lease lasts a positive number of seconds, got ${String(s)}`);
}

function checkMaxAttempts(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new QonlineError('QONLINE_USAGE', `max attempts must be an integer >= 1, got ${String(n)}`);
}

function taskIdParam(id: string): number {
  return Number(id);
}

function isoOf(epochSeconds: number): string {
  return new Date(Math.round(Number(epochSeconds) * 1000)).toISOString();
}

function toTask(r: PoolRow): PoolTask {
  const id = String(r.id);
  const running = r.status === 'running' && r.lease_token !== null;
  return {
    id,
    pool: r.pool,
    experiment: r.experiment,
    hash: r.task_hash,
    def: JSON.parse(r.def) as TaskDef,
    status: r.status,
    priorStatus: r.prior_status,
    phases: Number(r.phases) === 2 ? 2 : 1,
    priority: Number(r.priority),
    res: r.res === null ? null : (JSON.parse(r.res) as unknown),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lastError: r.last_error,
    lease: running ? { taskId: id, pool: r.pool, worker: r.worker ?? '', token: r.lease_token!, expiresAt: isoOf(r.lease_expires_at ?? 0) } : null,
    worker: r.worker,
    createdAt: isoOf(r.created_at),
    updatedAt: isoOf(r.updated_at),
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
