import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runWorkerLoop, type TaskExecutor, type TaskOutcome } from '../core/engine/worker.js';
import { migrateSqlStore, SqlExperimentStore, type FetchedTask, type TaskDef, type TaskPool } from '../core/index.js';
import { PgDriver } from '../plugins/store-postgres/index.js';
import { openSqliteStore } from '../plugins/store-sqlite/index.js';

/**
 * Task pool throughput with workers as separate processes, on SQLite and
 * PostgreSQL (when QONLINE_TEST_PG_URL or QONLINE_PG_URL is set).
 *
 * Each run creates TASKS no-op tasks, then drains them. Ours: P child
 * processes (this bundle started with `--pool-worker`), each with its own
 * connection running the real worker loop (`runWorkerLoop`, lease renewal
 * included, `once`: it returns when nothing is left); they open their store,
 * say they are ready, and start together on a signal, so process start-up is
 * not timed. The anchor, run between ours in the same session (A B A B):
 * one worker loop in this process doing the same work on one connection --
 * what a user gets without distributing. The ratio says whether worker
 * processes pay (above 1) or only contend for the database (below 1).
 *
 * Each run checks that every task ran exactly once (done, one attempt, each
 * id claimed by one worker). Prints tasks/s (median and min-max of ROUNDS),
 * the claim latency (one `fetch`, median and 95th percentile over all
 * claims) and the ratio to the anchor of the same round.
 * QONLINE_BENCH_SMALL=1: 300 tasks, 2 rounds.
 */
const SMALL = process.env['QONLINE_BENCH_SMALL'] === '1';
const TASKS = SMALL ? 300 : 2000;
const ROUNDS = SMALL ? 2 : 3;
const PROCESSES = [2, 4];
/** A run that takes longer is stopped (the bench stays bounded on a loaded machine). */
const RUN_TIMEOUT_MS = 180_000;

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

interface Target {
  backend: 'sqlite' | 'postgres';
  /** SQLite file or PostgreSQL URL. */
  where: string;
  schema?: string;
}

interface Backend {
  name: string;
  fresh(): Promise<{ target: Target; drop(): Promise<void> }>;
}

async function open(t: Target): Promise<SqlExperimentStore> {
  if (t.backend === 'sqlite') return openSqliteStore(t.where);
  const driver = await PgDriver.open({ url: t.where, schema: t.schema!, poolSize: 2 });
  await migrateSqlStore(driver);
  return new SqlExperimentStore(driver);
}

function def(i: number): TaskDef {
  return { model: { class: 'NoOp', kwargs: { i } }, dataset: { class: 'D', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { test: ['2020-01-01', null] } } } };
}

