import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type sqlite3 from 'sqlite3';
import { QonlineError, type SqlDriver, type SqlExecutor } from '../../../core/index.js';
import { classifySqliteError, sqliteDialect } from './sqlite-dialect.js';

/**
 * `sqlite3` (a native addon), loaded when a store opens: `validate`, `--help`
 * and commands without a store do not pay its load, and a CommonJS require
 * skips the export scan an ES import of it costs.
 */
const requireCjs = createRequire(import.meta.url);
let sqliteModule: typeof sqlite3 | undefined;
const sqliteLib = (): typeof sqlite3 => (sqliteModule ??= requireCjs('sqlite3') as typeof sqlite3);

/**
 * A serialising async mutex: statements of different async flows would
 * otherwise interleave inside one connection's transaction.
 */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    return prev.then(() => release);
  }
}

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  file: string;
  /** Milliseconds to wait for another process's write lock. */
  busyTimeoutMs?: number;
  /**
   * For readers that must write nothing (`qonline doctor`): open the file
   * only if it exists, and leave its journal mode alone. (It is opened for
   * writing all the same when it can be: a read-only connection to a WAL
   * database leaves its -wal and -shm files behind, a read-write one
   * removes them when it closes.)
   */
  existingOnly?: boolean;
}

/**
 * SQLite's own busy handler sleeps inside libuv's thread pool (4 threads by
 * default, shared by the whole process, worker threads included): with more
 * connections waiting for the write lock than threads, the holder's next
 * statement cannot run and everyone stalls until the timeout. So the
 * handler only waits a short slice and the rest of the waiting happens here,
 * between attempts, off the pool.
 */
const BUSY_SLICE_MS = 0;

/** Prepared statements kept per connection, and the longest SQL kept (long ones are multi-row writes, rarely repeated). */
const MAX_CACHED_STATEMENTS = 64;
const MAX_CACHED_SQL = 2000;
/**
 * Statements `run` may keep: ones that finish in one step. Anything returning
 * rows (a PRAGMA, RETURNING) would stay open after run's single step,
 * holding its read lock, so those are prepared afresh each time.
 */
