import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessExecutor, runWorkerLoop } from '../../../../core/engine/worker.js';
import { Kernel } from '../../../../core/kernel/kernel.js';
import { TestClock } from '../../../../core/kernel/clock.js';
import { defineComponent, definePlugin, S, TaskRunner, type Logger, type SqlExperimentStore, type TaskDef } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { FakeResolver, nullProgress, silentLogger } from '../../../helpers/fake-training.js';

/**
 * Components that "own a resource": each build opens one (logged), each
 * dispose closes it (logged) and may fail. A worker task builds its dataset,
 * model and records in its own scope; the test checks they are all closed
 * when the task ends, newest first, with every close failure reported.
 */
function resourcePlugin(events: string[]) {
  const fake = new FakeResolver();
  const open = (what: string): { what: string; fail?: string } => {
    events.push(`open ${what}`);
    return { what };
  };
  const close = (what: string, fail?: string): void => {
    events.push(`close ${what}`);
    if (fail) throw new Error(fail);
  };
  const dataset = defineComponent({
    kind: 'dataset',
    name: 'OwnedData',
    description: 'test dataset owning a resource',
    schema: S.object({}, { additionalProperties: true }),
    create: async (o) => Object.assign(await fake.resolve<object>('dataset', { class: 'DatasetH', kwargs: o }), { res: open('dataset') }) as never,
    dispose: (d) => close((d as unknown as { res: { what: string } }).res.what),
  });
  const model = defineComponent({
    kind: 'model',
    name: 'Fake',
    description: 'test model owning a resource',
    schema: S.object({ alpha: S.number() }),
    create: async (o) => Object.assign(await fake.resolve<object>('model', { class: 'Fake', kwargs: o }), { res: open('model') }) as never,
    restore: async (s) => Object.assign(await fake.restoreModel<object>(s), { res: open('restored model') }) as never,
    dispose: (m) => close((m as unknown as { res: { what: string } }).res.what),
  });
  const record = defineComponent({
    kind: 'record',
    name: 'OwnedRecord',
    description: 'test record owning a resource; fail: its close throws that message',
    schema: S.object({ name: S.string(), fail: S.optional(S.string()) }),
    create: (o) => ({ res: open(`record ${o.name}`), fail: o.fail, generate: () => ({ metrics: {}, artifacts: {} }) }) as never,
    dispose: (r) => {
      const x = r as unknown as { res: { what: string }; fail?: string };
      close(x.res.what, x.fail);
    },
  });
  return definePlugin({ name: 'owned', version: '1.0.0', components: [dataset, model, record] });
}

function task(records: { name: string; fail?: string }[]): TaskDef {
  return {
    model: { class: 'Fake', kwargs: { alpha: 1 } },
    dataset: { class: 'OwnedData', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { train: ['2019-01-01', '2019-12-31'], test: ['2020-01-01', null] } } },
    record: records.map((r) => ({ class: 'OwnedRecord', kwargs: r })),
  } as TaskDef;
}

describe('a worker slot builds each task in its own scope', () => {
  let file: string;
  let store: SqlExperimentStore;
  let kernel: Kernel;
  let events: string[];
  let errors: string[];
  let logger: Logger;
  beforeEach(async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-ws-')), 'store.sqlite');
    store = await openSqliteStore(file);
    events = [];
    errors = [];
    logger = { ...silentLogger, error: (m: string) => errors.push(m), child: () => logger } as Logger;
    kernel = new Kernel({ plugins: [{ manifest: resourcePlugin(events), source: 'test' }], logger, progress: nullProgress, clock: new TestClock(), home: path.dirname(file) });
    await kernel.start();
  });
  afterEach(async () => {
    await kernel.stop();
    await store.close();
  });

  it('closes what a task built when it ends, newest first, reporting every close failure together', async () => {
    const pool = store.taskPools().pool('p');
    await pool.create([
      { def: task([{ name: 'a' }, { name: 'b', fail: 'b is stuck' }, { name: 'c', fail: 'c is stuck' }]), experiment: 'e' },
      { def: task([{ name: 'd' }]), experiment: 'e' },
    ]);
    const runner = new TaskRunner({ store, resolver: kernel, logger });
    const report = await runWorkerLoop({
      pools: [pool],
      executor: new InProcessExecutor(runner, () => pool, { scopes: kernel, logger }),
      once: true,
      leaseSeconds: 30,
      logger,
    });
    // Both tasks committed: a failure to close is reported, it does not undo the task.
    expect(report.done).toBe(2);
    expect(await pool.stat()).toMatchObject({ done: 2, failed: 0 });
    // One task builds its dataset and model to fit, restores the model to predict on the same dataset (the frame is
    // built once per task), then its records.
    const oneTask = (records: string[]): string[] => [
      'open dataset',
      'open model',
      'open restored model',
      ...records.map((r) => `open record ${r}`),
      ...[...records].reverse().map((r) => `close record ${r}`),
      'close restored model',
      'close model',
      'close dataset',
    ];
    // Each task opened and closed its own set, newest first: nothing leaked from one task into the next.
    expect(events).toEqual([...oneTask(['a', 'b', 'c']), ...oneTask(['d'])]);
    // One report for the first task naming both failures; none for the second.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/2 resources failed to close/);
    expect(errors[0]).toMatch(/owned\/OwnedRecord failed: c is stuck.*owned\/OwnedRecord failed: b is stuck/);
    // The worker's own (process-wide) kernel holds nothing the tasks built.
    events.length = 0;
    await kernel.stop();
    expect(events).toEqual([]);
  });
});
