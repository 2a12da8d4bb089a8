import { QonlineError } from '../errors/index.js';
import { questionMarkTuples, type SqlDialect } from './sql-dialect.js';

/** The minimum a SQL backend offers the shared SQL store: `?` placeholders everywhere. */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

/**
 * A SQL database as the shared store and task pool use it, given by a store
 * plugin. Everything specific to the database is in `dialect`.
 */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** Largest number of bound parameters in one statement. */
  readonly maxParams: number;
  /** Runs `fn` in one transaction on one connection; write transactions must not interleave in a way `isolation` forbids. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /**
   * Optional cross-process wake-ups (e.g. NOTIFY): sent through `ex`, so
   * a notification inside a transaction goes out when it commits.
   */
  notify?(ex: SqlExecutor, channel: string, payload: string): Promise<void>;
  /**
   * Optional: subscribes to `notify` from any process (e.g. LISTEN on a
   * dedicated connection). Returns the unsubscribe. `onResubscribed` runs when
   * the subscription was re-established after its connection dropped:
   * notifications sent meanwhile are lost, so a subscriber re-reads what it watches.
   */
  listen?(channel: string, onMessage: (payload: string) => void, onResubscribed?: () => void): Promise<() => Promise<void>>;
  /**
   * Optional: a lock across processes and machines, held until released
   * (e.g. session advisory locks). `wait: false` returns null when another holder has it.
   */
  advisoryLock?(name: string, options?: { wait?: boolean }): Promise<(() => Promise<void>) | null>;
}

export interface TransactionOptions {
  /**
   * `serializable` (default): transactions behave as if run one at a time; a
   * driver may get there by retrying serialization failures, so `fn` may run
   * more than once and must only touch the database. `read_committed` is for
   * code that takes its own row locks (the task pool's skip-locked claims).
   * A database that runs one writer at a time satisfies both.
   */
  isolation?: 'serializable' | 'read_committed';
}

/** A forward-only schema migration. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Each migration reads what is applied after taking the lock, so it must see commits made while it waited.
const MIGRATION_TX: TransactionOptions = { isolation: 'read_committed' };

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Applies pending migrations in one transaction each; safe when several
 * processes start at once (the dialect's transaction lock serialises them).
 * `table` records what is applied: each owner of migrations (the store, a
 * plugin) has its own, so version numbers never collide.
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[], table = 'qonline_migrations'): Promise<number[]> {
  if (!IDENT_RE.test(table)) throw new QonlineError('QONLINE_USAGE', `a migration table name must be a plain identifier, got ${JSON.stringify(table)}`);
  const lock = async (tx: SqlExecutor): Promise<void> => {
    const l = driver.dialect.transactionLock('qonline:migrations');
    if (l) await tx.all(l.sql, l.params);
  };
  // Under the same lock as the migrations: two processes creating the table at once could collide.
  await driver.transaction(async (tx) => {
    await lock(tx);
    await tx.run(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  }, MIGRATION_TX);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    await driver.transaction(async (tx) => {
      await lock(tx);
      const done = await tx.all<{ version: number }>(`SELECT version FROM ${table} WHERE version = ?`, [m.version]);
      if (done.length) return;
      for (const stmt of splitSql(m.sql)) await tx.run(stmt);
      await tx.run(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`, [m.version, m.name, new Date().toISOString()]);
      applied.push(m.version);
    }, MIGRATION_TX);
  }
  return applied;
}

/** Migrations as a list, or built from the dialect (for identity columns, table options...). */
export type MigrationSource = readonly Migration[] | ((dialect: SqlDialect) => readonly Migration[]);

/** The table recording the migrations of `owner` (a plugin name): `qonline_migrations__<owner>`. */
export function migrationTable(owner: string): string {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(owner)) {
    throw new QonlineError('QONLINE_USAGE', `a migration owner is a lowercase name (letters, digits, _; at most 41 characters), got ${JSON.stringify(owner)}`);
  }
  return `qonline_migrations__${owner}`;
}

function splitSql(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Splits `rows` into chunks whose parameter count fits the driver. */
export function chunkRows<T>(rows: readonly T[], paramsPerRow: number, maxParams: number): T[][] {
  const size = Math.max(1, Math.floor(maxParams / paramsPerRow));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** `rows` tuples of `perRow` `?` placeholders (prefer `driver.dialect.bulkValues`). */
export function placeholders(rows: number, perRow: number): string {
  return questionMarkTuples(rows, perRow);
}
