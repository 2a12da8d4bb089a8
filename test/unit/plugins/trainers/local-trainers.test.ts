import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLocalJobInScope } from '../../../../core/engine/worker.js';
import { TaskRunner, type LocalTrainJob, type MachineLoad, type SqlExperimentStore, type TaskDef, type TaskExecutor } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { DelayTrainerR, TrainerR, type LocalTrainerOptions } from '../../../../plugins/trainers/index.js';
import { FakeResolver, nullProgress, silentLogger } from '../../../helpers/fake-training.js';

function task(alpha: number, kwargs: Record<string, unknown> = {}): TaskDef {
  return {
    model: { class: 'Fake', kwargs: { alpha, ...kwargs } },
    dataset: { class: 'DatasetH', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { train: ['2019-01-01', '2019-12-31'], test: [`2020-0${alpha}-01`, null] } } },
  };
}

const IDLE: MachineLoad = { cores: 2, load1: 0.1, runnable: 1 };
const BUSY: MachineLoad = { cores: 2, load1: 3.2, runnable: 4 };

/**
 * Stands in for the training threads: each slot has its own store
 * connection and runner (as a thread opens its own pipeline), and every job
 * runs through the same code a thread runs (`runLocalJobInScope`).
 */
class FakeThreads implements TaskExecutor {
  started = 0;
  sameFeatures: boolean | undefined;
  closed = false;
  readonly ran: { slot: number; job: LocalTrainJob }[] = [];
  private readonly stores: SqlExperimentStore[] = [];

  constructor(
    private readonly file: string,
    private readonly resolver: FakeResolver,
  ) {}

  async start(count: number, options?: { sameFeatures?: boolean }): Promise<void> {
    this.started = count;
    this.sameFeatures = options?.sameFeatures;
    for (let i = 0; i < count; i++) this.stores.push(await openSqliteStore(this.file));
  }

  async runJob(job: LocalTrainJob, slot: number): Promise<{ recorderId: string }> {
    this.ran.push({ slot, job });
    const runner = new TaskRunner({ store: this.stores[slot]!, resolver: this.resolver, logger: silentLogger });
    return { recorderId: (await runLocalJobInScope(job, runner, undefined, undefined)).id };
  }

  async execute(): Promise<never> {
    throw new Error('no pool tasks here');
  }

  async abort(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.stores.map((s) => s.close()));
  }
}

