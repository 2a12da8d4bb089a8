import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWorkerLoop, type TaskExecutor, type TaskOutcome } from '../core/engine/worker.js';
import { migrateSqlStore, SqlExperimentStore, type FetchedTask, type TaskDef, type TaskPool } from '../core/index.js';
import { PgDriver } from '../plugins/store-postgres/index.js';
import { openSqliteStore } from '../plugins/store-sqlite/index.js';

/**
 * Task pool throughput on SQLite and PostgreSQL with 1, 2, 4 and 8 concurrent
 * workers, each on its own connection (as separate processes would be):
 *
 * - claims/s: workers fetch until the pool is empty (claim only);
 * - no-op tasks/s end to end: tasks created, workers (the real worker loop,
 *   lease renewal included) fetch and commit a result, a manager's `wait`
 *   returns; timed from create to wait.
 *
 * Both check that no task was claimed twice. PostgreSQL runs when
 * QONLINE_TEST_PG_URL (or QONLINE_PG_URL) is set.
 */
const WORKERS = [1, 2, 4, 8];
const TASKS = 400;

interface Backend {
  name: string;
  /** A fresh database; `connect` opens one more connection to it. */
  fresh(): Promise<{ connect(): Promise<SqlExperimentStore>; drop(): Promise<void> }>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

function def(i: number): TaskDef {
  return { model: { class: 'NoOp', kwargs: { i } }, dataset: { class: 'D', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { test: ['2020-01-01', null] } } } };
}

class NoOpExecutor implements TaskExecutor {
  constructor(
    private readonly pool: TaskPool,
    private readonly runs: Map<string, number>,
  ) {}
  async execute(f: FetchedTask): Promise<TaskOutcome> {
    this.runs.set(f.task.id, (this.runs.get(f.task.id) ?? 0) + 1);
    await this.pool.commitResult(f.lease, f.task.id);
    return { status: 'done', recorderId: f.task.id };
  }
  async abort(): Promise<void> {}
  async close(): Promise<void> {}
}

async function claimsPerSecond(backend: Backend, workers: number): Promise<number> {
  const db = await backend.fresh();
  const stores = await Promise.all(Array.from({ length: workers + 1 }, () => db.connect()));
  try {
    await stores[0]!.taskPools().pool('bench').create(Array.from({ length: TASKS }, (_, i) => ({ def: def(i), experiment: 'e' })));
    const claimed: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      stores.slice(1).map(async (s, w) => {
        const pool = s.taskPools().pool('bench', { leaseSeconds: 300 });
        for (let f = await pool.fetch({ worker: `w${w}` }); f; f = await pool.fetch({ worker: `w${w}` })) claimed.push(f.task.id);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (claimed.length !== TASKS || new Set(claimed).size !== TASKS) throw new Error(`${backend.name}: ${claimed.length} claims of ${new Set(claimed).size} distinct tasks, expected ${TASKS} once each`);
    return TASKS / seconds;
  } finally {
    for (const s of stores) await s.close();
    await db.drop();
  }
}

async function noOpTasksPerSecond(backend: Backend, workers: number): Promise<number> {
  const db = await backend.fresh();
  const manager = await db.connect();
  const stores = await Promise.all(Array.from({ length: workers }, () => db.connect()));
  const runs = new Map<string, number>();
  const stop = new AbortController();
  try {
    const loops = stores.map((s, w) => {
      const pool = s.taskPools().pool('bench');
      return runWorkerLoop({ pools: [pool], executor: new NoOpExecutor(pool, runs), leaseSeconds: 30, idlePollMs: 20, logger: silent, stop: stop.signal, name: () => `w${w}` });
    });
    const pool = manager.taskPools().pool('bench');
    const t0 = performance.now();
    const ids = await pool.create(Array.from({ length: TASKS }, (_, i) => ({ def: def(i), experiment: 'e' })));
    await pool.wait({ query: { ids }, pollMs: 20 });
    const seconds = (performance.now() - t0) / 1000;
    stop.abort();
    await Promise.all(loops);
    const tasks = await pool.query();
    const twice = [...runs.values()].filter((n) => n !== 1).length;
    if (runs.size !== TASKS || twice || tasks.some((t) => t.status !== 'done' || t.attempts !== 1)) {
      throw new Error(`${backend.name}: ${runs.size} tasks run, ${twice} more than once; expected ${TASKS} once each`);
    }
    return TASKS / seconds;
  } finally {
    stop.abort();
    for (const s of [manager, ...stores]) await s.close();
    await db.drop();
  }
}

function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'SQLite',
      async fresh() {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-pool-bench-'));
        const file = path.join(dir, 'store.sqlite');
        return { connect: () => openSqliteStore(file), drop: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  const url = process.env['QONLINE_TEST_PG_URL'] ?? process.env['QONLINE_PG_URL'];
  if (url) {
    list.push({
      name: 'PostgreSQL',
      async fresh() {
        const schema = `bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
        const connect = async (): Promise<SqlExperimentStore> => {
          const driver = await PgDriver.open({ url, schema, poolSize: 2 });
          await migrateSqlStore(driver);
          return new SqlExperimentStore(driver);
        };
        return {
          connect,
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

export async function runPoolBench(): Promise<void> {
  console.log(`${TASKS} tasks per run; each worker on its own connection; no task may be claimed twice`);
  console.log(['backend', 'workers', 'claims/s', 'no-op tasks/s (end to end)'].join('\t'));
  for (const b of backends()) {
    for (const w of WORKERS) {
      const claims = await claimsPerSecond(b, w);
      const e2e = await noOpTasksPerSecond(b, w);
      console.log([b.name, w, claims.toFixed(0), e2e.toFixed(0)].join('\t'));
    }
  }
}
