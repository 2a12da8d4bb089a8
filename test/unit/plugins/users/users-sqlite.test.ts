import path from 'node:path';
import type { ExperimentStore } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { usersContract } from '../../../contract/users.contract.js';
import { tempDir } from '../../../helpers/cli.js';

usersContract('SQLite', async () => {
  const file = path.join(tempDir('qonline-users-sqlite-'), 'store.sqlite');
  const store = await openSqliteStore(file);
  const others: ExperimentStore[] = [];
  return {
    store,
    async another() {
      const s = await openSqliteStore(file);
      others.push(s);
      return s;
    },
    async close() {
      for (const s of others) await s.close();
      await store.close();
    },
  };
});
