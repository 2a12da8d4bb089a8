import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PoolTask, RecorderInfo, SqlExperimentStore } from '../../core/index.js';
import { openSqliteStore } from '../../plugins/store-sqlite/index.js';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { dropSchema, freshSchema, openPgTestStore, pgTestUrl, requirePgOrExplainSkip } from '../helpers/pg.js';
import { SLOW_MODEL, slowPoolYaml, type SlowPoolOptions } from '../helpers/slow-pool.js';

/**
 * Real `qonline worker` processes (the built CLI) against one pool, on SQLite
 * and on PostgreSQL: exactly-once training with several workers, a worker
 * killed mid-fit, a task that always fails, a manager that waits, and both
 * phases of DelayTrainerRM through the pool. Fits come from a test plugin
 * whose model blocks its thread for `sleep_ms` (CPU-bound work, as far as
 * the event loop can tell).
 */


interface Backend {
  name: string;
  skip?: string;
  /** YAML of the store for one test, and how to open it from the test. */
  store(test: string): { yaml: string; open(): Promise<SqlExperimentStore>; cleanup(): Promise<void> };
}

type ConfigOptions = Omit<SlowPoolOptions, 'manager' | 'store' | 'features'>;

function configYaml(storeYaml: string, o: ConfigOptions): string {
  return slowPoolYaml({ ...o, manager: 'pool_e2e', store: storeYaml, features: '{RET1: "$close/Ref($close, 1) - 1", RET5: "$close/Ref($close, 5) - 1"}' });
}

/** A running CLI process with its output so far. */
interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number>;
}

const live = new Set<ChildProcess>();

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? -1 : 0));
    }),
  );
  return { child, out: () => out, err: () => err, exit };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A worker process, ready once its threads have opened the pipeline. */
async function startWorker(config: string, home: string, extra: string[] = []): Promise<Proc> {
  const w = start(['worker', config, '--home', home, '--poll-ms', '100', ...extra]);
  await until('the worker to start', () => /worker \S+: pool\(s\)/.test(w.err()) || w.child.exitCode !== null, 60_000);
  if (w.child.exitCode !== null) throw new Error(`worker exited early:\n${w.err()}`);
  return w;
}

function summary(p: Proc): { done: number; failed: number } {
  const m = /worker stopped: (\d+) done, \d+ part_done, (\d+) failed attempt/.exec(p.out());
  if (!m) throw new Error(`no worker summary in:\n${p.out()}\n${p.err()}`);
  return { done: Number(m[1]), failed: Number(m[2]) };
}

const sqlite: Backend = {
  name: 'SQLite',
  store: (test) => ({
    yaml: `{class: SQLiteStore, kwargs: {path: ${test}.sqlite}}`,
    open: () => openSqliteStore(path.join(home, `${test}.sqlite`)),
    cleanup: async () => undefined,
  }),
};

const { url: pgUrl, skip: pgSkip } = pgTestUrl();
const postgres: Backend = {
  name: 'PostgreSQL',
  skip: pgSkip ?? (pgUrl ? undefined : 'QONLINE_TEST_PG_URL is not set'),
  store: () => {
    const schema = freshSchema('e2e');
    return {
      yaml: `{class: PostgresStore, kwargs: {url: "\${QONLINE_TEST_PG_URL}", schema: ${schema}, pool_size: 4}}`,
      open: () => openPgTestStore(pgUrl!, schema),
      cleanup: () => dropSchema(pgUrl!, schema),
    };
  },
};

// One home (one generated market) for every test of the file; each test has its own store.
let home: string;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`the built CLI is missing (${CLI}): run \`npx tsup\` first`);
  dir = tempDir('qonline-pool-e2e-');
  home = path.join(dir, 'home');
  copyFileSync(SLOW_MODEL, path.join(dir, 'slow-model.js'));
  // Generate the market once, before several processes would race to.
  const warm = path.join(dir, 'warm.yaml');
  writeFileSync(warm, configYaml(sqlite.store('warm').yaml, { trainer: 'TrainerR', trainerKwargs: '{}', modelKwargs: '{}', test: ['2020-12-01', '2020-12-31'] }));
  const r = await runCli(['tasks', 'preview', warm, '--home', home], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(r.stderr);
}, 180_000);