class NoOpExecutor implements TaskExecutor {
  readonly ids: string[] = [];
  constructor(private readonly pool: TaskPool) {}
  async execute(f: FetchedTask): Promise<TaskOutcome> {
    this.ids.push(f.task.id);
    await this.pool.commitResult(f.lease, f.task.id);
    return { status: 'done', recorderId: f.task.id };
  }
  async abort(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The pool with each `fetch` timed (milliseconds into `latencies`). */
function timedFetches(pool: TaskPool, latencies: number[]): TaskPool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'fetch') {
        return async (...args: Parameters<TaskPool['fetch']>) => {
          const t0 = performance.now();
          const r = await target.fetch(...args);
          latencies.push(performance.now() - t0);
          return r;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

interface Drained {
  ids: string[];
  latencies: number[];
}

/** One worker loop over the pool until it is empty. */
async function drain(store: SqlExperimentStore, name: string): Promise<Drained> {
  const latencies: number[] = [];
  const pool = timedFetches(store.taskPools().pool('bench'), latencies);
  const executor = new NoOpExecutor(pool);
  await runWorkerLoop({ pools: [pool], executor, once: true, leaseSeconds: 30, idlePollMs: 20, logger: silent, name: () => name });
  return { ids: executor.ids, latencies };
}

/** `node dist/bench.js --pool-worker TARGET_JSON NAME`: a worker process of this bench. */
export async function runPoolWorkerProcess(targetJson: string, name: string): Promise<void> {
  const store = await open(JSON.parse(targetJson) as Target);
  try {
    process.stdout.write('ready\n');
    const rl = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => rl.once('line', () => resolve()));
    rl.close(); // stdin would keep the process alive
    const r = await drain(store, name);
    process.stdout.write(JSON.stringify(r) + '\n');
  } finally {
    await store.close();
  }
}

interface RunResult {
  seconds: number;
  latencies: number[];
}

async function createTasks(t: Target): Promise<void> {
  const store = await open(t);
  try {
    await store.taskPools().pool('bench').create(Array.from({ length: TASKS }, (_, i) => ({ def: def(i), experiment: 'e' })));
  } finally {
    await store.close();
  }
}

async function verify(t: Target, what: string, ids: string[]): Promise<void> {
  const store = await open(t);
  try {
    const tasks = await store.taskPools().pool('bench').query();
    const bad = tasks.filter((x) => x.status !== 'done' || x.attempts !== 1).length;
    if (ids.length !== TASKS || new Set(ids).size !== TASKS || tasks.length !== TASKS || bad) {
      throw new Error(`${what}: ${ids.length} claims of ${new Set(ids).size} distinct tasks, ${bad} of ${tasks.length} not done once; expected ${TASKS} once each`);
    }
  } finally {
    await store.close();
  }
}

/** The anchor: one worker loop in this process. */
async function runInProcess(t: Target): Promise<RunResult> {
  await createTasks(t);
  const store = await open(t);
  let r: Drained;
  const t0 = performance.now();
  try {
    r = await drain(store, 'anchor');
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  await verify(t, 'in-process loop', r.ids);
  return { seconds, latencies: r.latencies };
}

/** Ours: `count` worker processes, started together once all are connected. */
async function runProcesses(t: Target, count: number): Promise<RunResult> {
  await createTasks(t);
  const script = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const results: Promise<Drained>[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < count; w++) {
    const child = spawn(process.execPath, [script, '--pool-worker', JSON.stringify(t), `p${w}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    let onReady: () => void = () => {};
    ready.push(new Promise<void>((resolve) => (onReady = resolve)));
    results.push(
      new Promise<Drained>((resolve, reject) => {
        lines.on('line', (line) => {
          if (line === 'ready') onReady();
          else resolve(JSON.parse(line) as Drained);
        });
        child.once('exit', (code) => reject(new Error(`pool worker process ${w} exited with ${code} before reporting`)));
      }),
    );
  }
  const timeout = setTimeout(() => children.forEach((c) => c.kill()), RUN_TIMEOUT_MS);
  try {
    await Promise.race([Promise.all(ready), Promise.all(results)]);
    const t0 = performance.now();
    for (const c of children) c.stdin!.end('go\n');
    const drained = await Promise.all(results);
    const seconds = (performance.now() - t0) / 1000;
    await verify(t, `${count} worker processes`, drained.flatMap((d) => d.ids));
    return { seconds, latencies: drained.flatMap((d) => d.latencies) };
  } finally {
    clearTimeout(timeout);
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  }
}

function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'SQLite',
      async fresh() {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-pool-bench-'));
        return { target: { backend: 'sqlite', where: path.join(dir, 'store.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  const url = process.env['QONLINE_TEST_PG_URL'] ?? process.env['QONLINE_PG_URL'];
  if (url) {
    list.push({
      name: 'PostgreSQL',
      async fresh() {
        const schema = `bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
        return {
          target: { backend: 'postgres', where: url, schema },
          async drop() {
            const d = await PgDriver.open({ url, poolSize: 1 });
            await d.run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
            await d.close();
          },
        };
      },
    });
  } else console.log('PostgreSQL skipped: set QONLINE_TEST_PG_URL or QONLINE_PG_URL to include it');
  return list;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const spread = (xs: number[], digits: number): string =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

export async function runPoolBench(): Promise<void> {
  console.log(
    `${TASKS} no-op tasks per run, ${ROUNDS} rounds; ours: worker processes (the worker loop, own connection each); ` +
      'anchor: one worker loop in this process, same work, run between ours (A B A B)',
  );
  console.log(['backend', 'workers', 'tasks/s median (min-max)', 'claim ms median / p95', `ratio to the anchor, median (min-max)`].join('\t'));
  for (const b of backends()) {
    const configs = ['anchor', ...PROCESSES.map(String)];
    const rates = new Map<string, number[]>(configs.map((c) => [c, []]));
    const ratios = new Map<string, number[]>(configs.map((c) => [c, []]));
    const latencies = new Map<string, number[]>(configs.map((c) => [c, []]));
    for (let round = 0; round < ROUNDS; round++) {
      let anchorRate = 0;
      for (const c of configs) {
        const db = await b.fresh();
        try {
          const r = c === 'anchor' ? await runInProcess(db.target) : await runProcesses(db.target, Number(c));
          const rate = TASKS / r.seconds;
          if (c === 'anchor') anchorRate = rate;
          rates.get(c)!.push(rate);
          ratios.get(c)!.push(rate / anchorRate);
          latencies.get(c)!.push(...r.latencies);
        } finally {
          await db.drop();
        }
      }
    }
    for (const c of configs) {
      const lat = latencies.get(c)!;
      console.log(
        [
          b.name,
          c === 'anchor' ? '1, in process (anchor)' : `${c} processes`,
          spread(rates.get(c)!, 0),
          `${median(lat).toFixed(1)} / ${quantile(lat, 0.95).toFixed(1)}`,
          c === 'anchor' ? '1' : spread(ratios.get(c)!, 2),
        ].join('\t'),
      );
    }
  }
}
