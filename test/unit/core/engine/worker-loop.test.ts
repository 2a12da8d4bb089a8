import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../core/kernel/clock.js';
import { runWorkerLoop, type TaskExecutor, type TaskOutcome } from '../../../../core/engine/worker.js';
import type { EngineMetrics, FetchedTask, SqlExperimentStore, TaskPool } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { poolTaskDef } from '../../../contract/task-pool.contract.js';
import { silentLogger } from '../../../helpers/fake-training.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Commits `rec-<id>` after `ms`; counts how often each task ran. */
class CountingExecutor implements TaskExecutor {
  readonly runs = new Map<string, number>();
  constructor(
    private readonly pool: TaskPool,
    private readonly ms: (f: FetchedTask) => number = () => 5,
    private readonly fail?: string,
    private readonly wait: (ms: number) => Promise<void> = sleep,
  ) {}
  async execute(f: FetchedTask): Promise<TaskOutcome> {
    this.runs.set(f.task.id, (this.runs.get(f.task.id) ?? 0) + 1);
    await this.wait(this.ms(f));
    if (this.fail) throw new Error(this.fail);
    await this.pool.commitResult(f.lease, `rec-${f.task.id}`);
    return { status: 'done', recorderId: `rec-${f.task.id}` };
  }
  async abort(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('worker loop (SQLite pool, in process)', () => {
  let file: string;
  let store: SqlExperimentStore;
  let pool: TaskPool;
  beforeEach(async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-wl-')), 'store.sqlite');
    store = await openSqliteStore(file);
    pool = store.taskPools().pool('p', { maxAttempts: 3 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('two workers with three slots each train every task exactly once, then stop with --once', async () => {
    const ids = await pool.create(Array.from({ length: 30 }, (_, i) => ({ def: poolTaskDef(i), experiment: 'e' })));
    const other = await openSqliteStore(file);
    try {
      const pool2 = other.taskPools().pool('p');
      const e1 = new CountingExecutor(pool, () => Math.random() * 10);
      const e2 = new CountingExecutor(pool2, () => Math.random() * 10);
      const [r1, r2] = await Promise.all([
        runWorkerLoop({ pools: [pool], executor: e1, concurrency: 3, once: true, leaseSeconds: 5, logger: silentLogger, name: (s) => `a${s}` }),
        runWorkerLoop({ pools: [pool2], executor: e2, concurrency: 3, once: true, leaseSeconds: 5, logger: silentLogger, name: (s) => `b${s}` }),
      ]);
      expect(r1.done + r2.done).toBe(30);
      const runs = new Map<string, number>();
      for (const m of [e1.runs, e2.runs]) for (const [k, v] of m) runs.set(k, (runs.get(k) ?? 0) + v);
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      expect([...runs.values()].every((v) => v === 1)).toBe(true);
      const tasks = await pool.query();
      expect(tasks.every((t) => t.status === 'done' && t.attempts === 1 && t.res === `rec-${t.id}`)).toBe(true);
      expect(new Set(tasks.map((t) => t.worker![0])).size).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('renews the lease while a task runs for more than three lease periods; nobody else takes it', async () => {
    const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
    const slow = new CountingExecutor(pool, () => 1300);
    const running = runWorkerLoop({ pools: [pool], executor: slow, once: true, leaseSeconds: 0.3, logger: silentLogger });
    await sleep(100);
    const other = await openSqliteStore(file);
    try {
      const thief = other.taskPools().pool('p');
      for (let i = 0; i < 10; i++) {
        await sleep(100);
        expect(await thief.fetch({ worker: 'thief' })).toBeNull();
      }
    } finally {
      await other.close();
    }
    expect((await running).done).toBe(1);
    const t = (await pool.get(id!))!;
    expect([t.status, t.attempts]).toEqual(['done', 1]);
  });

  it('tells its metrics of every lease renewal (timed by the clock service), of a takeover and of how each task ended', async () => {
    const events: string[] = [];
    const metrics: EngineMetrics = {
      routineEnded: () => events.push('routine'),
      leaseRenewed: (p) => events.push(`renewed ${p}`),
      leaseTakenOver: (p) => events.push(`taken over ${p}`),
      taskEnded: (p, end, seconds) => events.push(`${end} ${p} ${seconds}s`),
    };
    // A holder that died: its lease (database time) runs out by itself.
    const [dead] = await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
    expect((await pool.fetch({ worker: 'gone:1:0', leaseSeconds: 0.05 }))!.task.id).toBe(dead);
    // Reaped once it has run out (by whoever looks first: here the test, as a waiting manager would).
    for (let t0 = Date.now(); (await pool.reapExpired()) === 0; await sleep(10)) if (Date.now() - t0 > 10_000) throw new Error('the lease never ran out');
    const clock = new TestClock();
    const slow = new CountingExecutor(pool, () => 90_000, undefined, (ms) => clock.sleep(ms));
    const running = runWorkerLoop({ pools: [pool], executor: slow, once: true, leaseSeconds: 60, logger: silentLogger, clock, metrics });
    await until(() => clock.pending === 2, 'the task and its lease keeper to wait on the clock');
    // Every 20 s of clock time (a third of the lease) one renewal, until the 90 s task ends.
    for (let i = 0; i < 4; i++) {
      clock.advance(20_000);
      await until(() => events.filter((e) => e.startsWith('renewed')).length === i + 1 || events.some((e) => e.startsWith('done')), `renewal ${i + 1}`);
    }
    clock.advance(10_000);
    expect((await running).done).toBe(1);
    expect(events).toEqual(['taken over p', 'renewed p', 'renewed p', 'renewed p', 'renewed p', 'done p 90s']);
  });

  it('a failing task is retried up to max attempts and ends failed with its error', async () => {
    const [id] = await pool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
    const r = await runWorkerLoop({ pools: [pool], executor: new CountingExecutor(pool, () => 1, 'disk full'), once: true, leaseSeconds: 5, logger: silentLogger });
    expect(r.failed).toBe(3);
    const t = (await pool.get(id!))!;
    expect([t.status, t.attempts, t.lastError]).toEqual(['failed', 3, 'disk full']);
  });

  it('stop finishes the running task and fetches no more; hand-back returns it uncounted', async () => {
    // Task time is a TestClock's: the test decides when the running task ends.
    const clock = new TestClock();
    await pool.create([1, 2, 3].map((n) => ({ def: poolTaskDef(n), experiment: 'e' })));
    const stop = new AbortController();
    const exec = new CountingExecutor(pool, () => 200, undefined, (ms) => clock.sleep(ms));
    const loop = runWorkerLoop({ pools: [pool], executor: exec, leaseSeconds: 5, logger: silentLogger, stop: stop.signal, clock });
    // Two sleepers on the clock: the task and its lease renewal.
    await until(() => exec.runs.size === 1 && clock.pending === 2, 'the first task to start');
    stop.abort();
    clock.advance(200);
    expect((await loop).done).toBe(1);
    expect(await pool.stat()).toMatchObject({ done: 1, waiting: 2 });

    const stop2 = new AbortController();
    const handBack = new AbortController();
    const exec2 = new CountingExecutor(pool, () => 5000, undefined, (ms) => clock.sleep(ms));
    const loop2 = runWorkerLoop({ pools: [pool], executor: exec2, leaseSeconds: 5, logger: silentLogger, stop: stop2.signal, handBack: handBack.signal, clock });
    await until(() => exec2.runs.size === 1, 'the second task to start');
    stop2.abort();
    handBack.abort();
    const r = await loop2;
    expect([r.done, r.handedBack]).toEqual([0, 1]);
    const tasks = await pool.query({ status: 'waiting' });
    expect(tasks).toHaveLength(2);
    expect(tasks.every((t) => t.attempts === 0)).toBe(true);
  });

  it('an idle worker wakes when tasks arrive (not by its poll) and stops at once when asked', async () => {
    // The pool's poll pauses are a TestClock's that never moves: only the change can wake the worker.
    const clock = new TestClock();
    const timed = await openSqliteStore(file, { clock });
    try {
      const tpool = timed.taskPools().pool('p');
      const stop = new AbortController();
      const exec = new CountingExecutor(tpool);
      const loop = runWorkerLoop({ pools: [tpool], executor: exec, leaseSeconds: 5, idlePollMs: 10_000, logger: silentLogger, stop: stop.signal, clock });
      await until(() => clock.pending === 1, 'the worker to go idle');
      await tpool.create([{ def: poolTaskDef(1), experiment: 'e' }]);
      await until(() => exec.runs.size === 1, 'the task to be fetched');
      await until(() => clock.pending === 1, 'the worker to go idle again');
      stop.abort();
      expect((await loop).done).toBe(1);
      expect(clock.pending).toBe(0);
    } finally {
      await timed.close();
    }
  });
});