const RUN_REUSABLE = /^\s*(INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

export class SqliteDriver implements SqlDriver {
  readonly dialect = sqliteDialect;
  // SQLite >= 3.32 allows 32766 variables; stay well under.
  readonly maxParams = 30000;
  private readonly mutex = new Mutex();
  /** Prepared statements by SQL text, oldest first (see `statement`); undefined once closing. */
  private statements: Map<string, Promise<sqlite3.Statement>> | undefined = new Map();

  private constructor(
    private readonly db: sqlite3.Database,
    readonly file: string,
    private readonly busyTimeoutMs: number,
  ) {}

  static async open(options: SqliteOptions): Promise<SqliteDriver> {
    if (options.file !== ':memory:' && !options.existingOnly) mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    const sqlite3 = sqliteLib();
    const openWith = (mode: number | undefined): Promise<sqlite3.Database> =>
      new Promise<sqlite3.Database>((resolve, reject) => {
        const done = (err: Error | null): void => (err ? reject(storeError(err, `open ${options.file}`)) : resolve(d));
        const d = mode === undefined ? new sqlite3.Database(options.file, done) : new sqlite3.Database(options.file, mode, done);
      });
    const db = options.existingOnly
      ? await openWith(sqlite3.OPEN_READWRITE | sqlite3.OPEN_FULLMUTEX).catch(() => openWith(sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX))
      : await openWith(undefined);
    const driver = new SqliteDriver(db, options.file, options.busyTimeoutMs ?? 15000);
    db.configure('busyTimeout', Math.min(BUSY_SLICE_MS, driver.busyTimeoutMs));
    if (options.existingOnly) return driver;
    // Switching to WAL needs a moment alone with the file: processes opening a new store together take turns.
    // One round trip for the three settings: a busy journal_mode stops the batch before the other two, which
    // only set this connection's options, so running the whole batch again is safe.
    await driver.whileBusy(() => driver.rawExec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON'));
    return driver;
  }

  /** Runs `fn` again while it fails with SQLITE_BUSY (it then did nothing), up to the busy timeout. */
  private async whileBusy<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isBusy(e) || Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 1 + 2 ** attempt)));
      }
    }
  }

  private rawRun(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    const reusable = this.statements && sql.length <= MAX_CACHED_SQL && RUN_REUSABLE.test(sql) && !/\bRETURNING\b/i.test(sql);
    if (reusable) {
      return this.statement(sql).then(
        (st) =>
          new Promise((resolve, reject) => {
            st.run(params as unknown[], function (this: sqlite3.RunResult, err: Error | null) {
              if (err) reject(storeError(err, sql));
              else resolve({ changes: this.changes });
            });
          }),
      );
    }
    return new Promise((resolve, reject) => {
      this.db.run(sql, params as unknown[], function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(storeError(err, sql));
        else resolve({ changes: this.changes });
      });
    });
  }

  /**
   * The prepared statement of `sql`, prepared on first use and kept (the
   * newest MAX_CACHED_STATEMENTS): `db.all`/`db.run` prepare, run and finalize
   * a statement each time, two trips through libuv's thread pool; a kept one
   * takes one (a routine sends the same few reads ~100 times). A statement
   * that failed to prepare is not kept.
   */
  private statement(sql: string): Promise<sqlite3.Statement> {
    const cache = this.statements!;
    const hit = cache.get(sql);
    if (hit) {
      // Newest last: the Map's first entry is the one evicted.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const prepared = new Promise<sqlite3.Statement>((resolve, reject) => {
      const st = this.db.prepare(sql, (err: Error | null) => {
        if (!err) return resolve(st);
        if (cache.get(sql) === prepared) cache.delete(sql);
        reject(storeError(err, sql));
      });
    });
    cache.set(sql, prepared);
    if (cache.size > MAX_CACHED_STATEMENTS) {
      const [oldest, evicted] = cache.entries().next().value as [string, Promise<sqlite3.Statement>];
      cache.delete(oldest);
      // Finalized after the calls already queued on it (the statement's own queue).
      evicted.then((st) => st.finalize(), () => undefined);
    }
    return prepared;
  }

  /** Runs several statements without parameters in one call (sqlite3_exec). */
  private rawExec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err: Error | null) => (err ? reject(storeError(err, sql)) : resolve()));
    });
  }

  private rawAll<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.statements && sql.length <= MAX_CACHED_SQL) {
      // all() steps to the end, so a kept statement holds no read lock between calls.
      return this.statement(sql).then(
        (st) => new Promise<T[]>((resolve, reject) => st.all(params as unknown[], (err: Error | null, rows: T[]) => (err ? reject(storeError(err, sql)) : resolve(rows)))),
      );
    }
    return new Promise((resolve, reject) => {
      this.db.all(sql, params as unknown[], (err: Error | null, rows: T[]) => (err ? reject(storeError(err, sql)) : resolve(rows)));
    });
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const release = await this.mutex.lock();
    try {
      // Outside a transaction each statement commits alone: a busy one did nothing and may run again.
      return await this.whileBusy(() => this.rawAll<T>(sql, params));
    } finally {
      release();
    }
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    const release = await this.mutex.lock();
    try {
      return await this.whileBusy(() => this.rawRun(sql, params));
    } finally {
      release();
    }
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so read-modify-write cannot deadlock across processes. */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const release = await this.mutex.lock();
    try {
      await this.beginImmediate();
      const tx: SqlExecutor = { all: (s, p) => this.rawAll(s, p), run: (s, p) => this.rawRun(s, p) };
      let result: T;
      try {
        result = await fn(tx);
      } catch (e) {
        await this.rawRun('ROLLBACK').catch(() => undefined);
        throw e;
      }
      await this.rawRun('COMMIT');
      return result;
    } finally {
      release();
    }
  }

  private async beginImmediate(): Promise<void> {
    await this.whileBusy(() => this.rawRun('BEGIN IMMEDIATE'));
  }

  /** Changes whenever another connection commits (cheap polling for readers). */
  async dataVersion(): Promise<number> {
    const rows = await this.all<{ data_version: number }>('PRAGMA data_version');
    return Number(rows[0]?.data_version ?? 0);
  }

  async close(): Promise<void> {
    const release = await this.mutex.lock();
    try {
      // SQLite does not close a connection with statements still prepared.
      const kept = [...(this.statements?.values() ?? [])];
      this.statements = undefined;
      for (const st of await Promise.allSettled(kept)) {
        if (st.status === 'fulfilled') await new Promise<void>((resolve) => st.value.finalize(() => resolve()));
      }
      await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(storeError(err, 'close')) : resolve())));
    } finally {
      release();
    }
  }
}

function isBusy(e: unknown): boolean {
  return classifySqliteError(e) === 'busy';
}

function storeError(err: Error, what: string): QonlineError {
  const locked = isBusy(err);
  return new QonlineError(locked ? 'QONLINE_STORE_LOCKED' : 'QONLINE_STORE', `SQLite: ${err.message} (in ${what.trim().split('\n')[0]!.slice(0, 80)})`, { cause: err });
}
