import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

  it('rejects a bad cron expression with exit 2', async () => {
    const r = await runCli(['daemon', CONFIG, '--schedule', 'every day']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid cron expression/);
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