afterEach(() => {
  for (const c of live) c.kill('SIGKILL');
});

requirePgOrExplainSkip('pool e2e');

for (const backend of [sqlite, postgres]) {
  describe.skipIf(Boolean(backend.skip))(`task pool with worker processes: ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c().catch(() => undefined);
    });

    function setup(test: string, o: ConfigOptions): { config: string; open(): Promise<SqlExperimentStore> } {
      const s = backend.store(test);
      cleanups.push(s.cleanup);
      const config = path.join(dir, `${backend.name}-${test}.yaml`);
      writeFileSync(config, configYaml(s.yaml, o));
      return { config, open: s.open };
    }

    async function poolTasks(open: () => Promise<SqlExperimentStore>): Promise<PoolTask[]> {
      const store = await open();
      try {
        return await store.taskPools().pool('slow').query();
      } finally {
        await store.close();
      }
    }

    async function recorders(open: () => Promise<SqlExperimentStore>): Promise<RecorderInfo[]> {
      const store = await open();
      try {
        return await store.listRecorders({ experiment: 'slow' });
      } finally {
        await store.close();
      }
    }

    it('several workers train every task exactly once while the manager waits for them', async () => {
      const { config, open } = setup('many', {
        trainer: 'TrainerRM',
        trainerKwargs: '{train_locally: false, lease_seconds: 2, poll_ms: 100}',
        modelKwargs: '{sleep_ms: 400}',
        test: ['2020-01-01', '2020-12-31'],
      });
      const workers = await Promise.all([0, 1, 2].map(() => startWorker(config, home)));
      const manager = start(['run', config, '--home', home]);
      expect(await manager.exit, manager.err()).toBe(0);
      const tasks = await poolTasks(open);
      expect(tasks.length).toBeGreaterThanOrEqual(6);
      expect(tasks.every((t) => t.status === 'done' && t.attempts === 1)).toBe(true);
      // Idle workers stop at once on SIGTERM, exit 0, and together trained each task once.
      for (const w of workers) w.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0, 0]);
      const done = workers.map((w) => summary(w).done);
      expect(done.reduce((a, b) => a + b, 0)).toBe(tasks.length);
      expect(done.filter((d) => d > 0).length).toBeGreaterThanOrEqual(2);
      const store = await open();
      try {
        const recs = await store.listRecorders({ experiment: 'slow' });
        expect(recs).toHaveLength(tasks.length);
        expect(recs.every((r) => r.status === 'FINISHED')).toBe(true);
        expect(new Set(recs.map((r) => r.taskHash)).size).toBe(tasks.length);
        expect(new Set(tasks.map((t) => t.res))).toEqual(new Set(recs.map((r) => r.id)));
        expect((await store.readScores(recs[0]!.id, 'pred')).scores.length).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    }, 120_000);

    it('a worker killed mid-fit (a fit of 4.5 lease periods) loses its task to another, which trains it once more', async () => {
      const { config, open } = setup('kill', {
        trainer: 'TrainerRM',
        trainerKwargs: '{train_locally: false, lease_seconds: 1, max_attempts: 3, poll_ms: 100}',
        modelKwargs: '{sleep_ms: 4500}',
        test: ['2020-12-01', '2020-12-31'],
      });
      // Two idle workers; whichever fetches the task is the one killed.
      const workers = await Promise.all([0, 1].map(() => startWorker(config, home)));
      const manager = start(['run', config, '--home', home]);
      const held = await until('a worker to hold the task', async () => {
        const t = (await poolTasks(open))[0];
        return t?.status === 'running' ? t : undefined;
      });
      const victim = workers.find((w) => held.worker?.includes(`:${w.child.pid}:`))!;
      const survivor = workers.find((w) => w !== victim)!;
      expect(victim).toBeDefined();
      // For well over two lease periods the task stays with the victim, the other worker polling all along:
      // its lease is renewed while its fit blocks a thread.
      const t0 = Date.now();
      const expiries: number[] = [];
      while (Date.now() - t0 < 2500) {
        const t = (await poolTasks(open))[0]!;
        expect([t.status, t.attempts, t.worker]).toEqual(['running', 1, held.worker]);
        expiries.push(Date.parse(t.lease!.expiresAt));
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(Math.max(...expiries)).toBeGreaterThan(Date.parse(held.lease!.expiresAt) + 1000);
      victim.child.kill('SIGKILL');
      expect(await manager.exit, manager.err()).toBe(0);
      const [t] = await poolTasks(open);
      expect(t!.status).toBe('done');
      expect(t!.attempts).toBe(2);
      expect(t!.worker).toContain(`:${survivor.child.pid}:`);
      expect(t!.lastError).toMatch(new RegExp(`lease of worker \\S+:${victim.child.pid}:0 ran out`));
      expect((await recorders(open)).map((r) => [r.id, r.status])).toEqual([[t!.res, 'FINISHED']]);
      survivor.child.kill('SIGTERM');
      expect(await survivor.exit).toBe(0);
      expect(summary(survivor).done).toBe(1);
    }, 120_000);

    it('a manager training locally keeps its lease through a fit 2.5 times longer (the fit runs on a thread); a worker beside it never takes the task', async () => {
      const { config, open } = setup('local', {
        trainer: 'TrainerRM',
        trainerKwargs: '{lease_seconds: 2, poll_ms: 100}',
        modelKwargs: '{sleep_ms: 5000}',
        test: ['2020-12-01', '2020-12-31'],
      });
      const manager = start(['run', config, '--home', home]);
      const held = await until(
        'the manager to hold the task',
        async () => {
          const t = (await poolTasks(open))[0];
          return t?.status === 'running' ? t : undefined;
        },
        60_000,
      );
      expect(held.worker).toContain(`:${manager.child.pid}:manager`);
      const worker = await startWorker(config, home);
      expect(await manager.exit, manager.err()).toBe(0);
      const [t] = await poolTasks(open);
      expect([t!.status, t!.attempts, t!.worker]).toEqual(['done', 1, held.worker]);
      worker.child.kill('SIGTERM');
      expect(await worker.exit).toBe(0);
      expect(summary(worker).done).toBe(0);
      expect((await recorders(open)).map((r) => [r.id, r.status])).toEqual([[t!.res, 'FINISHED']]);
    }, 120_000);

    it('a task that always throws ends failed after max_attempts, with its error, and can be retried', async () => {
      const { config, open } = setup('fail', {
        trainer: 'TrainerRM',
        trainerKwargs: '{train_locally: false, lease_seconds: 2, max_attempts: 2, poll_ms: 100}',
        modelKwargs: '{fail: "synthetic failure in fit"}',
        test: ['2020-12-01', '2020-12-31'],
      });
      const manager = start(['run', config, '--home', home]);
      await until('the task in the pool', async () => (await poolTasks(open).catch(() => []))[0]);
      const w = start(['worker', config, '--home', home, '--once']);
      expect(await w.exit, w.err()).toBe(0);
      expect(summary(w)).toEqual({ done: 0, failed: 2 });
      expect(await manager.exit).toBe(1);
      expect(manager.err()).toMatch(/QONLINE_TASK_FAILED.*synthetic failure in fit/);
      const list = await runCli(['tasks', 'list', config, '--home', home, '--json']);
      expect(list.code, list.stderr).toBe(0);
      const rows = JSON.parse(list.stdout) as { status: string; attempts: number; max_attempts: number; last_error: string }[];
      expect(rows.map((r) => [r.status, r.attempts, r.max_attempts, r.last_error])).toEqual([['failed', 2, 2, 'synthetic failure in fit']]);
      const wait = await runCli(['tasks', 'wait', config, '--home', home]);
      expect(wait.code).toBe(1);
      expect(wait.stdout).toMatch(/1 task\(s\) failed/);
      const retry = await runCli(['tasks', 'retry', config, '--home', home]);
      expect(retry.stdout).toContain('1 failed task(s) put back');
      const stat = await runCli(['tasks', 'stat', config, '--home', home, '--json']);
      expect(JSON.parse(stat.stdout)).toMatchObject({ pools: { slow: { waiting: 1, failed: 0 } } });
      const remove = await runCli(['tasks', 'remove', config, '--home', home, '--all']);
      expect(remove.stdout).toContain('1 task(s) removed');
    }, 120_000);

    it('SIGTERM lets a busy worker finish its task and exit 0; a second SIGTERM hands the task back uncounted', async () => {
      const { config, open } = setup('stop', {
        trainer: 'TrainerRM',
        trainerKwargs: '{train_locally: false, lease_seconds: 2, poll_ms: 100}',
        modelKwargs: '{sleep_ms: 2000}',
        test: ['2020-11-01', '2020-12-31'],
      });
      const running = (worker: Proc) => async () => {
        const t = (await poolTasks(open)).find((x) => x.status === 'running');
        return t?.worker?.includes(`:${worker.child.pid}:`) ? t : undefined;
      };
      const first = await startWorker(config, home);
      const manager = start(['run', config, '--home', home]);
      const t1 = await until('the first worker to train', running(first));
      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(0);
      expect(summary(first).done).toBe(1);
      let tasks = await poolTasks(open);
      expect(tasks.length).toBe(2);
      expect(tasks.find((t) => t.id === t1.id)!.status).toBe('done');
      expect(tasks.find((t) => t.id !== t1.id)!.status).toBe('waiting');

      const second = await startWorker(config, home);
      const t2 = await until('the second worker to train', running(second));
      second.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      second.child.kill('SIGTERM');
      const t0 = Date.now();
      expect(await second.exit).toBe(0);
      expect(Date.now() - t0).toBeLessThan(1900);
      expect(second.out()).toMatch(/0 done, 0 part_done, 0 failed attempt\(s\), 0 lost lease\(s\), 1 handed back/);
      tasks = await poolTasks(open);
      const back = tasks.find((t) => t.id === t2.id)!;
      expect([back.status, back.attempts]).toEqual(['waiting', 0]);

      const third = start(['worker', config, '--home', home, '--once']);
      expect(await third.exit, third.err()).toBe(0);
      expect(await manager.exit, manager.err()).toBe(0);
      tasks = await poolTasks(open);
      expect(tasks.every((t) => t.status === 'done' && t.attempts === 1)).toBe(true);
    }, 120_000);

    it('DelayTrainerRM runs both phases through the pool on a worker with two slots', async () => {
      const { config, open } = setup('delay', {
        trainer: 'DelayTrainerRM',
        trainerKwargs: '{train_locally: false, lease_seconds: 2, poll_ms: 100}',
        modelKwargs: '{sleep_ms: 100}',
        test: ['2020-09-01', '2020-12-31'],
      });
      const w = await startWorker(config, home, ['--concurrency', '2']);
      const manager = start(['run', config, '--home', home]);
      expect(await manager.exit, manager.err()).toBe(0);
      const tasks = await poolTasks(open);
      expect(tasks.length).toBeGreaterThanOrEqual(2);
      expect(tasks.every((t) => t.status === 'done' && t.phases === 2)).toBe(true);
      w.child.kill('SIGINT');
      expect(await w.exit).toBe(0);
      expect(w.out()).toMatch(new RegExp(`worker stopped: ${tasks.length} done, ${tasks.length} part_done, 0 failed`));
      const recs = await recorders(open);
      expect(recs).toHaveLength(tasks.length);
      expect(recs.every((r) => r.status === 'FINISHED' && r.params.phase === 'finished')).toBe(true);
    }, 120_000);
  });
}
