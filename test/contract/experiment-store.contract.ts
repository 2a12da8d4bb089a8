import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlExperimentStore, migrateSqlStore, type DailyIcFigures, type DailyIcOwner, type ExperimentStore, type Migration, type ScoreRows, type SqlDialect, type SqlDriver } from '../../core/index.js';

/**
 * The experiment-store contract: every backend (SQLite, PostgreSQL) runs
 * exactly this suite.
 */
export function experimentStoreContract(name: string, open: () => Promise<ExperimentStore>, opts: { skip?: string; notifies?: boolean } = {}): void {
  describe.skipIf(Boolean(opts.skip))(`ExperimentStore contract: ${name}`, () => {
    let store: ExperimentStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store?.close();
    });

    it('creates recorders, enforces one per (experiment, task hash), finds them by hash', async () => {
      const a = await store.createRecorder({ experiment: 'exp', name: 'r1', taskHash: 'h1', params: { x: 1 }, tags: { k: 'v' } });
      expect(a.status).toBe('RUNNING');
      await expect(store.createRecorder({ experiment: 'exp', name: 'r1b', taskHash: 'h1' })).rejects.toMatchObject({ code: 'QONLINE_STORE' });
      // Same hash in another experiment is fine.
      await store.createRecorder({ experiment: 'exp2', name: 'r1', taskHash: 'h1' });
      const found = await store.findRecorderByTaskHash('exp', 'h1');
      expect(found?.id).toBe(a.id);
      expect(found?.params).toEqual({ x: 1 });
      expect(found?.tags).toEqual({ k: 'v' });
      expect(await store.findRecorderByTaskHash('exp', 'nope')).toBeUndefined();
      expect(await store.listExperiments()).toEqual(['exp', 'exp2']);
    });

    it('updates status, metrics and tags, and filters by them', async () => {
      const a = await store.createRecorder({ experiment: 'e', name: 'a', taskHash: 'a' });
      const b = await store.createRecorder({ experiment: 'e', name: 'b', taskHash: 'b' });
      await store.updateRecorder(a.id, { status: 'FINISHED', metrics: { ic: 0.05 } });
      await store.setTags([a.id, b.id], { online_status: 'offline' });
      await store.setTags([b.id], { online_status: 'online' });
      const online = await store.listRecorders({ experiment: 'e', tags: { online_status: 'online' } });
      expect(online.map((r) => r.id)).toEqual([b.id]);
      const finished = await store.listRecorders({ status: 'FINISHED' });
      expect(finished.map((r) => r.id)).toEqual([a.id]);
      expect(finished[0]!.metrics).toEqual({ ic: 0.05 });
      expect(finished[0]!.finishedAt).not.toBeNull();
      await expect(store.getRecorder('missing')).rejects.toMatchObject({ code: 'QONLINE_NOT_FOUND' });
    });

    it('stores artifacts as JSON and deletes a recorder with everything it owns', async () => {
      const a = await store.createRecorder({ experiment: 'e', name: 'a', taskHash: 'a' });
      await store.putArtifact(a.id, 'task', { model: { class: 'Linear' } });
      await store.putArtifact(a.id, 'task', { model: { class: 'GBDT' } });
      expect(await store.getArtifact(a.id, 'task')).toEqual({ model: { class: 'GBDT' } });
      expect(await store.listArtifacts(a.id)).toEqual(['task']);
      await store.writeScores(a.id, 'pred', { dates: ['2020-01-02'], instruments: ['A'], scores: Float64Array.of(1) });
      await store.deleteRecorder(a.id);
      await expect(store.getRecorder(a.id)).rejects.toMatchObject({ code: 'QONLINE_NOT_FOUND' });
      expect((await store.readScores(a.id, 'pred')).scores.length).toBe(0);
      // The hash is free again.
      await store.createRecorder({ experiment: 'e', name: 'a2', taskHash: 'a' });
    });

    it('upserts scores, skips NaN, reads ranges, and reports the last date', async () => {
      const a = await store.createRecorder({ experiment: 'e', name: 'a', taskHash: null });
      await store.writeScores(a.id, 'pred', {
        dates: ['2020-01-02', '2020-01-02', '2020-01-03', '2020-01-06'],
        instruments: ['A', 'B', 'A', 'A'],
        scores: Float64Array.of(1, 2, 3, NaN),
      });
      expect(await store.lastScoreDate(a.id, 'pred')).toBe('2020-01-03');
      await store.writeScores(a.id, 'pred', { dates: ['2020-01-03', '2020-01-06'], instruments: ['A', 'A'], scores: Float64Array.of(30, 4) });
      const all = await store.readScores(a.id, 'pred');
      expect(all.dates).toEqual(['2020-01-02', '2020-01-02', '2020-01-03', '2020-01-06']);
      expect([...all.scores]).toEqual([1, 2, 30, 4]);
      const part = await store.readScores(a.id, 'pred', { start: '2020-01-03', end: '2020-01-03' });
      expect([...part.scores]).toEqual([30]);
      expect(await store.lastScoreDate(a.id, 'label')).toBeNull();
    });

    it('writes many score rows in bulk', async () => {
      const a = await store.createRecorder({ experiment: 'e', name: 'a', taskHash: null });
      const n = 20000;
      const dates: string[] = [];
      const inst: string[] = [];
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        dates.push(`2020-01-${String(1 + (i % 28)).padStart(2, '0')}`);
        inst.push(`I${Math.floor(i / 28)}`);
        scores[i] = i;
      }
      await store.writeScores(a.id, 'pred', { dates, instruments: inst, scores });
      expect((await store.readScores(a.id, 'pred')).scores.length).toBe(n);
    });

    it(opts.notifies ? 'announces each committed manager state (watchManagers), not a rolled-back one' : 'says it cannot announce manager states (watchManagers resolves to null)', async () => {
      const got: (string | null)[] = [];
      const unwatch = (await store.watchManagers?.((m) => got.push(m))) ?? null;
      if (!opts.notifies) {
        expect(unwatch).toBeNull();
        return;
      }
      expect(unwatch).not.toBeNull();
      const until = async (cond: () => boolean): Promise<void> => {
        for (let i = 0; !cond(); i++) {
          if (i > 250) throw new Error(`no notification; got ${JSON.stringify(got)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const s = { name: 'w1', beginTime: null, freq: 'day', lastRoutine: null, stateVersion: 1, configHash: '', strategies: {} };
      await store.putManager(s, 0);
      await until(() => got.includes('w1'));
      // Rolled back: nothing announced. Notifications arrive in commit order, so w2's shows w1's second one never went out.
      await expect(
        store.transaction(async (tx) => {
          await tx.putManager({ ...s, stateVersion: 2 }, 1);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await store.putManager({ ...s, name: 'w2' }, 0);
      await until(() => got.includes('w2'));
      expect(got).toEqual(['w1', 'w2']);
      // Inside a transaction: announced when it commits.
      await store.transaction(async (tx) => {
        await tx.putManager({ ...s, stateVersion: 2 }, 1);
        await tx.appendHistory({ manager: 'w1', strategy: 's', effectiveDate: '2020-01-02', recorderIds: ['a'], reason: 'routine' });
      });
      await until(() => got.length === 3);
      expect(got[2]).toBe('w1');
      await unwatch!();
      await store.putManager({ ...s, stateVersion: 3 }, 2);
      await store.putManager({ ...s, name: 'w3' }, 0);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toHaveLength(3);
    });

    it('keeps manager state, history sequence and signals by date', async () => {
      expect(await store.getManager('m')).toBeUndefined();
      const state = { name: 'm', beginTime: '2020-01-02', freq: 'day', lastRoutine: null, stateVersion: 1, configHash: 'c', strategies: {} };
      await store.putManager(state, 0);
      await store.putManager({ ...state, stateVersion: 2, lastRoutine: '2020-02-03' }, 1);
      expect(await store.getManager('m')).toMatchObject({ stateVersion: 2, lastRoutine: '2020-02-03' });
      const h1 = await store.appendHistory({ manager: 'm', strategy: 's', effectiveDate: '2020-01-02', recorderIds: ['a'], reason: 'first_train' });
      const h2 = await store.appendHistory({ manager: 'm', strategy: 's', effectiveDate: '2020-02-03', recorderIds: ['b', 'c'], reason: 'routine' });
      expect([h1.seq, h2.seq]).toEqual([1, 2]);
      expect((await store.listHistory('m', 's')).map((h) => h.recorderIds)).toEqual([['a'], ['b', 'c']]);
      await store.replaceSignals('m', ['2020-01-02', '2020-01-03'], { dates: ['2020-01-02', '2020-01-03'], instruments: ['A', 'A'], scores: Float64Array.of(1, 2) }, 1);
      await store.replaceSignals('m', ['2020-01-03'], { dates: ['2020-01-03', '2020-01-03'], instruments: ['B', 'C'], scores: Float64Array.of(5, 6) }, 2);
      const sig = await store.readSignals('m');
      expect(sig.instruments).toEqual(['A', 'B', 'C']);
      expect([...sig.scores]).toEqual([1, 5, 6]);
      expect(await store.signalDates('m')).toEqual(['2020-01-02', '2020-01-03']);
    });

    it('keeps the per-date IC cache stale exactly where rows changed (same transaction), so refreshing it equals a full computation', async () => {
      // The test's own per-date figures stand in for the summary's IC: any function of exactly the rows the contract names.
      const [d1, d2, d3] = ['2020-01-02', '2020-01-03', '2020-01-06'];
      const rows = (dates: string[], insts: string[], scores: number[]): ScoreRows => ({ dates, instruments: insts, scores: Float64Array.from(scores) });
      const key = (r: ScoreRows, i: number): string => r.dates[i] + '|' + r.instruments[i];
      const sum = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) : null);
      const recorderFigures = async (id: string): Promise<Map<string, DailyIcFigures>> => {
        const [pred, label] = [await store.readScores(id, 'pred'), await store.readScores(id, 'label')];
        const lab = new Map(label.dates.map((_, i) => [key(label, i), label.scores[i]!]));
        const out = new Map<string, DailyIcFigures>();
        for (const d of new Set([...pred.dates, ...label.dates])) {
          const idx = pred.dates.flatMap((x, i) => (x === d && lab.has(key(pred, i)) ? [i] : []));
          out.set(d, { basis: '', rows: pred.dates.filter((x) => x === d).length + label.dates.filter((x) => x === d).length, ic: sum(idx.map((i) => pred.scores[i]! * lab.get(key(pred, i))!)), rankIc: null });
        }
        return out;
      };
      const signalFigures = async (manager: string): Promise<Map<string, DailyIcFigures>> => {
        const sig = await store.readSignals(manager);
        const lab = new Map<string, number>();
        for (const r of await store.listRecorders({ experiment: 'ic', status: 'FINISHED' })) {
          const l = await store.readScores(r.id, 'label');
          l.dates.forEach((_, i) => lab.set(key(l, i), l.scores[i]!));
        }
        const out = new Map<string, DailyIcFigures>();
        for (const d of new Set(sig.dates)) {
          const idx = sig.dates.flatMap((x, i) => (x === d ? [i] : []));
          const matched = idx.filter((i) => lab.has(key(sig, i)));
          out.set(d, { basis: 'b', rows: idx.length, ic: sum(matched.map((i) => sig.scores[i]! * lab.get(key(sig, i))!)), rankIc: matched.length });
        }
        return out;
      };
      const figuresOf = (owner: DailyIcOwner): Promise<Map<string, DailyIcFigures>> => (owner.kind === 'recorder' ? recorderFigures(owner.id) : signalFigures(owner.manager));
      const stale = async (owner: DailyIcOwner): Promise<string[]> => (await store.readDailyIc!(owner)).filter((e) => !e.figures).map((e) => e.date);
      /** Computes stale dates only (as the summary does), stores them; the cache must then equal a full computation. */
      const refreshEqualsFull = async (owner: DailyIcOwner): Promise<void> => {
        const full = await figuresOf(owner);
        const entries = await store.readDailyIc!(owner);
        const fresh = entries.filter((e) => !e.figures).map((e) => ({ date: e.date, changed: e.changed, figures: full.get(e.date) ?? { basis: '', rows: 0, ic: null, rankIc: null } }));
        await store.writeDailyIc!(owner, fresh);
        const cached = (await store.readDailyIc!(owner)).map((e) => [e.date, e.figures]);
        expect(cached).toEqual([...full].sort().map(([d, f]) => [d, f]));
      };

      expect(store.readDailyIc && store.writeDailyIc).toBeTruthy();
      const a = await store.createRecorder({ experiment: 'ic', name: 'a', taskHash: 'a' });
      const b = await store.createRecorder({ experiment: 'ic', name: 'b', taskHash: 'b' });
      const A: DailyIcOwner = { kind: 'recorder', id: a.id };
      const M: DailyIcOwner = { kind: 'signals', manager: 'icm' };
      await store.writeScores(a.id, 'pred', rows([d1, d1, d2, d2], ['X', 'Y', 'X', 'Y'], [1, 2, 3, 4]));
      await store.writeScores(a.id, 'label', rows([d1, d1, d2], ['X', 'Y', 'X'], [0.5, -1, 2]));
      await store.updateRecorder(a.id, { status: 'FINISHED' });
      await store.writeScores(b.id, 'label', rows([d2, d3], ['X', 'X'], [7, 8]));
      await store.replaceSignals('icm', [d1, d2, d3], rows([d1, d1, d2, d3], ['X', 'Y', 'X', 'X'], [1, 1, 1, 1]), 1);
      expect(await stale(A)).toEqual([d1, d2]);
      await refreshEqualsFull(A);
      await refreshEqualsFull(M);
      await refreshEqualsFull({ kind: 'recorder', id: b.id });

      // A recorder's score writes: its own dates only; labels also the signals' dates.
      await store.writeScores(a.id, 'pred', rows([d3], ['X'], [5]));
      expect([await stale(A), await stale(M)]).toEqual([[d3], []]);
      await refreshEqualsFull(A);
      await store.writeScores(a.id, 'label', rows([d2], ['Y'], [3]));
      expect([await stale(A), await stale(M)]).toEqual([[d2], [d2]]);
      await refreshEqualsFull(A);
      await refreshEqualsFull(M);
      // Finishing b makes its labels count for the signals (b's win at d2, as the later recorder's).
      await store.updateRecorder(b.id, { status: 'FINISHED' });
      expect(await stale(M)).toEqual([d2, d3]);
      await refreshEqualsFull(M);
      // Replacing signals: a date replaced by nothing leaves the cache.
      await store.replaceSignals('icm', [d1], rows([], [], []), 2);
      expect(await stale(M)).toEqual([d1]);
      await refreshEqualsFull(M);
      expect((await store.readDailyIc!(M)).map((e) => e.date)).toEqual([d2, d3]);
      // A rolled-back write leaves the cache current.
      await expect(
        store.transaction(async (tx) => {
          await tx.writeScores(a.id, 'label', rows([d3], ['X'], [9]));
          await tx.replaceSignals('icm', [d2], rows([d2], ['Y'], [4]), 3);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect([await stale(A), await stale(M)]).toEqual([[], []]);
      // Deleting a finished recorder: the signals' dates where it had labels; its own entries go.
      await store.deleteRecorder(b.id);
      expect(await stale(M)).toEqual([d2, d3]);
      expect(await store.readDailyIc!({ kind: 'recorder', id: b.id })).toEqual([]);
      await refreshEqualsFull(M);
      // Figures computed from rows that changed meanwhile are not stored (the token read is no longer current).
      const [before] = (await store.readDailyIc!(A)).filter((e) => e.date === d2);
      await store.writeScores(a.id, 'pred', rows([d2], ['X'], [-3]));
      await store.writeDailyIc!(A, [{ date: d2, changed: before!.changed, figures: before!.figures! }]);
      expect(await stale(A)).toEqual([d2]);
      await refreshEqualsFull(A);
    });

    it('rolls a transaction back as a whole', async () => {
      const a = await store.createRecorder({ experiment: 'e', name: 'a', taskHash: 'x' });
      await expect(
        store.transaction(async (tx) => {
          await tx.setTags([a.id], { online_status: 'online' });
          await tx.updateRecorder(a.id, { status: 'FINISHED' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const r = await store.getRecorder(a.id);
      expect(r.status).toBe('RUNNING');
      expect(r.tags).toEqual({});
    });

    it('serialises concurrent transactions without interleaving', async () => {
      await store.putManager({ name: 'c', beginTime: null, freq: 'day', lastRoutine: null, stateVersion: 0, configHash: '', strategies: {} }, 0);
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store.transaction(async (tx) => {
            const s = (await tx.getManager('c'))!;
            await new Promise((r) => setTimeout(r, 2));
            await tx.putManager({ ...s, stateVersion: s.stateVersion + 1 }, s.stateVersion);
          }),
        ),
      );
      expect((await store.getManager('c'))!.stateVersion).toBe(10);
    });

    it('applies a plugin\'s own migrations once each, in its own migration table, now and at every later open', async () => {
      expect(store).toBeInstanceOf(SqlExperimentStore);
      const sql = store as SqlExperimentStore;
      const owner = `contract_${name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
      const v1 = (d: SqlDialect): Migration[] => [
        { version: 1, name: 'users', sql: `CREATE TABLE IF NOT EXISTS plugin_users (id ${d.identityPrimaryKey}, login TEXT NOT NULL UNIQUE)` },
      ];
      const v2 = (d: SqlDialect): Migration[] => [...v1(d), { version: 2, name: 'user roles', sql: `ALTER TABLE plugin_users ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer'` }];
      expect(await sql.registerMigrations(owner, v1)).toEqual([1]);
      expect(await sql.registerMigrations(owner, v1)).toEqual([]);
      expect(await sql.registerMigrations(owner, v2)).toEqual([2]);
      // Versions are per owner: another plugin's version 1 is its own.
      expect(await sql.registerMigrations(`${owner}_b`, [{ version: 1, name: 'b', sql: 'CREATE TABLE IF NOT EXISTS plugin_b (k TEXT PRIMARY KEY)' }])).toEqual([1]);
      await sql.executor.run(`INSERT INTO plugin_users (login) VALUES (?), (?)`, ['ann', 'bob']);
      const rows = await sql.executor.all<{ id: number; login: string; role: string }>('SELECT id, login, role FROM plugin_users ORDER BY id');
      expect(rows.map((r) => [r.login, r.role])).toEqual([['ann', 'viewer'], ['bob', 'viewer']]);
      expect(Number(rows[1]!.id)).toBeGreaterThan(Number(rows[0]!.id));
      // The unique constraint is classified by the dialect.
      const dup = await sql.executor.run('INSERT INTO plugin_users (login) VALUES (?)', ['ann']).catch((e: unknown) => e);
      expect(sql.dialect.classify(dup)).toBe('unique_violation');
      // A store opened later (a fresh database) gets them at open.
      const fresh = (await open()) as SqlExperimentStore;
      try {
        expect(await fresh.executor.all('SELECT role FROM plugin_users')).toEqual([]);
        expect(await fresh.registerMigrations(owner, v2)).toEqual([]);
      } finally {
        await fresh.close();
      }
      // Malformed registrations are usage errors.
      await expect(sql.registerMigrations('Bad-Name', [])).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
      await expect(sql.registerMigrations(owner, [{ version: 0, name: 'zero', sql: 'SELECT 1' }])).rejects.toMatchObject({ code: 'QONLINE_USAGE' });
    });

    it('opening a store with every migration applied reads once and takes no transaction; a missing one is applied again', async () => {
      const sql = store as SqlExperimentStore;
      const driver = (sql as unknown as { driver: SqlDriver }).driver;
      const owner = `fast_${name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
      const table = `qonline_migrations__${owner}`;
      await sql.registerMigrations(owner, [{ version: 1, name: 'k', sql: 'CREATE TABLE IF NOT EXISTS plugin_fast (k TEXT PRIMARY KEY)' }]);
      // Every statement and transaction the migration step sends through the driver.
      let seen: string[] = [];
      const spy: SqlDriver = {
        dialect: driver.dialect,
        maxParams: driver.maxParams,
        all: (s, p) => (seen.push(s), driver.all(s, p)),
        run: (s, p) => (seen.push(s), driver.run(s, p)),
        transaction: (fn, o) => (seen.push('TRANSACTION'), driver.transaction(fn, o)),
        close: () => driver.close(),
      };
      await migrateSqlStore(spy);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^SELECT /);
      expect(seen[0]).toContain(table);
      // A version no longer recorded (as before a migration ran): applied again, in transactions.
      await driver.run(`DELETE FROM ${table}`);
      seen = [];
      await migrateSqlStore(spy);
      expect(seen).toContain('TRANSACTION');
      expect((await driver.all<{ version: number }>(`SELECT version FROM ${table}`)).map((r) => Number(r.version))).toEqual([1]);
      // A migration table missing altogether: created, and its migrations recorded.
      await driver.run(`DROP TABLE ${table}`);
      await migrateSqlStore(spy);
      expect((await driver.all<{ version: number }>(`SELECT version FROM ${table}`)).map((r) => Number(r.version))).toEqual([1]);
      seen = [];
      await migrateSqlStore(spy);
      expect(seen).toHaveLength(1);
    });

    it('writes manager state only on top of the version the change started from (optimistic concurrency)', async () => {
      const s0 = { name: 'o', beginTime: null, freq: 'day', lastRoutine: null, stateVersion: 1, configHash: 'a', strategies: {} };
      await store.putManager(s0, 0);
      // A second creator that also started from "nothing stored" loses.
      await expect(store.putManager({ ...s0, configHash: 'b' }, 0)).rejects.toMatchObject({ code: 'QONLINE_STATE_CONFLICT' });
      // Two changes that both read version 1: the first wins, the second fails and writes nothing.
      await store.putManager({ ...s0, stateVersion: 2, lastRoutine: '2020-01-03' }, 1);
      await expect(store.putManager({ ...s0, stateVersion: 2, lastRoutine: '2019-12-31' }, 1)).rejects.toThrow(/started from version 1, the store now has version 2/);
      expect(await store.getManager('o')).toMatchObject({ stateVersion: 2, lastRoutine: '2020-01-03', configHash: 'a' });
      // Expecting a version of a manager that was never stored is a conflict too.
      await expect(store.putManager({ ...s0, name: 'never' }, 3)).rejects.toMatchObject({ code: 'QONLINE_STATE_CONFLICT' });
      expect(await store.getManager('never')).toBeUndefined();
    });

    it('a conflicting state commit rolls back everything written in its transaction', async () => {
      const s0 = { name: 'r', beginTime: null, freq: 'day', lastRoutine: null, stateVersion: 1, configHash: '', strategies: {} };
      await store.putManager(s0, 0);
      const sig = { dates: ['2020-01-02'], instruments: ['A'], scores: Float64Array.of(1) };
      await store.replaceSignals('r', ['2020-01-02'], sig, 1);
      // Both commits read version 1; they run one after the other, as concurrent processes would be serialised.
      const commit = (score: number, routine: string): Promise<void> =>
        store.transaction(async (tx) => {
          await tx.appendHistory({ manager: 'r', strategy: 's', effectiveDate: routine, recorderIds: [String(score)], reason: 'routine' });
          await tx.replaceSignals('r', ['2020-01-02'], { ...sig, scores: Float64Array.of(score) }, 2);
          await tx.putManager({ ...s0, stateVersion: 2, lastRoutine: routine }, 1);
        });
      const results = await Promise.allSettled([commit(7, '2020-01-03'), commit(9, '2020-01-04')]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results[1 - won] as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: 'QONLINE_STATE_CONFLICT' });
      const [score, routine] = won === 0 ? [7, '2020-01-03'] : [9, '2020-01-04'];
      expect(await store.getManager('r')).toMatchObject({ stateVersion: 2, lastRoutine: routine });
      expect([...(await store.readSignals('r')).scores]).toEqual([score]);
      expect((await store.listHistory('r')).map((h) => h.recorderIds)).toEqual([[String(score)]]);
    });
  });
}
