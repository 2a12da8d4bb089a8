import { describe, expect, it } from 'vitest';
import { experimentStoreContract } from '../../../contract/experiment-store.contract.js';
import { taskPoolContract } from '../../../contract/task-pool.contract.js';
import { dropSchema, freshSchema, openPgTestStore, pgTestUrl, requirePgOrExplainSkip } from '../../../helpers/pg.js';
import { openPostgresStore, PgDriver, toPgPlaceholders } from '../../../../plugins/store-postgres/index.js';

const { url, skip } = pgTestUrl();
requirePgOrExplainSkip('store-postgres');

describe('toPgPlaceholders', () => {
  it('numbers ? in order and leaves quoted text and comments alone', () => {
    expect(toPgPlaceholders(`SELECT ? , '?', "a?" FROM t WHERE x = ? -- what?\n AND y IN (?, ?)`)).toBe(
      `SELECT $1 , '?', "a?" FROM t WHERE x = $2 -- what?\n AND y IN ($3, $4)`,
    );
    expect(toPgPlaceholders(`'it''s?' || ?`)).toBe(`'it''s?' || $1`);
  });
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const opts = { skip: skip ?? (url ? undefined : 'QONLINE_TEST_PG_URL is not set') };

experimentStoreContract('PostgreSQL', async () => openPgTestStore(url!, freshSchema(), true), { ...opts, notifies: true });

taskPoolContract(
  'PostgreSQL',
  async () => {
    const schema = freshSchema();
    const store = await openPgTestStore(url!, schema);
    const others: { close(): Promise<void> }[] = [];
    return {
      store,
      async another() {
        const s = await openPgTestStore(url!, schema);
        others.push(s);
        return s;
      },
      crossConnectionNotify: true,
      async close() {
        await store.close();
        for (const o of others) await o.close().catch(() => undefined);
        await dropSchema(url!, schema);
      },
    };
  },
  opts,
);

describe.skipIf(Boolean(opts.skip))('PostgreSQL driver', () => {
  it('fails (does not skip) when the server cannot be reached, naming host and database but not the password', async () => {
    const err = await PgDriver.open({ url: 'postgres://someone:s3cret@127.0.0.1:1/nodb', connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'QONLINE_STORE' });
    expect(String((err as Error).message)).toMatch(/127\.0\.0\.1:1\/nodb/);
    expect(String((err as Error).message)).not.toMatch(/s3cret/);
  });

  it('migrates once when several processes open a fresh schema at the same time', async () => {
    const schema = freshSchema();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: url!, schema, poolSize: 2 })));
      const d = await PgDriver.open({ url: url!, schema, poolSize: 1 });
      expect((await d.all<{ version: number }>('SELECT version FROM qonline_migrations ORDER BY version')).map((r) => r.version)).toEqual([1, 2, 3]);
      await d.close();
      for (const s of stores) await s.close();
    } finally {
      await dropSchema(url!, schema);
    }
  });

  it('binds up to 65535 parameters in one statement and rolls back a failed transaction', async () => {
    const schema = freshSchema();
    const d = await PgDriver.open({ url: url!, schema, poolSize: 2 });
    try {
      await d.run('CREATE TABLE t (a INTEGER)');
      const n = 65535;
      const rows = await d.all<{ c: number }>(`SELECT COUNT(*) AS c FROM (VALUES ${new Array(n).fill('(?::int)').join(', ')}) v(x)`, Array.from({ length: n }, (_, i) => i));
      expect(rows[0]!.c).toBe(n);
      await expect(
        d.transaction(async (tx) => {
          await tx.run('INSERT INTO t (a) VALUES (?)', [1]);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await d.all<{ c: number }>('SELECT COUNT(*) AS c FROM t'))[0]!.c).toBe(0);
      await d.transaction(async (tx) => tx.run('INSERT INTO t (a) VALUES (?), (?)', [1, 2]));
      expect((await d.all<{ c: number }>('SELECT COUNT(*) AS c FROM t'))[0]!.c).toBe(2);
    } finally {
      await d.close();
      await dropSchema(url!, schema);
    }
  });

  it('LISTEN survives its connection being killed: it reconnects and listens again', async () => {
    const schema = freshSchema();
    const d = await PgDriver.open({ url: url!, schema, poolSize: 2, applicationName: `qonline_listen_${schema}` });
    const other = await PgDriver.open({ url: url!, schema, poolSize: 1 });
    try {
      const got: string[] = [];
      await d.listen('chan', (p) => got.push(p), () => got.push('(resubscribed)'));
      await other.transaction((tx) => other.notify(tx, 'chan', 'one'));
      await until(() => got.includes('one'));
      const killed = await other.all<{ n: number }>(
        `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'`,
        [`qonline_listen_${schema}`],
      );
      expect(killed[0]!.n).toBe(1);
      // Back on a new connection, the subscriber is told (what was sent meanwhile is lost).
      await until(() => got.includes('(resubscribed)'), 10_000);
      await other.transaction((tx) => other.notify(tx, 'chan', 'two'));
      await until(() => got.includes('two'));
    } finally {
      await d.close();
      await other.close();
      await dropSchema(url!, schema);
    }
  });

  it('holds a session advisory lock on its own connection until released or closed', async () => {
    const a = await PgDriver.open({ url: url!, poolSize: 1 });
    const b = await PgDriver.open({ url: url!, poolSize: 1 });
    const name = freshSchema('lock');
    try {
      const release = await a.advisoryLock(name);
      expect(release).not.toBeNull();
      expect(await b.advisoryLock(name)).toBeNull();
      await release!();
      const again = await b.advisoryLock(name);
      expect(again).not.toBeNull();
      await b.close(); // closing the driver frees the lock
      const third = await a.advisoryLock(name);
      expect(third).not.toBeNull();
      await third!();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
