/**
 * What differs between SQL databases, given by the plugin that drives one
 * (`SqlDriver.dialect`). The shared SQL store and task pool write portable
 * SQL with `?` placeholders and take every database-specific fragment and
 * decision from here: core names no database. A new SQL backend is a plugin
 * with a driver and a dialect, and passes the contract suites.
 */
export interface SqlDialect {
  /** The backend's name, for messages and `ExperimentStore.backend` only; never branched on. */
  readonly name: string;
  /** An SQL expression: the database's current time in epoch seconds (a double). Leases use it, never a process clock. */
  readonly nowEpochSeconds: string;
  /**
   * Appended to the subquery that picks the row a claim takes: locks the row
   * and skips rows other transactions hold, so claimers pass each other by
   * (a skip-locked row lock); empty where a statement runs alone anyway.
   */
  readonly claimSkipLocked: string;
  /** Appended to a SELECT inside a transaction to lock what it read until commit; empty where transactions run one at a time. */
  readonly forUpdate: string;
  /** Column definition of an auto-generated integer primary key. */
  readonly identityPrimaryKey: string;
  /** Table options for tables keyed by a composite primary key and read by key ranges; may be empty. */
  readonly keyedTableOptions: string;
  /**
   * A statement that, run first inside a transaction, serialises it with
   * every other transaction that runs it with the same key, in any process
   * (an advisory transaction lock); null where write transactions are serial
   * already. Migrations use it.
   */
  transactionLock(key: string): { sql: string; params: unknown[] } | null;
  /**
   * The conflict clause of an upsert into a table whose unique key is
   * `conflict`: `update` lists the columns set from the proposed row, or
   * 'nothing' to keep the existing row; `where` (optional, over the stored
   * row as `<table>.<column>`) restricts the update.
   */
  upsert(conflict: readonly string[], update: readonly string[] | 'nothing', where?: string): string;
  /** The VALUES list of a bulk insert: `rows` tuples, each `row` (a tuple text) or `row` placeholders. */
  bulkValues(rows: number, row: number | string): string;
  /** A boolean read from a result row (some databases answer 0/1). */
  bool(value: unknown): boolean;
  /** What kind of failure a statement's error is (the driver's wrapped errors included). */
  classify(error: unknown): SqlErrorKind;
}

/**
 * - `unique_violation`: a unique or primary key constraint refused the row.
 * - `busy`: another connection holds a lock; the statement did nothing.
 * - `retry`: the transaction was aborted to keep it serialisable (or broke a deadlock) and may run again.
 * - `other`: anything else.
 */
export type SqlErrorKind = 'unique_violation' | 'busy' | 'retry' | 'other';

/** Tuples of `?` placeholders: the common form of `SqlDialect.bulkValues`. */
export function questionMarkTuples(rows: number, row: number | string): string {
  const one = typeof row === 'string' ? row : '(' + new Array(row).fill('?').join(', ') + ')';
  return new Array(rows).fill(one).join(', ');
}

/** The `ON CONFLICT` upsert clause shared by databases that support it (the common form of `SqlDialect.upsert`). */
export function onConflictClause(conflict: readonly string[], update: readonly string[] | 'nothing', where?: string): string {
  if (update === 'nothing' || !update.length) return `ON CONFLICT (${conflict.join(', ')}) DO NOTHING`;
  return `ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(', ')}${where ? ` WHERE ${where}` : ''}`;
}
