import { onConflictClause, questionMarkTuples, type SqlDialect, type SqlErrorKind } from '../../../core/index.js';

/**
 * SQLite's dialect: one writer at a time (`BEGIN IMMEDIATE`), so claims and
 * migrations need no row or advisory locks; times from `julianday('now')`.
 */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  nowEpochSeconds: `((julianday('now') - 2440587.5) * 86400.0)`,
  claimSkipLocked: '',
  forUpdate: '',
  identityPrimaryKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  // Score and signal rows live in their primary key's b-tree: no second index to maintain.
  keyedTableOptions: 'WITHOUT ROWID',
  transactionLock: () => null,
  upsert: onConflictClause,
  bulkValues: questionMarkTuples,
  // EXISTS and comparisons answer 0/1.
  bool: (v) => v === true || Number(v) === 1,
  classify: classifySqliteError,
};

export function classifySqliteError(e: unknown): SqlErrorKind {
  for (let err = e as { message?: unknown; cause?: unknown } | undefined, depth = 0; err && depth < 3; err = err.cause as typeof err, depth++) {
    const msg = typeof err.message === 'string' ? err.message : '';
    if (/SQLITE_BUSY|database is locked/i.test(msg)) return 'busy';
    if (/SQLITE_CONSTRAINT/.test(msg) && /UNIQUE|PRIMARY KEY/i.test(msg)) return 'unique_violation';
  }
  return 'other';
}
