/** The minimum a SQL backend offers the shared SQL store: `?` placeholders everywhere. */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Largest number of bound parameters in one statement. */
  readonly maxParams: number;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: a pooled client). */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /**
   * Optional cross-process wake-ups (PostgreSQL NOTIFY): sent through `ex`, so
   * a notification inside a transaction goes out when it commits.
   */
  notify?(ex: SqlExecutor, channel: string, payload: string): Promise<void>;
  /** Optional: subscribes to `notify` from any process (PostgreSQL LISTEN on a dedicated connection). Returns the unsubscribe. */
  listen?(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Optional: a lock across processes and machines, held until released
   * (PostgreSQL advisory locks). `wait: false` returns null when another holder has it.
   */
  advisoryLock?(name: string, options?: { wait?: boolean }): Promise<(() => Promise<void>) | null>;
}

export interface TransactionOptions {
  /**
   * PostgreSQL: `serializable` (default) makes transactions behave as if run
   * one at a time, like SQLite's, retrying serialization failures (so `fn`
   * may run more than once and must only touch the database);
   * `read_committed` is for code that takes its own row locks (the task
   * pool's SKIP LOCKED claims). SQLite always runs one writer at a time.
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

/** Applies pending migrations in one transaction each; safe when several processes start at once. */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[], table = 'qonline_migrations'): Promise<number[]> {
  // Under the same lock as the migrations: two processes creating the table at once would collide on PostgreSQL.
  await driver.transaction(async (tx) => {
    if (driver.dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(4242)`);
    await tx.run(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  }, MIGRATION_TX);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    await driver.transaction(async (tx) => {
      if (driver.dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(4242)`);
      const done = await tx.all<{ version: number }>(`SELECT version FROM ${table} WHERE version = ?`, [m.version]);
      if (done.length) return;
      for (const stmt of splitSql(m.sql)) await tx.run(stmt);
      await tx.run(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`, [m.version, m.name, new Date().toISOString()]);
      applied.push(m.version);
    }, MIGRATION_TX);
  }
  return applied;
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

export function placeholders(rows: number, perRow: number): string {
  const one = '(' + new Array(perRow).fill('?').join(', ') + ')';
  return new Array(rows).fill(one).join(', ');
}
