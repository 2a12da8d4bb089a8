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
const ROUNDS = 3;

/** Sends `total` GETs over `connections` keep-alive sockets (each socket one request at a time); latencies in ms. */
async function load(port: number, pathName: string, total: number, connections: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  let sent = 0;
  let errors = 0;
  const deadline = Date.now() + 30_000;
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

export async function runServeBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-serve-'));
  const store = await openSqliteStore(path.join(dir, 'store.sqlite'));
  try {
    const dates: string[] = [];
    for (let d = new Date('2020-01-01T00:00:00Z'); dates.length < DATES; d.setUTCDate(d.getUTCDate() + 1)) if (d.getUTCDay() % 6) dates.push(d.toISOString().slice(0, 10));
    const rows = { dates: [] as string[], instruments: [] as string[], scores: new Float64Array(DATES * INSTRUMENTS) };
    let k = 0;
    for (const d of dates) for (let i = 0; i < INSTRUMENTS; i++) {
      rows.dates.push(d);
      rows.instruments.push(`SH${600000 + i}`);
      rows.scores[k++] = Math.sin(k) * 2;
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
    const apiPort = (app.server.address() as AddressInfo).port;
    const body = JSON.stringify({ hello: 'world' });
    const hello: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => hello.listen(0, '127.0.0.1', r));
    const helloPort = (hello.address() as AddressInfo).port;
    const date = dates[Math.floor(DATES / 2)]!;
    const apiPath = `/api/signals?date=${date}`;
    // Warm-up (JIT, the snapshot load) of both.
    await load(apiPort, apiPath, 2000, CONNECTIONS);
    await load(helloPort, '/', 2000, CONNECTIONS);
    const res: { api: Awaited<ReturnType<typeof load>>[]; hello: Awaited<ReturnType<typeof load>>[] } = { api: [], hello: [] };
    for (let r = 0; r < ROUNDS; r++) {
      res.api.push(await load(apiPort, apiPath, REQUESTS, CONNECTIONS));
      res.hello.push(await load(helloPort, '/', REQUESTS, CONNECTIONS));
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const api = { rps: med(res.api.map((x) => x.rps)), p50: med(res.api.map((x) => x.p50)), p99: med(res.api.map((x) => x.p99)), errors: res.api.reduce((a, x) => a + x.errors, 0) };
    const hw = { rps: med(res.hello.map((x) => x.rps)), p50: med(res.hello.map((x) => x.p50)), p99: med(res.hello.map((x) => x.p99)), errors: res.hello.reduce((a, x) => a + x.errors, 0) };
    const f = (x: number): string => x.toFixed(2);
    console.log(`GET ${apiPath} (${INSTRUMENTS} instruments, ${DATES} dates in the store), ${CONNECTIONS} keep-alive connections, ${ROUNDS} interleaved rounds of ${REQUESTS} requests (medians):`);
    console.log(`  qonline serve : ${Math.round(api.rps)} req/s, p50 ${f(api.p50)} ms, p99 ${f(api.p99)} ms, errors ${api.errors}`);
    console.log(`  node:http hello: ${Math.round(hw.rps)} req/s, p50 ${f(hw.p50)} ms, p99 ${f(hw.p99)} ms, errors ${hw.errors}`);
    console.log(`  ratio ${(api.rps / hw.rps).toFixed(3)} (goal >= 0.5), p99 ${api.p99 < 5 ? 'under' : 'OVER'} 5 ms`);
    await app.close();
    await new Promise<void>((r) => hello.close(() => r()));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
