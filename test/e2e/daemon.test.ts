import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteOne } from '../helpers/sqlite.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');


describe('qonline daemon (built CLI)', () => {
  it('catches up at start, then runs on schedule without repeating work, and exits after --max-runs', async () => {
    const home = tempDir('qonline-daemon-');
    const r = await runCli(['daemon', CONFIG, '--home', home, '--schedule', '*/1 * * * * *', '--max-runs', '3'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('daemon stopped after 3 run(s), 0 failed');
    expect(r.stderr).toMatch(/catch-up routine @ 2020-12-31: 1 model\(s\) trained/);
    expect(r.stderr.match(/scheduled routine @ 2020-12-31: nothing to do/g)).toHaveLength(2);
    const db = path.join(home, 'store.sqlite');
    expect(await sqliteOne<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM history')).toEqual({ n: 2 });
    expect(await sqliteOne<{ last_routine: string }>(db, 'SELECT last_routine FROM managers')).toEqual({ last_routine: '2020-12-31' });
  });

  it('stops cleanly on SIGTERM: the running routine completes, exit 0, state whole', async () => {
    const home = tempDir('qonline-daemon-');
    const child = spawn(process.execPath, [CLI, 'daemon', CONFIG, '--home', home, '--schedule', '0 0 1 1 *'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Signal as soon as the catch-up routine has started training.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/first training/.test(stderr)) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGTERM');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/received SIGTERM/);
    expect(stderr).toMatch(/catch-up routine @ 2020-12-31: 1 model\(s\) trained/);
    const db = path.join(home, 'store.sqlite');
    expect(await sqliteOne<{ n: number }>(db, "SELECT COUNT(*) AS n FROM recorders WHERE status != 'FINISHED'")).toEqual({ n: 0 });
    expect(await sqliteOne<{ last_routine: string }>(db, 'SELECT last_routine FROM managers')).toEqual({ last_routine: '2020-12-31' });
  });

  it('rejects a bad cron expression or an unknown time zone with exit 2 before any catch-up (nothing written)', async () => {
    const home = path.join(tempDir('qonline-daemon-'), 'home');
    const r = await runCli(['daemon', CONFIG, '--home', home, '--schedule', 'every day']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a valid cron expression/);
    const tz = await runCli(['daemon', CONFIG, '--home', home, '--schedule', '0 18 * * 1-5', '--timezone', 'Asia/Shangai']);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/unknown time zone "Asia\/Shangai"/);
    expect(existsSync(home)).toBe(false);
  });

  it('log lines carry timestamps; --log-format json gives one JSON object per line', async () => {
    const home = tempDir('qonline-daemon-');
    const r = await runCli(['daemon', CONFIG, '--home', home, '--schedule', '*/1 * * * * *', '--max-runs', '1'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const logLines = r.stderr.split('\n').filter((l) => /routine @|scheduled/.test(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(l).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /);
    const j = await runCli(['daemon', CONFIG, '--home', home, '--schedule', '*/1 * * * * *', '--max-runs', '1', '--log-format', 'json'], { timeoutMs: 60_000 });
    expect(j.code, j.stderr).toBe(0);
    const lines = j.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const objs = lines.map((l) => JSON.parse(l) as { level: string; time: string; msg: string; tag?: string });
    for (const o of objs) {
      expect(o.level).toMatch(/^(debug|info|warn|error)$/);
      expect(Number.isNaN(Date.parse(o.time))).toBe(false);
      expect(typeof o.msg).toBe('string');
    }
    expect(objs.some((o) => o.tag === 'daemon' && /catch-up routine @ 2020-12-31/.test(o.msg))).toBe(true);
    // Every log line is JSON (progress bars are not printed off a terminal).
    expect(j.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'))).toEqual([]);
  });

  it('a second SIGTERM exits at once and says which routine it abandoned', async () => {
    const home = tempDir('qonline-daemon-');
    const child = spawn(process.execPath, [CLI, 'daemon', CONFIG, '--home', home, '--schedule', '0 0 1 1 *'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/first training/.test(stderr)) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/received SIGTERM: finishing/.test(stderr)) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGTERM');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(143);
    expect(stderr).toMatch(/received SIGTERM again: exiting at once, abandoning the catch-up routine of manager tiny started at \d{4}-/);
  });

  it('daemon.trade: after the routine, every user trades up to the latest date (users plugin)', async () => {
    const home = tempDir('qonline-daemon-');
    const config = path.join(home, 'tiny-trade.yaml');
    writeFileSync(config, readFileSync(CONFIG, 'utf8') + "\ndaemon: {schedule: '0 0 1 1 *', trade: true}\n");
    const user = path.join(home, 'user.yaml');
    writeFileSync(user, ['init_cash: 1000000', 'strategy: {class: TopkDropoutStrategy, kwargs: {topk: 3, n_drop: 1}}', 'benchmark: null', 'data: {class: SyntheticMarket, kwargs: {instruments: 20, start: 2018-01-01, end: 2020-12-31, seed: 3}}', 'model: {manager: tiny}', ''].join('\n'));
    const add = await runCli(['users', 'add', 'd1', '--config', user, '--date', '2020-12-01', '--home', home]);
    expect(add.code, add.stderr).toBe(0);
    const r = await runCli(['daemon', config, '--home', home, '--max-runs', '1'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('daemon stopped after 1 run(s), 0 failed');
    const show = await runCli(['users', 'show', 'd1', '--home', home, '--json']);
    const s = JSON.parse(show.stdout) as { last_date: string; report: { date: string }[] };
    expect(s.last_date).toBe('2020-12-31');
    expect(s.report[0]!.date).toBe('2020-12-01');
  }, 180_000);
});
