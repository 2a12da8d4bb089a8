import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';

const PG_URL = process.env['QONLINE_TEST_PG_URL'];
const REQUIRE_PG = process.env['QONLINE_REQUIRE_PG'] === '1';

/** Configs that need PostgreSQL run against QONLINE_TEST_PG_URL, each in its own schema. */
const NEEDS_PG = new Set(['distributed.yaml']);
if (!PG_URL && !REQUIRE_PG) console.warn('configs.test: QONLINE_TEST_PG_URL is not set; configs needing PostgreSQL are skipped');

/** User configs (users plugin): trade the signals of the pipeline named here. */
const USER_CONFIGS = new Map([['user.yaml', 'rolling.yaml']]);

describe('every config in configs/ runs end to end (built CLI)', () => {
  const files = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    if (USER_CONFIGS.has(f)) continue;
    const pg = NEEDS_PG.has(f);
    it.skipIf(pg && !PG_URL && !REQUIRE_PG)(`qonline run configs/${f}`, async () => {
      if (pg) expect(PG_URL, 'QONLINE_TEST_PG_URL must be set (QONLINE_REQUIRE_PG=1)').toBeTruthy();
      const home = tempDir('qonline-cfg-');
      const env: NodeJS.ProcessEnv = pg ? { QONLINE_PG_URL: PG_URL, QONLINE_PG_SCHEMA: `cfg_${process.pid}_${Date.now()}` } : {};
      // A worker shares the pool's tasks with the manager.
      const worker = pg ? spawn(process.execPath, [CLI, 'worker', path.join('configs', f), '--home', home], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' }) : null;
      try {
        const r = await runCli(['run', path.join('configs', f), '--home', home, '--json'], { timeoutMs: 300_000, env });
        expect(r.code, r.stderr).toBe(0);
        const s = JSON.parse(r.stdout) as { signals: { dates: number; coverage: number }; strategies: { online: unknown[]; recorders: number }[]; steps: { trained: number }[] };
        expect(s.signals.dates).toBeGreaterThan(20);
        expect(s.signals.coverage).toBeGreaterThan(0.95);
        for (const st of s.strategies) expect(st.online.length).toBeGreaterThan(0);
        if (pg) {
          // Every task trained exactly once, wherever it ran.
          const trained = s.steps.reduce((a, x) => a + x.trained, 0);
          expect(s.strategies[0]!.recorders).toBe(trained);
          const stat = await runCli(['tasks', 'stat', path.join('configs', f), '--home', home, '--json'], { env });
          expect(stat.code, stat.stderr).toBe(0);
        }
      } finally {
        if (worker) {
          worker.kill('SIGTERM');
          await new Promise((r) => worker.on('close', r));
        }
      }
    });
  }
});

describe('every user config in configs/ trades end to end (built CLI)', () => {
  for (const [f, pipeline] of USER_CONFIGS) {
    it(`qonline run configs/${pipeline}, users add + trade simulate with configs/${f}`, async () => {
      const home = tempDir('qonline-user-');
      const cli = (args: string[]) => runCli([...args, '--home', home], { timeoutMs: 300_000 });
      expect((await cli(['validate', path.join('configs', f)])).code).toBe(0);
      const run = await cli(['run', path.join('configs', pipeline), '--json']);
      expect(run.code, run.stderr).toBe(0);
      const first = (JSON.parse(run.stdout) as { signals: { first: string; last: string } }).signals;
      const add = await cli(['users', 'add', 'demo', '--config', path.join('configs', f), '--date', '2021-10-08']);
      expect(add.code, add.stderr).toBe(0);
      expect(first.first < '2021-10-08').toBe(true);
      const sim = await cli(['trade', 'simulate', '--user', 'demo', '--start', '2021-10-08', '--end', first.last, '--json']);
      expect(sim.code, sim.stderr).toBe(0);
      const r = JSON.parse(sim.stdout) as { days: number; done: number; already: number; last_date: string };
      expect(r.done).toBe(r.days);
      expect(r.last_date).toBe(first.last);
      // again: every date is done, nothing changes
      const again = await cli(['trade', 'simulate', '--user', 'demo', '--start', '2021-10-08', '--end', first.last, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ done: 0, already: r.days });
      const show = await cli(['users', 'show', 'demo', '--json']);
      const s = JSON.parse(show.stdout) as { report: { date: string }[]; positions: Record<string, { weight: number }> };
      expect(s.report).toHaveLength(r.days);
      expect(Object.keys(s.positions).length).toBeGreaterThan(0);
      expect(Object.keys(s.positions).length).toBeLessThanOrEqual(5);
    });
  }
});
