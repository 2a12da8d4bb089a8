import type { ExperimentStore } from '../../../../core/index.js';
import { usersContract } from '../../../contract/users.contract.js';
import { dropSchema, freshSchema, openPgTestStore, pgTestUrl, requirePgOrExplainSkip } from '../../../helpers/pg.js';

const { url, skip } = pgTestUrl();
requirePgOrExplainSkip('users-postgres');

usersContract(
  'PostgreSQL',
  async () => {
    const schema = freshSchema('users');
    const store = await openPgTestStore(url!, schema);
    const others: ExperimentStore[] = [];
    return {
      store,
      async another() {
        const s = await openPgTestStore(url!, schema);
        others.push(s);
        return s;
      },
      async close() {
        for (const s of others) await s.close();
        await store.close();
        await dropSchema(url!, schema);
      },
    };
  },
  { skip: skip ?? (url ? undefined : 'QONLINE_TEST_PG_URL is not set') },
);