describe('TrainerR / DelayTrainerR: several tasks on training threads', () => {
  let file: string;
  let store: SqlExperimentStore;
  let resolver: FakeResolver;
  let made: FakeThreads[];

  const trainer = (Cls: typeof TrainerR, load: MachineLoad | null, o: LocalTrainerOptions = {}): TrainerR =>
    new Cls(
      {
        store,
        resolver,
        logger: silentLogger,
        progress: nullProgress,
        machineLoad: () => load ?? IDLE,
        threads:
          load === null
            ? undefined
            : () => {
                const t = new FakeThreads(file, resolver);
                made.push(t);
                return t;
              },
      },
      o,
    );

  beforeEach(async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-local-')), 'store.sqlite');
    store = await openSqliteStore(file);
    resolver = new FakeResolver();
    made = [];
  });
  afterEach(async () => {
    await store.close();
  });

  /** What must not depend on the thread count: per task (by hash), status, phase, metrics and predictions. */
  async function outcome(experiment: string): Promise<string[]> {
    const recs = await store.listRecorders({ experiment });
    const rows: string[] = [];
    for (const r of recs) {
      const pred = await store.readScores(r.id, 'pred');
      rows.push(`${r.taskHash} ${r.status} ${r.params.phase} ${JSON.stringify(r.metrics)} ${pred.dates.join(',')} ${pred.instruments.join(',')} ${[...pred.scores].join(',')}`);
    }
    return rows.sort();
  }

  it('on an idle machine trains on two threads, every task once, with the recorders a serial run gives, in task order', async () => {
    const tasks = [1, 2, 3, 4, 5, 6, 7, 8].map((a) => task(a));
    const serial = trainer(TrainerR, null);
    expect(serial.threadCount(8)).toBe(1);
    const want = await serial.train(tasks, { experiment: 'serial' });

    const t = trainer(TrainerR, IDLE);
    const recs = await t.train(tasks, { experiment: 'threads' });
    expect(t.lastThreads).toBe(2);
    expect(made).toHaveLength(1);
    expect(made[0]!.started).toBe(2);
    expect(made[0]!.closed).toBe(true);
    expect(new Set(made[0]!.ran.map((r) => r.slot))).toEqual(new Set([0, 1]));
    expect(recs.map((r) => [r.status, r.params.test_start])).toEqual(want.map((r) => [r.status, r.params.test_start]));
    expect(await outcome('threads')).toEqual(await outcome('serial'));
    expect(resolver.totalFits()).toBe(16);
    // Trained tasks are never trained again, on threads or not.
    const again = await t.train(tasks, { experiment: 'threads' });
    expect(again.map((r) => r.id)).toEqual(recs.map((r) => r.id));
    expect(resolver.totalFits()).toBe(16);
  });

  it('three threads: each task trained once, even slots from the front, the odd slot from the back', async () => {
    const tasks = [1, 2, 3, 4, 5, 6, 7].map((a) => task(a));
    const t = trainer(TrainerR, IDLE, { threads: 3 });
    const recs = await t.train(tasks, { experiment: 'three' });
    expect(t.lastThreads).toBe(3);
    const testStart = (x: TaskDef): string => String(x.dataset.kwargs.segments['test']![0]);
    expect(recs.map((r) => r.params.test_start)).toEqual(tasks.map(testStart));
    const ran = made[0]!.ran;
    const startOf = (r: (typeof ran)[number]) => (r.job.kind === 'run' ? testStart(r.job.task) : '');
    expect(ran.map(startOf).sort()).toEqual(recs.map((r) => r.params.test_start).sort());
    // Slots 0 and 2 share the front (ascending together), slot 1 walks back from the newest.
    const front = ran.filter((r) => r.slot !== 1).map(startOf);
    const back = ran.filter((r) => r.slot === 1).map(startOf);
    expect(front).toEqual([...front].sort());
    expect(back).toEqual([...back].sort().reverse());
    expect(back[0]).toBe('2020-07-01');
    expect(resolver.totalFits()).toBe(7);
    // The threads of a batch compute the same features: each writes its share of the disk cache.
    expect(made[0]!.sameFeatures).toBe(true);
  });

  it('on a busy machine, for a single task, or with threads: 1, trains on the calling thread (no thread started)', async () => {
    const busy = trainer(TrainerR, BUSY);
    expect(busy.threadCount(16)).toBe(1);
    await busy.train([task(1), task(2), task(3), task(4)], { experiment: 's' });
    expect(busy.lastThreads).toBe(1);
    const idle = trainer(TrainerR, IDLE);
    expect(idle.threadCount(1)).toBe(1);
    // Fewer than four tasks per thread do not pay for a thread's start.
    expect(idle.threadCount(7)).toBe(1);
    expect(idle.threadCount(8)).toBe(2);
    await idle.train([task(5)], { experiment: 's' });
    expect(trainer(TrainerR, IDLE, { threads: 1 }).threadCount(16)).toBe(1);
    expect(trainer(TrainerR, BUSY, { threads: 2 }).threadCount(16)).toBe(2);
    expect(trainer(TrainerR, BUSY, { threads: 4 }).threadCount(3)).toBe(3);
    expect(made).toHaveLength(0);
    expect(resolver.totalFits()).toBe(5);
  });

  it('a failing task on a thread: no new task starts, the first error is thrown, finished recorders stay', async () => {
    const t = trainer(TrainerR, IDLE, { threads: 2 });
    // The others fit slowly (an async 200 ms fit): the failure (on the second lane's first task, the last one) comes first.
    const slow = { delay_ms: 200 };
    const tasks = [task(1, slow), task(2, slow), task(3, slow), task(4, slow), task(5, slow), task(6, { fail: 'no convergence' })];
    await expect(t.train(tasks, { experiment: 's' })).rejects.toThrow('no convergence');
    expect(made[0]!.closed).toBe(true);
    // Both lanes stop taking tasks after the failure: only the task running on the other lane ends.
    expect(made[0]!.ran).toHaveLength(2);
    const recs = await store.listRecorders({ experiment: 's' });
    expect(recs.map((r) => r.status).sort()).toEqual(['FAILED', 'FINISHED']);
  });

  it('DelayTrainerR (Qlib): train only records the tasks; endTrain fits and finishes them in place, on threads', async () => {
    const t = trainer(DelayTrainerR, IDLE);
    expect(t.delayed).toBe(true);
    const tasks = [4, 1, 3, 2, 8, 5, 7, 6].map((a) => task(a));
    const recorded = await t.train(tasks, { experiment: 's' });
    expect(recorded.map((r) => [r.status, r.params.phase])).toEqual(tasks.map(() => ['RUNNING', 'recorded']));
    expect(resolver.totalFits()).toBe(0);
    expect(made).toHaveLength(0);
    expect(await store.getArtifact(recorded[0]!.id, 'task')).toEqual(tasks[0]);
    // Recording again returns the same recorders.
    expect((await t.train(tasks, { experiment: 's' })).map((r) => r.id)).toEqual(recorded.map((r) => r.id));

    const done = await t.endTrain(recorded, { experiment: 's' });
    expect(done.map((r) => r.id)).toEqual(recorded.map((r) => r.id));
    expect(done.every((r) => r.status === 'FINISHED' && r.params.phase === 'finished')).toBe(true);
    expect(resolver.totalFits()).toBe(8);
    expect(t.lastThreads).toBe(2);
    // By test window: one thread from the oldest on, the other from the newest back (a thread's consecutive windows
    // are neighbours), every task once.
    const byStart = [...recorded].sort((a, b) => (a.params.test_start! < b.params.test_start! ? -1 : 1)).map((r) => r.id);
    const ranOn = (slot: number) => made[0]!.ran.filter((r) => r.slot === slot).map((r) => (r.job.kind === 'complete' ? r.job.recorderId : ''));
    const [first, second] = [ranOn(0), ranOn(1)];
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect([...first, ...[...second].reverse()]).toEqual(byStart);
    expect((await store.readScores(done[0]!.id, 'pred')).scores.length).toBe(2);
    // Nothing left to do: no fit, no thread.
    await t.endTrain(done, { experiment: 's' });
    expect([resolver.totalFits(), made.length]).toEqual([8, 1]);
  });

  it('DelayTrainerR.endTrain after a kill: a recorder already fitted is only finished, a recorded one fitted and finished', async () => {
    const runner = new TaskRunner({ store, resolver, logger: silentLogger });
    const fitted = await runner.fit(task(1), 's');
    const t = trainer(DelayTrainerR, null);
    const [recorded] = await t.train([task(2)], { experiment: 's' });
    expect(resolver.totalFits()).toBe(1);
    const done = await t.endTrain([fitted, recorded!], { experiment: 's' });
    expect(done.map((r) => r.status)).toEqual(['FINISHED', 'FINISHED']);
    expect(resolver.totalFits()).toBe(2);
    // TrainerR meeting a recorded task fits it into the same recorder (history may name it).
    const [other] = await t.train([task(3)], { experiment: 's' });
    const [trained] = await trainer(TrainerR, null).train([task(3)], { experiment: 's' });
    expect([trained!.id, trained!.status]).toEqual([other!.id, 'FINISHED']);
  });
});
