import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';

const PG_URL = process.env['QONLINE_TEST_PG_URL'];
const REQUIRE_PG = process.env['QONLINE_REQUIRE_PG'] === '1';

/** Configs that need PostgreSQL run against QONLINE_TEST_PG_URL, each in its own schema. */
const NEEDS_PG = new Set(['distributed.yaml']);
if (!PG_URL && !REQUIRE_PG) console.warn('configs.test: QONLINE_TEST_PG_URL is not set; configs needing PostgreSQL are skipped');

/** User configs (users plugin): trade the signals of the pipeline named here. */
const USER_CONFIGS = new Map([['user.yaml', 'rolling.yaml']]);

/** A Qlib workflow file (top-level task, no manager): `qonline run` runs its one task and records. */
function isWorkflow(f: string): boolean {
  const v = parse(readFileSync(path.join(ROOT, 'configs', f), 'utf8')) as Record<string, unknown>;
  return 'task' in v && !('manager' in v);
}

/**
 * The workflow ports take minutes (configs/alpha158_gbdt.yaml: Qlib's dates
 * 2008-2020 on 600 instruments), so CI validates the file as it is and runs
 * a shortened copy: every value the same except these dates and the
 * market's size (each must be found, so a change of the file shows here).
 */
const SHORTENED: Record<string, [string, string][]> = {
  'alpha158_gbdt.yaml': [
    ['instruments: 600, start: 2008-01-01, end: 2020-12-31', 'instruments: 120, start: 2013-01-01, end: 2015-12-31'],
    ['    start_time: 2008-01-01\n    end_time: 2020-08-01\n    fit_start_time: 2008-01-01\n    fit_end_time: 2014-12-31', '    start_time: 2013-01-01\n    end_time: 2015-12-31\n    fit_start_time: 2013-01-01\n    fit_end_time: 2013-12-31'],
    ['        start_time: 2017-01-01\n        end_time: 2020-08-01', '        start_time: 2014-07-01\n        end_time: 2015-12-28'],
    ['train: [2008-01-01, 2014-12-31]', 'train: [2013-01-01, 2013-12-31]'],
    ['valid: [2015-01-01, 2016-12-31]', 'valid: [2014-01-01, 2014-06-30]'],
    ['test: [2017-01-01, 2020-08-01]', 'test: [2014-07-01, 2015-12-31]'],
  ],
};

describe('every Qlib workflow file in configs/ validates, and runs shortened (built CLI)', () => {
  const files = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml') && isWorkflow(f));
  it('there is at least one (configs/alpha158_gbdt.yaml)', () => expect(files).toContain('alpha158_gbdt.yaml'));
  for (const f of files) {
    it(`qonline validate configs/${f}; qonline run of a shortened copy`, async () => {
      const home = tempDir('qonline-wf-cfg-');
      const v = await runCli(['validate', path.join('configs', f), '--home', home, '--json']);
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, workflow: true, records: 3 });
      let text = readFileSync(path.join(ROOT, 'configs', f), 'utf8');
      for (const [from, to] of SHORTENED[f] ?? []) {
        expect(text.includes(from), `configs/${f} holds ${JSON.stringify(from)}`).toBe(true);
        text = text.replace(from, to);
      }
      const short = path.join(home, f);
      writeFileSync(short, text);
      const r = await runCli(['run', short, '--home', home, '--json'], { timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { experiment: string; records: { class: string; results: Record<string, unknown> }[] };
      expect(out.experiment).toBe('workflow');
      expect(out.records.map((x) => x.class)).toEqual(['SignalRecord', 'SigAnaRecord', 'PortAnaRecord']);
      for (const k of ['IC', 'ICIR', 'Rank IC', 'Rank ICIR']) expect(Number.isFinite(out.records[1]!.results[k]), k).toBe(true);
      const port = out.records[2]!.results as Record<string, Record<string, number>>;
      for (const k of ['excess_return_without_cost', 'excess_return_with_cost']) expect(Number.isFinite(port[k]!['annualized_return']), k).toBe(true);
    });
  }
});

describe('every config in configs/ runs end to end (built CLI)', () => {
  const files = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    if (USER_CONFIGS.has(f) || isWorkflow(f)) continue;
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
