import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../core/kernel/clock.js';
import { keepLeaseAlive, type SqlExperimentStore, type TaskPool } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { poolTaskDef } from '../../../contract/task-pool.contract.js';

/** Lets pending database work and promise callbacks run (real time, no margin on the result: `until` waits for a condition). */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Operational time comes from the store's clock (TOKENS.clock in the CLI); tests move it instead of sleeping. */
describe('the SQL store and task pool read the clock service', () => {
  let store: SqlExperimentStore;
  let clock: TestClock;
  beforeEach(async () => {
    clock = new TestClock('2031-05-06T07:08:09.000Z');
    store = await openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-clock-')), 'store.sqlite'), { clock });
  });
  afterEach(async () => {
    await store.close();
  });

  it('stamps recorders and history with the clock, inside transactions too', async () => {
    const rec = await store.createRecorder({ experiment: 'e', name: 'r', taskHash: 'h1' });
    expect(rec.createdAt).toBe('2031-05-06T07:08:09.000Z');
    clock.advance(90_000);
    const h = await store.transaction((tx) => tx.appendHistory({ manager: 'm', strategy: 's', effectiveDate: '2020-01-02', recorderIds: [rec.id], reason: 'first_train' }));
    expect(h.createdAt).toBe('2031-05-06T07:09:39.000Z');
    expect((await store.getRecorder(rec.id)).createdAt).toBe('2031-05-06T07:08:09.000Z');
  });

  it('a wait gives up when the clock passes its deadline, and not a moment before (no real waiting)', async () => {
    const pool = store.taskPools().pool('p');
    await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
    let outcome: unknown = 'pending';
    const waiting = pool.wait({ pollMs: 1000, timeoutMs: 60_000 }).then(
      () => 'returned',
      (e: { code?: string }) => e.code,
    );
    void waiting.then((o) => (outcome = o));
    // 59 polls of 1 s: still waiting.
    for (let i = 0; i < 59; i++) {
      await until(() => clock.pending === 1, `poll ${i}`);
      clock.advance(1000);
    }
    await until(() => clock.pending === 1, 'the last poll');
    expect(outcome).toBe('pending');
    clock.advance(1000);
    expect(await waiting).toBe('QONLINE_TASK_FAILED');
    expect(clock.pending).toBe(0);
  });

  it('renews a lease every period of the clock until stopped', async () => {
    const real = store.taskPools().pool('p');
    let renewals = 0;
    // The real pool, counting the renewals it is asked for.
    const pool: TaskPool = Object.create(real, {
      renewLease: { value: (...a: Parameters<TaskPool['renewLease']>) => (renewals++, real.renewLease(...a)) },
    }) as TaskPool;
    await real.create([{ def: poolTaskDef(1), experiment: 'e' }]);
    const { lease } = (await real.fetch({ worker: 'w', leaseSeconds: 30 }))!;
    const keeper = keepLeaseAlive(pool, lease, { leaseSeconds: 30, clock });
    await until(() => clock.pending === 1, 'the first renewal to be scheduled');
    expect(renewals).toBe(0);
    clock.advance(9_999);
    expect(renewals).toBe(0);
    clock.advance(1);
    await until(() => renewals === 1 && clock.pending === 1, 'the first renewal');
    clock.advance(10_000);
    await until(() => renewals === 2 && clock.pending === 1, 'the second renewal');
    keeper.stop();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(renewals).toBe(2);
    expect(keeper.lost).toBe(false);
  });
});
