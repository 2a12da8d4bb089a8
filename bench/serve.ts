import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { OpenedManager } from '../core/index.js';
import { buildServer } from '../plugins/serve/index.js';
import { openSqliteStore } from '../plugins/store-sqlite/index.js';

const INSTRUMENTS = 300;
const DATES = 250;
const CONNECTIONS = 4;
const REQUESTS = 20_000;
const ROUNDS = 5;

/** Set in the child process that runs the two servers. */
export const SERVE_BENCH_CHILD_ENV = 'QONLINE_BENCH_SERVE_CHILD';

interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU (user + system) per request, microseconds, measured in the server process. */
  cpuUs: number;
}

/** Sends `total` GETs over `connections` keep-alive sockets (each socket one request at a time); latencies in ms. */
async function load(port: number, pathName: string, total: number, connections: number): Promise<Omit<RoundResult, 'cpuUs'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  let sent = 0;
  let errors = 0;
  const deadline = Date.now() + 60_000;
  const t0 = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = performance.now();
      const req = request({ host: '127.0.0.1', port, path: pathName, agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          lat.push(performance.now() - s);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent < total && Date.now() < deadline) {
        sent++;
        await one();
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / secs, p50: lat[Math.floor(lat.length * 0.5)]!, p99: lat[Math.floor(lat.length * 0.99)]!, errors };
}

/**
 * The server process: a SQLite store with DATES x INSTRUMENTS signals, the
 * qonline server on it and a node:http hello-world, both on loopback. It
 * answers the parent's IPC messages: `cpu` (its CPU time so far), `stop`.
 */
