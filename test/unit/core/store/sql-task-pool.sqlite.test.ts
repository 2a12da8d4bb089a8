import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { taskPoolContract } from '../../../contract/task-pool.contract.js';

taskPoolContract('SQLite', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-pool-')), 'store.sqlite');
  const store = await openSqliteStore(file);
  return {
    store,
    another: () => openSqliteStore(file),
    crossConnectionNotify: false,
    close: () => store.close(),
  };
});
