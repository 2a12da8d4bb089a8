import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentStore, FetchedTask, TaskDef, TaskPool, TaskPoolHost, WaitProgress } from '../../core/index.js';

export type PoolStore = ExperimentStore & TaskPoolHost;

export interface PoolHarness {
  /** A store over a fresh, empty database. */
  store: PoolStore;
  /** Another connection to the same database, as another process would open. */
  another(): Promise<PoolStore>;
  /** Whether a change made through one connection wakes `changed()` on another (LISTEN/NOTIFY). */
  crossConnectionNotify: boolean;
  close(): Promise<void>;
}

/** A small task definition; `n` makes it distinct. */
export function poolTaskDef(n: number, extra: Record<string, unknown> = {}): TaskDef {
  return {
    model: { class: 'Linear', kwargs: { alpha: n, ...extra } },
    dataset: {
      class: 'DatasetH',
      kwargs: {
        handler: { class: 'ExprHandler', kwargs: { instruments: 'csi300', start_time: '2019-01-01' } },
        segments: { train: ['2019-01-01', '2019-12-31'], test: ['2020-01-01', null] },
      },
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The task-pool contract: SQLite and PostgreSQL run exactly this suite.
 * Leases are short (fractions of a second) so expiry is tested for real,
 * on the database's clock.
 */
export function taskPoolContract(name: string, open: () => Promise<PoolHarness>, opts: { skip?: string } = {}): void {
  describe.skipIf(Boolean(opts.skip))(`TaskPool contract: ${name}`, () => {
    let h: PoolHarness;
    let pool: TaskPool;
    beforeEach(async () => {
      h = await open();
      pool = h.store.taskPools().pool('p', { leaseSeconds: 30, maxAttempts: 3 });
    });
    afterEach(async () => {
      await h?.close();
    });

    it('creates idempotently by canonical definition (key order, 1 vs 1.0), per experiment, ids in input order', async () => {
      const a = poolTaskDef(1);
      const reordered = JSON.parse('{"dataset":' + JSON.stringify(a.dataset) + ',"model":{"kwargs":{"alpha":1.0},"class":"Linear"}}') as TaskDef;
      const ids = await pool.create([
        { def: a, experiment: 'e' },
        { def: poolTaskDef(2), experiment: 'e' },
      ]);
      expect(ids).toHaveLength(2);
      expect(ids[0]).not.toBe(ids[1]);
      const again = await pool.create([
        { def: poolTaskDef(2), experiment: 'e' },
        { def: reordered, experiment: 'e' },
        { def: a, experiment: 'other' },
      ]);
      expect(again[0]).toBe(ids[1]);
      expect(again[1]).toBe(ids[0]);
      expect(again[2]).not.toBe(ids[0]);
      const stat = await pool.stat();
      expect(stat).toEqual({ waiting: 3, running: 0, part_done: 0, done: 0, failed: 0 });
      const t = (await pool.get(ids[0]!))!;
      expect(t.def).toEqual(a);
      expect(t.experiment).toBe('e');
      expect(t.status).toBe('waiting');
      expect(t.attempts).toBe(0);
      expect(t.maxAttempts).toBe(3);
      expect(t.phases).toBe(1);
      expect(t.lease).toBeNull();
      // Pools are separate namespaces.
      const other = h.store.taskPools().pool('q');
      expect((await other.create([{ def: a, experiment: 'e' }]))[0]).not.toBe(ids[0]);
      expect(await h.store.taskPools().listPools()).toEqual(['p', 'q']);
    });

    it('fetches by priority, then oldest, filtered by query, with a lease in database time', async () => {
      const ids = await pool.create([1, 2, 3, 4].map((n) => ({ def: poolTaskDef(n), experiment: n === 4 ? 'x' : 'e' })));
      await pool.prioritize(ids[2]!, 5);
      const before = Date.now();
      const f1 = (await pool.fetch({ worker: 'w1' }))!;
      expect(f1.task.id).toBe(ids[2]);
      expect(f1.task.status).toBe('running');
      expect(f1.task.priorStatus).toBe('waiting');
      expect(f1.task.attempts).toBe(1);
      expect(f1.lease.worker).toBe('w1');
      expect(f1.lease.taskId).toBe(ids[2]);
      expect(f1.lease.token).toMatch(/\w{8,}/);
      const expires = Date.parse(f1.lease.expiresAt);
      // 30 s lease on the database's clock (this machine's clock is the same one here, give or take).
      expect(expires - before).toBeGreaterThan(25_000);
      expect(expires - before).toBeLessThan(35_000);
      expect((await pool.fetch({ worker: 'w1' }))!.task.id).toBe(ids[0]);
      expect((await pool.fetch({ worker: 'w1', query: { experiment: 'x' } }))!.task.id).toBe(ids[3]);
      expect(await pool.fetch({ worker: 'w1', query: { ids: [ids[0]!, ids[3]!] } })).toBeNull();
      expect((await pool.fetch({ worker: 'w1', query: { ids: [ids[1]!] } }))!.task.id).toBe(ids[1]);
      expect(await pool.fetch({ worker: 'w1' })).toBeNull();
      expect((await pool.stat()).running).toBe(4);
      const running = await pool.query({ status: 'running', experiment: 'e' });
      expect(running.map((t) => t.id).sort()).toEqual([ids[0], ids[1], ids[2]].sort());
      expect(running.every((t) => t.lease?.worker === 'w1' && t.worker === 'w1')).toBe(true);
    });

    it('never hands one task to two concurrent fetchers, across connections', async () => {
      const n = 24;
      const ids = await pool.create(Array.from({ length: n }, (_, i) => ({ def: poolTaskDef(i), experiment: 'e' })));
      const s2 = await h.another();
      try {
        const pool2 = s2.taskPools().pool('p');
        const fetchers = Array.from({ length: 2 * n }, (_, i) => (i % 2 ? pool : pool2).fetch({ worker: `w${i}` }));
        const got = (await Promise.all(fetchers)).filter((f): f is FetchedTask => f !== null);
        const taken = got.map((f) => f.task.id);
        expect(new Set(taken).size).toBe(taken.length);
        // Every task is taken exactly once (a fetcher may come back empty-handed while others claim).
        const rest: string[] = [];
        for (let f = await pool.fetch({ worker: 'late' }); f; f = await pool.fetch({ worker: 'late' })) rest.push(f.task.id);
        expect([...taken, ...rest].sort()).toEqual([...ids].sort());
        expect(new Set(got.map((f) => f.lease.token)).size).toBe(got.length);
        expect((await pool.query()).every((t) => t.attempts === 1)).toBe(true);
      } finally {
        await s2.close();
      }
    });

    it('commits a result exactly once, and only with the current lease', async () => {
      const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      const f = (await pool.fetch({ worker: 'w1' }))!;
      await pool.commitResult(f.lease, 'rec-1');
      const t = (await pool.get(id!))!;
      expect(t.status).toBe('done');
      expect(t.res).toBe('rec-1');
      expect(t.lease).toBeNull();
      expect(t.worker).toBe('w1');
      await expect(pool.commitResult(f.lease, 'rec-2')).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
      await expect(pool.renewLease(f.lease)).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
      expect((await pool.get(id!))!.res).toBe('rec-1');
      expect(await pool.fetch({ worker: 'w2' })).toBeNull();
    });

    it('returns a task whose lease ran out to the pool; the old holder can no longer renew, commit or fail it', async () => {
      const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      const old = (await pool.fetch({ worker: 'dead', leaseSeconds: 0.3 }))!;
      expect(await pool.fetch({ worker: 'w2' })).toBeNull();
      await sleep(450);
      const s2 = await h.another();
      try {
        const pool2 = s2.taskPools().pool('p');
        const next = (await pool2.fetch({ worker: 'w2' }))!;
        expect(next.task.id).toBe(id);
        expect(next.task.attempts).toBe(2);
        expect(next.task.priorStatus).toBe('waiting');
        expect(next.lease.token).not.toBe(old.lease.token);
        await expect(pool.renewLease(old.lease)).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
        await expect(pool.commitResult(old.lease, 'stale')).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
        expect(await pool.failTask(old.lease, 'late error')).toBeNull();
        expect(await pool.returnTask(old.lease)).toBe(false);
        await pool2.commitResult(next.lease, 'fresh');
        const t = (await pool.get(id!))!;
        expect(t.res).toBe('fresh');
        expect(t.status).toBe('done');
        expect(t.worker).toBe('w2');
      } finally {
        await s2.close();
      }
    });

    it('keeps a renewed lease past its first expiry; reapExpired frees an abandoned one with its reason', async () => {
      const [a, b] = await pool.create([
        { def: poolTaskDef(1), experiment: 'e' },
        { def: poolTaskDef(2), experiment: 'e' },
      ]);
      const kept = (await pool.fetch({ worker: 'alive', leaseSeconds: 0.4, query: { ids: [a!] } }))!;
      await pool.fetch({ worker: 'gone', leaseSeconds: 0.4, query: { ids: [b!] } });
      let lease = kept.lease;
      for (let i = 0; i < 6; i++) {
        await sleep(150);
        const renewed = await pool.renewLease(lease, 0.4);
        expect(Date.parse(renewed.expiresAt)).toBeGreaterThanOrEqual(Date.parse(lease.expiresAt));
        lease = renewed;
      }
      expect(await pool.reapExpired()).toBe(1);
      const [ta, tb] = [(await pool.get(a!))!, (await pool.get(b!))!];
      expect(ta.status).toBe('running');
      expect(tb.status).toBe('waiting');
      expect(tb.lastError).toMatch(/lease of worker gone ran out/);
      expect(tb.attempts).toBe(1);
      await pool.commitResult(lease, 'ok');
      expect((await pool.get(a!))!.status).toBe('done');
    });

    it('counts attempts: failures go back to the prior status, the last one ends failed with its error; retry revives', async () => {
      const p2 = h.store.taskPools().pool('p', { leaseSeconds: 30, maxAttempts: 2 });
      const [id] = await p2.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      const f1 = (await p2.fetch({ worker: 'w' }))!;
      expect(await p2.failTask(f1.lease, 'boom 1')).toBe('waiting');
      let t = (await p2.get(id!))!;
      expect([t.status, t.attempts, t.lastError]).toEqual(['waiting', 1, 'boom 1']);
      const f2 = (await p2.fetch({ worker: 'w' }))!;
      expect(f2.task.attempts).toBe(2);
      expect(await p2.failTask(f2.lease, 'boom 2')).toBe('failed');
      t = (await p2.get(id!))!;
      expect([t.status, t.attempts, t.lastError]).toEqual(['failed', 2, 'boom 2']);
      expect(await p2.fetch({ worker: 'w' })).toBeNull();
      expect((await p2.wait({ pollMs: 20 })).failed).toBe(1);
      expect(await p2.retry()).toBe(1);
      t = (await p2.get(id!))!;
      expect([t.status, t.attempts, t.lastError]).toEqual(['waiting', 0, 'boom 2']);
      // A lease that runs out at the last attempt also ends failed.
      await p2.fetch({ worker: 'w', leaseSeconds: 30 }).then((f) => p2.failTask(f!.lease, 'boom 3'));
      await p2.fetch({ worker: 'dies', leaseSeconds: 0.2 });
      await sleep(350);
      expect(await p2.reapExpired()).toBe(1);
      t = (await p2.get(id!))!;
      expect(t.status).toBe('failed');
      expect(t.lastError).toMatch(/lease of worker dies ran out .*attempt 2 of 2/);
    });

    it('safeFetch hands the task back in its prior status when the work throws, and passes results through', async () => {
      const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e', phases: 2 }]);
      await expect(pool.safeFetch({ worker: 'w' }, async () => Promise.reject(new Error('no data')))).rejects.toThrow('no data');
      let t = (await pool.get(id!))!;
      expect([t.status, t.attempts, t.lastError]).toEqual(['waiting', 1, 'no data']);
      const r = await pool.safeFetch({ worker: 'w' }, async (f) => {
        await pool.commitResult(f.lease, 'rec', { status: 'part_done' });
        return 42;
      });
      expect(r?.result).toBe(42);
      t = (await pool.get(id!))!;
      expect([t.status, t.attempts]).toEqual(['part_done', 0]);
      await expect(pool.safeFetch({ worker: 'w', status: 'part_done' }, async () => Promise.reject(new Error('predict failed')))).rejects.toThrow('predict failed');
      t = (await pool.get(id!))!;
      expect([t.status, t.attempts, t.lastError, t.res]).toEqual(['part_done', 1, 'predict failed', 'rec']);
      expect(await pool.safeFetch({ worker: 'w' }, async () => 1)).toBeNull();
    });

    it('runs two phases: waiting -> part_done -> done, fetching each phase from its status', async () => {
      const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e', phases: 2 }]);
      expect(await pool.fetch({ worker: 'w', status: 'part_done' })).toBeNull();
      const p1 = (await pool.fetch({ worker: 'w', status: ['waiting', 'part_done'] }))!;
      expect(p1.task.priorStatus).toBe('waiting');
      expect(p1.task.phases).toBe(2);
      await pool.commitResult(p1.lease, 'rec-9', { status: 'part_done' });
      expect(await pool.fetch({ worker: 'w' })).toBeNull();
      const p2 = (await pool.fetch({ worker: 'w2', status: 'part_done' }))!;
      expect(p2.task.priorStatus).toBe('part_done');
      expect(p2.task.res).toBe('rec-9');
      // Handing back gracefully does not count an attempt and keeps the phase.
      expect(await pool.returnTask(p2.lease)).toBe(true);
      let t = (await pool.get(id!))!;
      expect([t.status, t.attempts]).toEqual(['part_done', 0]);
      const p3 = (await pool.fetch({ worker: 'w3', status: 'part_done' }))!;
      await pool.commitResult(p3.lease, 'rec-9');
      t = (await pool.get(id!))!;
      expect([t.status, t.res]).toEqual(['done', 'rec-9']);
    });

    it('queries, prioritizes, resets running tasks, removes and counts', async () => {
      const ids = await pool.create([1, 2, 3].map((n) => ({ def: poolTaskDef(n), experiment: 'e' })));
      expect(await pool.prioritize([ids[1]!, ids[2]!], 2)).toBe(2);
      expect(await pool.prioritize(ids[2]!, 3)).toBe(1);
      expect((await pool.query()).map((t) => t.priority)).toEqual([0, 2, 3]);
      const f = (await pool.fetch({ worker: 'w' }))!;
      expect(f.task.id).toBe(ids[2]);
      expect(await pool.resetWaiting()).toBe(1);
      const t = (await pool.get(ids[2]!))!;
      expect([t.status, t.attempts, t.lease]).toEqual(['waiting', 0, null]);
      await expect(pool.commitResult(f.lease, 'x')).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
      const hashes = (await pool.query({ ids: [ids[0]!] })).map((x) => x.hash);
      expect((await pool.query({ hashes })).map((x) => x.id)).toEqual([ids[0]]);
      expect(await pool.query({ ids: ['nonsense'] })).toEqual([]);
      await pool.commitResult((await pool.fetch({ worker: 'w' }))!.lease, 'r');
      expect(await pool.stat()).toEqual({ waiting: 2, running: 0, part_done: 0, done: 1, failed: 0 });
      expect(await pool.stat({ ids: [ids[0]!] })).toEqual({ waiting: 1, running: 0, part_done: 0, done: 0, failed: 0 });
      expect(await pool.remove({ status: 'done' })).toBe(1);
      expect(await pool.remove({ ids: [ids[0]!] })).toBe(1);
      expect((await pool.query()).map((x) => x.id)).toEqual([ids[1]]);
      expect(await pool.remove()).toBe(1);
      expect(await pool.stat()).toEqual({ waiting: 0, running: 0, part_done: 0, done: 0, failed: 0 });
    });

    it('wait returns when workers finish, reporting progress; waiting on waiting+running ignores part_done', async () => {
      const ids = await pool.create([1, 2, 3].map((n) => ({ def: poolTaskDef(n), experiment: 'e', phases: n === 3 ? 2 : 1 })));
      const s2 = await h.another();
      try {
        const workerPool = s2.taskPools().pool('p');
        const worker = (async () => {
          for (;;) {
            await sleep(60);
            const f = await workerPool.fetch({ worker: 'w' });
            if (!f) return;
            await workerPool.commitResult(f.lease, `rec-${f.task.id}`, { status: f.task.phases === 2 ? 'part_done' : 'done' });
          }
        })();
        const seen: WaitProgress[] = [];
        const stat = await pool.wait({ query: { ids }, statuses: ['waiting', 'running'], pollMs: 30, onProgress: (p) => seen.push(p) });
        await worker;
        expect(stat).toEqual({ waiting: 0, running: 0, part_done: 1, done: 2, failed: 0 });
        expect(seen[0]!.total).toBe(3);
        expect(seen.at(-1)!.done).toBe(3);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.done).toBeGreaterThanOrEqual(seen[i - 1]!.done);
        // The default waits for part_done too.
        await expect(pool.wait({ pollMs: 20, timeoutMs: 150 })).rejects.toMatchObject({ code: 'QONLINE_TASK_FAILED' });
        const last = (await workerPool.fetch({ worker: 'w', status: 'part_done' }))!;
        const waiting = pool.wait({ pollMs: h.crossConnectionNotify ? 5000 : 300 });
        await sleep(50);
        await workerPool.commitResult(last.lease, 'done');
        const t0 = Date.now();
        expect((await waiting).done).toBe(3);
        // Woken by the commit (a notification, or the shared connection's bus), or by a 5 s poll otherwise.
        if (h.crossConnectionNotify) expect(Date.now() - t0).toBeLessThan(2500);
      } finally {
        await s2.close();
      }
    });

    it('wait reaps an abandoned lease so the task shows up as waiting again', async () => {
      await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      await pool.fetch({ worker: 'gone', leaseSeconds: 0.2 });
      const stat = await pool.wait({ statuses: ['running'], pollMs: 50, timeoutMs: 5000 });
      expect(stat.waiting).toBe(1);
    });

    it('changed() wakes on a change made in this process, and from another connection where the backend notifies', async () => {
      await pool.changed(1); // the first call subscribes (LISTEN connects asynchronously)
      await sleep(100);
      let t0 = Date.now();
      const woke = pool.changed(3000);
      await sleep(20);
      await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      await woke;
      expect(Date.now() - t0).toBeLessThan(1500);
      if (h.crossConnectionNotify) {
        const s2 = await h.another();
        try {
          t0 = Date.now();
          const w2 = pool.changed(3000);
          await sleep(20);
          await s2.taskPools().pool('p').create([{ def: poolTaskDef(2), experiment: 'e' }]);
          await w2;
          expect(Date.now() - t0).toBeLessThan(1500);
        } finally {
          await s2.close();
        }
      }
      // Abortable.
      const ac = new AbortController();
      t0 = Date.now();
      const w3 = pool.changed(5000, ac.signal);
      ac.abort();
      await w3;
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('commits a result with its recorder in one store transaction fenced by the lease', async () => {
      await pool.create([
        { def: poolTaskDef(1), experiment: 'e' },
        { def: poolTaskDef(2), experiment: 'e' },
      ]);
      const ok = (await pool.fetch({ worker: 'w' }))!;
      await h.store.transaction(async (tx) => {
        await pool.checkLease(ok.lease, { tx });
        const rec = await tx.createRecorder({ experiment: 'e', name: 'r1', taskHash: ok.task.hash });
        await pool.commitResult(ok.lease, rec.id, { tx });
      });
      const done = (await pool.get(ok.task.id))!;
      expect(done.status).toBe('done');
      expect((await h.store.getRecorder(done.res as string)).taskHash).toBe(ok.task.hash);

      const lost = (await pool.fetch({ worker: 'w', leaseSeconds: 0.2 }))!;
      await sleep(300);
      const taker = (await pool.fetch({ worker: 'w2' }))!;
      expect(taker.task.id).toBe(lost.task.id);
      await expect(
        h.store.transaction(async (tx) => {
          await tx.createRecorder({ experiment: 'e', name: 'stale', taskHash: lost.task.hash });
          await pool.checkLease(lost.lease, { tx });
        }),
      ).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
      expect(await h.store.findRecorderByTaskHash('e', lost.task.hash)).toBeUndefined();
      await expect(h.store.transaction(async (tx) => pool.commitResult(lost.lease, 'x', { tx }))).rejects.toMatchObject({ code: 'QONLINE_LEASE_LOST' });
      expect((await pool.get(lost.task.id))!.status).toBe('running');
    });

    it('rejects malformed input with usage errors', async () => {
      await expect(pool.create([{ def: poolTaskDef(1), experiment: '' }])).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(pool.create([{ def: poolTaskDef(1), experiment: 'e', phases: 3 as never }])).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(pool.fetch({ worker: 'w', status: 'done' as never })).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(pool.fetch({ worker: 'w', leaseSeconds: 0 })).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(pool.query({ status: 'finished' as never })).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(pool.create([{ def: { ...poolTaskDef(1), bad: NaN }, experiment: 'e' }])).rejects.toMatchObject({ code: 'QONLINE_CONFIG_INVALID' });
      expect(() => h.store.taskPools().pool('x', { maxAttempts: 0 })).toThrow(/max attempts/);
    });
  });
}
