import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessExecutor, runWorkerLoop } from '../../../../core/engine/worker.js';
import { runPoolTask, TaskRunner, type SqlExperimentStore, type TaskDef } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { DelayTrainerRM, TrainerRM, type PoolTrainerOptions } from '../../../../plugins/trainers/index.js';
import { FakeResolver, nullProgress, silentLogger } from '../../../helpers/fake-training.js';

function task(alpha: number, kwargs: Record<string, unknown> = {}): TaskDef {
  return {
    model: { class: 'Fake', kwargs: { alpha, ...kwargs } },
    dataset: { class: 'DatasetH', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { train: ['2019-01-01', '2019-12-31'], test: [`2020-0${alpha}-01`, null] } } },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('TrainerRM / DelayTrainerRM over a SQLite task pool', () => {
  let file: string;
  let store: SqlExperimentStore;
  let resolver: FakeResolver;
  const trainer = (Cls: typeof TrainerRM, o: PoolTrainerOptions = {}): TrainerRM =>
    new Cls({ pools: store.taskPools(), store, resolver, logger: silentLogger, progress: nullProgress }, { poll_ms: 20, ...o });

  beforeEach(async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-trm-')), 'store.sqlite');
    store = await openSqliteStore(file);
    resolver = new FakeResolver();
  });
  afterEach(async () => {
    await store.close();
  });

  it('trains locally, returns finished recorders in task order, and never trains a task twice', async () => {
    const t = trainer(TrainerRM);
    const tasks = [task(1), task(2), task(3)];
    const recs = await t.train(tasks, { experiment: 's' });
    expect(recs.map((r) => r.status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
    expect(recs.map((r) => r.params.test_start)).toEqual(['2020-01-01', '2020-02-01', '2020-03-01']);
    const again = await t.train([task(3), { ...task(1) }], { experiment: 's' });
    expect(again.map((r) => r.id)).toEqual([recs[2]!.id, recs[0]!.id]);
    expect(resolver.totalFits()).toBe(3);
    expect(await store.listRecorders({ experiment: 's' })).toHaveLength(3);
    expect(await store.taskPools().pool('s').stat()).toMatchObject({ done: 3 });
    expect(t.poolNames(['s', 'u', 's'])).toEqual(['s', 'u']);
    expect(trainer(TrainerRM, { pool: 'shared' }).poolNames(['s', 'u'])).toEqual(['shared']);
  });

  it('with train_locally: false, waits until a worker has trained every task', async () => {
    const t = trainer(TrainerRM, { train_locally: false, lease_seconds: 5 });
    const other = await openSqliteStore(file);
    const stop = new AbortController();
    try {
      const pools = other.taskPools();
      const worker = (async () => {
        await sleep(150);
        return runWorkerLoop({
          pools: [pools.pool('s')],
          executor: new InProcessExecutor(new TaskRunner({ store: other, resolver, logger: silentLogger }), (n) => pools.pool(n)),
          leaseSeconds: 5,
          idlePollMs: 20,
          logger: silentLogger,
          stop: stop.signal,
        });
      })();
      const started = Date.now();
      const recs = await t.train([task(1), task(2)], { experiment: 's' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(recs.every((r) => r.status === 'FINISHED')).toBe(true);
      stop.abort();
      expect((await worker).done).toBe(2);
    } finally {
      stop.abort();
      await other.close();
    }
  });

  it('DelayTrainerRM fits in train (part_done) and finishes in endTrain (done)', async () => {
    const t = trainer(DelayTrainerRM);
    expect(t.delayed).toBe(true);
    const fitted = await t.train([task(1), task(2)], { experiment: 's' });
    expect(fitted.map((r) => [r.status, r.params.phase])).toEqual([
      ['RUNNING', 'fitted'],
      ['RUNNING', 'fitted'],
    ]);
    const pool = store.taskPools().pool('s');
    expect(await pool.stat()).toMatchObject({ part_done: 2 });
    expect((await pool.query()).every((x) => x.attempts === 0 && x.phases === 2)).toBe(true);
    const done = await t.endTrain(fitted, { experiment: 's' });
    expect(done.map((r) => r.id)).toEqual(fitted.map((r) => r.id));
    expect(done.every((r) => r.status === 'FINISHED')).toBe(true);
    expect(await pool.stat()).toMatchObject({ done: 2, part_done: 0 });
    expect((await store.readScores(done[0]!.id, 'pred')).scores.length).toBe(2);
    expect(resolver.totalFits()).toBe(2);
  });

  it('a task that always throws ends failed after max_attempts with its error; submitting it again retries', async () => {
    const t = trainer(TrainerRM, { max_attempts: 2 });
    await expect(t.train([task(1), task(2, { fail: 'no convergence' })], { experiment: 's' })).rejects.toMatchObject({
      code: 'QONLINE_TASK_FAILED',
      message: expect.stringContaining('no convergence'),
    });
    const pool = store.taskPools().pool('s');
    const failed = (await pool.query({ status: 'failed' }))[0]!;
    expect([failed.attempts, failed.lastError]).toEqual([2, 'no convergence']);
    expect(await pool.stat()).toMatchObject({ done: 1, failed: 1 });
    await expect(t.train([task(2, { fail: 'no convergence' })], { experiment: 's' })).rejects.toMatchObject({ code: 'QONLINE_TASK_FAILED' });
    expect(resolver.fits.get(JSON.stringify({ alpha: 2, fail: 'no convergence' }))).toBe(4);
    const recs = await store.listRecorders({ experiment: 's' });
    expect(recs.map((r) => r.status).sort()).toEqual(['FAILED', 'FINISHED']);
  });

  it('a worker that lost its lease mid-fit writes nothing; the new holder\u2019s recorder is the only one', async () => {
    const pool = store.taskPools().pool('s');
    const def = task(1, { delay_ms: 600 });
    await pool.create([{ def, experiment: 's' }]);
    const runner = new TaskRunner({ store, resolver, logger: silentLogger });
    const slow = (await pool.fetch({ worker: 'stalled', leaseSeconds: 0.2 }))!;
    // No renewal: the lease runs out while the fit (600 ms) runs.
    const stalled = runPoolTask(pool, slow, runner).then(
      () => 'committed',
      (e: { code?: string }) => e.code,
    );
    await sleep(300);
    const other = await openSqliteStore(file);
    try {
      const pool2 = other.taskPools().pool('s');
      const next = (await pool2.fetch({ worker: 'healthy', leaseSeconds: 30 }))!;
      expect(next.task.attempts).toBe(2);
      const out = await runPoolTask(pool2, next, new TaskRunner({ store: other, resolver, logger: silentLogger }));
      expect(await stalled).toBe('QONLINE_LEASE_LOST');
      const recs = await store.listRecorders({ experiment: 's' });
      expect(recs).toHaveLength(1);
      expect(recs[0]!.id).toBe(out.recorder.id);
      expect(recs[0]!.status).toBe('FINISHED');
      const t = (await pool.query())[0]!;
      expect([t.status, t.res, t.worker]).toEqual(['done', out.recorder.id, 'healthy']);
    } finally {
      await other.close();
    }
  });
});