export async function serveBenchChild(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-serve-'));
  const store = await openSqliteStore(path.join(dir, 'store.sqlite'));
  const dates: string[] = [];
  for (let d = new Date('2020-01-01T00:00:00Z'); dates.length < DATES; d.setUTCDate(d.getUTCDate() + 1)) if (d.getUTCDay() % 6) dates.push(d.toISOString().slice(0, 10));
  const rows = { dates: [] as string[], instruments: [] as string[], scores: new Float64Array(DATES * INSTRUMENTS) };
  let k = 0;
  for (const d of dates) {
    for (let i = 0; i < INSTRUMENTS; i++) {
      rows.dates.push(d);
      rows.instruments.push(`SH${600000 + i}`);
      rows.scores[k++] = Math.sin(k) * 2;
    }
  }
  await store.putManager({ name: 'bench', beginTime: null, freq: 'day', lastRoutine: dates.at(-1)!, stateVersion: 1, configHash: '', strategies: {} }, 0);
  await store.replaceSignals('bench', dates, rows, 1);
  const m: OpenedManager = {
    home: dir,
    manager: 'bench',
    strategies: [],
    store,
    servedBy: async () => new Map(),
    rollback: async () => undefined,
    setOnline: async () => undefined,
    close: async () => undefined,
  };
  const app = await buildServer(m, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const body = JSON.stringify({ hello: 'world' });
  const hello: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => hello.listen(0, '127.0.0.1', r));
  // A diagnostic, not the goal's anchor: node:http sending the very bytes qonline sends (what the payload alone costs).
  const apiPath = `/api/signals?date=${dates[Math.floor(DATES / 2)]!}`;
  const sameBytes = Buffer.from(await (await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}${apiPath}`)).arrayBuffer());
  const raw: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': sameBytes.length });
    res.end(sameBytes);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ cpu: c.user + c.system });
    } else if (msg.cmd === 'stop') {
      void (async () => {
        await app.close();
        await new Promise<void>((r) => hello.close(() => r()));
        await new Promise<void>((r) => raw.close(() => r()));
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        process.disconnect();
      })();
    }
  });
  process.send!({ apiPort: (app.server.address() as AddressInfo).port, helloPort: (hello.address() as AddressInfo).port, rawPort: (raw.address() as AddressInfo).port, apiPath });
}

/**
 * `npm run bench -- serve`: GET /api/signals?date= (300 instruments) against
 * a node:http hello-world in the same server process, rounds interleaved
 * (A B A B ...). The load comes from this process, so the client's work does
 * not run on the servers' event loop; the server's CPU per request is read
 * in the server process (the figure least disturbed by a busy machine).
 */
export async function runServeBench(): Promise<void> {
  // QONLINE_BENCH_PROF=DIR: a V8 CPU profile of the server process in DIR (where its time goes).
  const prof = process.env['QONLINE_BENCH_PROF'];
  const child = fork(process.argv[1]!, [], { execArgv: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [], env: { ...process.env, [SERVE_BENCH_CHILD_ENV]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (m) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(m);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (c) => {
      waiting?.reject(new Error(`bench server exited ${c}`));
      resolve();
    }),
  );
  const next = <T>(): Promise<T> => new Promise<T>((resolve, reject) => (waiting = { resolve: resolve as (m: unknown) => void, reject }));
  try {
    const { apiPort, helloPort, rawPort, apiPath } = await next<{ apiPort: number; helloPort: number; rawPort: number; apiPath: string }>();
    const cpu = async (): Promise<number> => {
      const p = next<{ cpu: number }>();
      child.send({ cmd: 'cpu' });
      return (await p).cpu;
    };
    const measured = async (port: number, p: string): Promise<RoundResult> => {
      const c0 = await cpu();
      const r = await load(port, p, REQUESTS, CONNECTIONS);
      const c1 = await cpu();
      return { ...r, cpuUs: (c1 - c0) / REQUESTS };
    };
    // Warm-up (JIT) of both.
    await load(apiPort, apiPath, 3000, CONNECTIONS);
    await load(helloPort, '/', 3000, CONNECTIONS);
    await load(rawPort, '/', 3000, CONNECTIONS);
    const api: RoundResult[] = [];
    const hw: RoundResult[] = [];
    const same: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      api.push(await measured(apiPort, apiPath));
      hw.push(await measured(helloPort, '/'));
      same.push(await measured(rawPort, '/'));
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const spread = (xs: number[], d: number): string => `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}..${Math.max(...xs).toFixed(d)})`;
    const line = (name: string, rs: RoundResult[]): string =>
      `  ${name}: ${spread(rs.map((x) => x.rps), 0)} req/s, p50 ${spread(rs.map((x) => x.p50), 2)} ms, p99 ${spread(rs.map((x) => x.p99), 2)} ms, server CPU ${spread(rs.map((x) => x.cpuUs), 1)} us/request, errors ${rs.reduce((a, x) => a + x.errors, 0)}`;
    console.log(`GET ${apiPath} (${INSTRUMENTS} instruments, ${DATES} dates in the store), ${CONNECTIONS} keep-alive connections from another process, ${ROUNDS} interleaved rounds (A B C A B C ...) of ${REQUESTS} requests; median (min..max):`);
    console.log(line('qonline serve  ', api));
    console.log(line('node:http hello', hw));
    console.log(line('node:http, the same bytes (diagnostic)', same));
    const ratios = api.map((a, i) => a.rps / hw[i]!.rps);
    const cpuRatios = api.map((a, i) => hw[i]!.cpuUs / a.cpuUs);
    const apiP99 = med(api.map((x) => x.p99));
    console.log(`  req/s ratio per round ${spread(ratios, 3)} (goal >= 0.5); server CPU ratio hello/qonline ${spread(cpuRatios, 3)}; qonline p99 ${apiP99.toFixed(2)} ms ${apiP99 < 5 ? 'under' : 'OVER'} 5 ms`);
    console.log(`  against node:http sending the same bytes: req/s ratio ${spread(api.map((a, i) => a.rps / same[i]!.rps), 3)}, server CPU ratio ${spread(api.map((a, i) => same[i]!.cpuUs / a.cpuUs), 3)}`);
  } finally {
    if (child.connected) child.send({ cmd: 'stop' });
    await exited;
  }
}
