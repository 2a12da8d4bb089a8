import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { experimentStoreContract } from '../../../contract/experiment-store.contract.js';

experimentStoreContract('SQLite', async () => openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-sqlite-')), 'store.sqlite')));
