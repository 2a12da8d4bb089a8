import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqlExperimentStore, type SqlDialect, type SqlDriver, type SqlExecutor, type TransactionOptions } from '../../../../core/index.js';
import { sqliteDialect, SqliteDriver } from '../../../../plugins/store-sqlite/index.js';
import { experimentStoreContract } from '../../../contract/experiment-store.contract.js';
import { taskPoolContract } from '../../../contract/task-pool.contract.js';

/**
 * A backend core has never heard of: a driver with a dialect object of its
 * own name (its SQL fragments are SQLite's, since the database underneath is
 * SQLite). Both contract suites pass: core takes everything from the dialect
 * object and never looks at a name.
 */
const thirdDialect: SqlDialect = { ...sqliteDialect, name: 'third-backend' };

class ThirdDriver implements SqlDriver {
  readonly dialect = thirdDialect;
  readonly maxParams: number;
  constructor(private readonly inner: SqliteDriver) {
    this.maxParams = inner.maxParams;
  }
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.inner.all<T>(sql, params);
  }
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.inner.run(sql, params);
  }
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.inner.transaction(fn);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function openThird(file: string): Promise<SqlExperimentStore> {
  return SqlExperimentStore.open(new ThirdDriver(await SqliteDriver.open({ file })));
}

const freshFile = (): string => path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-third-')), 'store.db');

experimentStoreContract('third backend (a dialect object core does not know)', () => openThird(freshFile()));

taskPoolContract('third backend (a dialect object core does not know)', async () => {
  const file = freshFile();
  const store = await openThird(file);
  return { store, another: () => openThird(file), crossConnectionNotify: false, close: () => store.close() };
});
