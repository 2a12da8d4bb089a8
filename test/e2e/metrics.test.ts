import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../plugins/store-sqlite/index.js';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sample, startCli, until, type Proc } from '../helpers/proc.js';
import { SLOW_MODEL, slowPoolYaml } from '../helpers/slow-pool.js';

/**
 * `--metrics-port` of `qonline daemon` and `qonline worker` (built CLI):
 * the names serve's /metrics has, plus routine and step durations (daemon)
 * and tasks, lease renewals and takeovers (worker); values move as they work.
 */

const TINY = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
const live = new Set<ChildProcess>();
afterEach(() => {
  for (const c of live) c.kill('SIGKILL');
});

async function metricsUrl(p: Proc): Promise<string> {
  return until('the metrics endpoint', () => /metrics at (http:\/\/\S+)/.exec(p.err())?.[1] ?? (p.child.exitCode !== null && Promise.reject(new Error(`exited early:\n${p.err()}`))), 120_000);
}

async function scrape(url: string): Promise<string> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain');
  return r.text();
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`the built CLI is missing (${CLI}): run \`npx tsup\` first`);
});

describe('qonline daemon --metrics-port', () => {
  it('exposes routine and step durations, last routine, state version and coverage, and counts every run', async () => {
    const home = tempDir('qonline-metrics-daemon-');
    const d = startCli(['daemon', TINY, '--home', home, '--schedule', '*/1 * * * * *', '--metrics-port', '0'], live);
    const url = await metricsUrl(d);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const runs = (t: string) => sample(t, 'qonline_routine_runs_total{manager="tiny",outcome="ok"}') ?? 0;
    const first = runs(await scrape(url));
    // A routine run (the catch-up's, then the schedule's) moves the counters.
    const after = await until('a routine run counted', async () => {
      const t = await scrape(url);
      // A scrape reads the store's gauges while a run may be finishing, so its counter can be one
      // scrape ahead of the gauges (metrics are not transactional): wait for both.
      const gaugesCaughtUp = sample(t, 'qonline_last_routine_timestamp_seconds{manager="tiny"}') !== undefined;
      return runs(t) > first && runs(t) >= 1 && gaugesCaughtUp ? t : undefined;
    });
    expect(sample(after, 'qonline_routine_duration_seconds_count{manager="tiny",outcome="ok"}')).toBe(runs(after));
    for (const step of ['open', 'train', 'update', 'commit']) expect(after, step).toMatch(new RegExp(`qonline_routine_step_duration_seconds_count\\{manager="tiny",step="${step}"\\} [1-9]`));
    expect(sample(after, 'qonline_routine_step_duration_seconds_count{manager="tiny",step="first_train"}')).toBe(1);
    expect(sample(after, 'qonline_state_version{manager="tiny"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'qonline_last_routine_timestamp_seconds{manager="tiny"}')).toBe(Date.parse('2020-12-31T00:00:00Z') / 1000);
    expect(sample(after, 'qonline_signal_coverage{manager="tiny"}')).toBeGreaterThan(0);
    expect(sample(after, 'qonline_signal_dates{manager="tiny"}')).toBeGreaterThan(0);
    expect(after).toMatch(/^qonline_daemon_process_cpu_seconds_total \d/m);
    // No server in a daemon: no request latencies, no snapshot reloads.
    expect(after).not.toContain('qonline_http_request_duration_seconds');
    expect(after).not.toContain('qonline_snapshot_reloads_total');
    // Scheduled runs keep counting (each one after the catch-up has nothing to do, and still takes its time).
    const n = runs(after);
    await until('a scheduled run counted', async () => runs(await scrape(url)) > n);
    expect((await fetch(url.replace('/metrics', '/nothing'))).status).toBe(404);
    d.child.kill('SIGTERM');
    expect(await d.exit, d.err()).toBe(0);
  }, 180_000);

  it('a failed routine is counted as failed, with its duration', async () => {
    const dir = tempDir('qonline-metrics-fail-');
    copyFileSync(SLOW_MODEL, path.join(dir, 'slow-model.js'));
    const cfg = path.join(dir, 'fail.yaml');
    writeFileSync(cfg, readFileSync(TINY, 'utf8').replace('model: {class: Linear, kwargs: {alpha: 1.0}}', 'model: {class: SlowModel, kwargs: {fail: "synthetic failure in fit"}}') + 'plugins: [./slow-model.js]\n');
    const d = startCli(['daemon', cfg, '--home', path.join(dir, 'home'), '--schedule', '0 0 1 1 *', '--metrics-port', '0'], live);
    const url = await metricsUrl(d);
    const text = await until('the failed catch-up counted', async () => {
      const t = await scrape(url);
      return sample(t, 'qonline_routine_runs_total{manager="tiny",outcome="failed"}') === 1 ? t : undefined;
    });
    expect(sample(text, 'qonline_routine_duration_seconds_count{manager="tiny",outcome="failed"}')).toBe(1);
    expect(sample(text, 'qonline_routine_runs_total{manager="tiny",outcome="ok"}')).toBeUndefined();
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(1);
    expect(d.err()).toMatch(/catch-up routine failed: .*synthetic failure in fit/);
  }, 180_000);

  it('a taken metrics port is a clear error before any routine (exit 1, no stack); a bad port is a usage error', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const home = path.join(tempDir('qonline-metrics-daemon-'), 'home');
      const r = await runCli(['daemon', TINY, '--home', home, '--schedule', '0 18 * * 1-5', '--metrics-port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`QONLINE_SERVE_LISTEN: cannot serve metrics: port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('--metrics-port');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toMatch(/routine @/);
      const bad = await runCli(['daemon', TINY, '--home', home, '--schedule', '0 18 * * 1-5', '--metrics-port', 'http']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--metrics-port expects a port from 0 to 65535, got "http"/);
      expect(existsSync(home)).toBe(false);
    } finally {
      server.close();
    }
  });
});

describe('qonline worker --metrics-port', () => {
  let dir: string;
  let home: string;
  beforeAll(async () => {
    dir = tempDir('qonline-metrics-worker-');
    home = path.join(dir, 'home');
    copyFileSync(SLOW_MODEL, path.join(dir, 'slow-model.js'));
  });

  function config(name: string, model: string): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      slowPoolYaml({
        manager: 'pool_metrics',
        store: `{class: SQLiteStore, kwargs: {path: ${name}.sqlite}}`,
        trainerKwargs: '{train_locally: false, lease_seconds: 1, max_attempts: 3, poll_ms: 100}',
        modelKwargs: model,
      }),
    );
    return file;
  }

  it('counts tasks, lease renewals and the takeover of a killed worker\u2019s task; pool counts and state follow', async () => {
    const cfg = config('takeover', '{sleep_ms: 3000}');
    // A first worker (no metrics) takes the task and is killed mid-fit.
    const victim = startCli(['worker', cfg, '--home', home, '--poll-ms', '100'], live);
    await until('the first worker to start', () => /worker \S+: pool\(s\)/.test(victim.err()), 120_000);
    const manager = startCli(['run', cfg, '--home', home, '-q'], live);
    const store = path.join(home, 'takeover.sqlite');
    await until('the first worker to hold the task', async () => {
      const s = await openSqliteStore(store);
      try {
        const [t] = await s.taskPools().pool('slow').query({ status: 'running' });
        return t?.worker?.includes(`:${victim.child.pid}:`);
      } finally {
        await s.close();
      }
    });
    victim.child.kill('SIGKILL');
    await victim.exit;
    // The second worker, with metrics, reaps the lease once it runs out and trains the task.
    const w = startCli(['worker', cfg, '--home', home, '--poll-ms', '100', '--metrics-port', '0'], live);
    const url = await metricsUrl(w);
    expect(await manager.exit, manager.err()).toBe(0);
    const text = await until('the task counted as done', async () => {
      const t = await scrape(url);
      return (sample(t, 'qonline_task_duration_seconds_count{pool="slow",end="done"}') ?? 0) >= 1 ? t : undefined;
    });
    expect(sample(text, 'qonline_lease_takeovers_total{pool="slow"}')).toBe(1);
    // A 3 s fit under a 1 s lease renewed every third of it.
    expect(sample(text, 'qonline_lease_renewals_total{pool="slow"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'qonline_pool_tasks{pool="slow",status="done"}')).toBe(1);
    expect(sample(text, 'qonline_pool_tasks{pool="slow",status="running"}')).toBe(0);
    expect(sample(text, 'qonline_state_version{manager="pool_metrics"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^qonline_worker_process_cpu_seconds_total \d/m);
    expect(text).not.toContain('qonline_http_request_duration_seconds');
    expect(text).not.toContain('qonline_snapshot_reloads_total');
    w.child.kill('SIGTERM');
    expect(await w.exit, w.err()).toBe(0);
    expect(w.out()).toMatch(/worker stopped: 1 done/);
  }, 180_000);

  it('a taken metrics port is a clear error (exit 1, no stack)', async () => {
    const cfg = config('port', '{}');
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(['worker', cfg, '--home', home, '--metrics-port', String(port), '--once']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`QONLINE_SERVE_LISTEN: cannot serve metrics: port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      server.close();
    }
  });
});
