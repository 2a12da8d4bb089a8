import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../../plugins/store-postgres/index.js';
import { freshSchema, pgTestUrl, requirePgOrExplainSkip } from '../../../helpers/pg.js';

const { url, skip } = pgTestUrl();
requirePgOrExplainSkip('PostgreSQL manager lock');

describe.skipIf(!url)('PostgreSQL store: the manager lock every machine sees', () => {
  it('a second holder is refused until the first releases', async () => {
    const schema = freshSchema('lock');
    const a = await openPostgresStore({ url: url!, schema });
    const b = await openPostgresStore({ url: url!, schema });
    try {
      const release = await a.tryLock('qonline:manager:m');
      expect(release).toBeTypeOf('function');
      expect(await b.tryLock('qonline:manager:m')).toBeNull();
      // Another manager's lock is independent.
      const other = await b.tryLock('qonline:manager:other');
      expect(other).toBeTypeOf('function');
      await other!();
      await release!();
      const again = await b.tryLock('qonline:manager:m');
      expect(again).toBeTypeOf('function');
      await again!();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
void skip;
