import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');
const STRATEGY_BLOCK = BASE.slice(BASE.indexOf('strategies:\n') + 'strategies:\n'.length);

function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function withRecords(records: string): string {
  return BASE.replace('        dataset:\n', `        record:\n${records}        dataset:\n`);
}

interface Signals {
  rows: { date: string; instrument: string; score: number }[];
}

async function signals(home: string): Promise<Signals['rows']> {
  const r = await runCli(['signals', '--home', home, '--start', '2000-01-01', '--end', '2100-01-01', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Signals).rows;
}

function scoresOf(home: string, recorder: string, kind: string): Promise<{ date: string; instrument: string; score: number }[]> {
  return new Promise((resolve, reject) => {
    const d = new sqlite3.Database(path.join(home, 'store.sqlite'), sqlite3.OPEN_READONLY, (e) =>
      e
        ? reject(e)
        : d.all(`SELECT date, instrument, score FROM scores WHERE recorder_id = ? AND kind = ? ORDER BY date, instrument`, [recorder, kind], (err: Error | null, rows: { date: string; instrument: string; score: number }[]) => (d.close(), err ? reject(err) : resolve(rows))),
    );
  });
}

describe('steps are components (built CLI)', () => {
  it('add_strategy first-trains only the new strategy, serving from the last routine; earlier signals unchanged', async () => {
    const dir = tempDir('qonline-steps-');
    const home = path.join(dir, 'home');
    const one = writeConfig(dir, 'one.yaml', BASE);
    const two = writeConfig(dir, 'two.yaml', BASE + STRATEGY_BLOCK.replace('name: tiny_ridge', 'name: tiny_ridge_b').replace('alpha: 1.0', 'alpha: 50.0'));
    expect((await runCli(['run', one, '--home', home, '--step', 'first_train'])).code).toBe(0);
    const routine = await runCli(['run', one, '--home', home, '--step', 'routine', '--at', '2020-11-30']);
    expect(routine.code, routine.stderr).toBe(0);
    const before = await signals(home);

    const add = await runCli(['run', two, '--home', home, '--step', 'add_strategy', '--json']);
    expect(add.code, add.stderr).toBe(0);
    const report = (JSON.parse(add.stdout) as { steps: { step: string; curTime: string; trained: number; online: Record<string, string[]> }[] }).steps[0]!;
    expect(report.step).toBe('add_strategy');
    expect(report.curTime).toBe('2020-11-30');
    expect(report.trained).toBeGreaterThan(0);
    expect(Object.keys(report.online)).toEqual(['tiny_ridge_b']);

    const hist = JSON.parse((await runCli(['history', '--home', home, '--strategy', 'tiny_ridge_b', '--json'])).stdout) as { effectiveDate: string }[];
    expect(hist.map((h) => h.effectiveDate)).toEqual(['2020-11-30']);
    const after = await signals(home);
    const key = (r: { date: string; instrument: string }) => r.date + '|' + r.instrument;
    const early = (rows: Signals['rows']) => rows.filter((r) => r.date < '2020-11-30');
    expect(early(before).length).toBeGreaterThan(100);
    expect(early(after)).toEqual(early(before));
    // From the last routine on, the new strategy takes part in the signal.
    const lastBefore = new Map(before.filter((r) => r.date === '2020-11-30').map((r) => [key(r), r.score]));
    const lastAfter = after.filter((r) => r.date === '2020-11-30');
    expect(lastAfter.length).toBeGreaterThan(0);
    expect(lastAfter.some((r) => Math.abs(r.score - (lastBefore.get(key(r)) ?? NaN)) > 1e-9 || !lastBefore.has(key(r)))).toBe(true);

    const again = await runCli(['run', two, '--home', home, '--step', 'add_strategy', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { steps: { skipped?: string; trained: number }[] }).steps[0]).toMatchObject({ trained: 0, skipped: expect.stringMatching(/already/) });
  });

  it('--step with a typo is a usage error naming the closest step (exit 2, nothing opened)', async () => {
    const dir = tempDir('qonline-steps-typo-');
    const cfg = writeConfig(dir, 'c.yaml', BASE);
    const r = await runCli(['run', cfg, '--home', path.join(dir, 'home'), '--step', 'add_stratgy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown step class "add_stratgy"; did you mean "add_strategy"/);
  });

  it('steps: entries are validated at validate time, in all three forms, at their YAML line', async () => {
    const dir = tempDir('qonline-steps-bad-');
    const cfg = writeConfig(dir, 'c.yaml', BASE + 'steps:\n  - first_trian\n  - {routine: {cur_tim: 2020-11-30}}\n  - {class: simulate, kwargs: {end: 2020-12-31}}\n');
    const r = await runCli(['validate', cfg]);
    expect(r.code).toBe(2);
    const lines = BASE.split('\n').length;
    expect(r.stderr).toContain(`c.yaml:${lines + 1}:5 at /steps/0: unknown step class "first_trian"; did you mean "first_train"?`);
    expect(r.stderr).toMatch(new RegExp(`c\\.yaml:${lines + 2}:\\d+ at /steps/1/routine/cur_tim: routine: unknown property "cur_tim"`));
    expect(r.stderr).toMatch(new RegExp(`c\\.yaml:${lines + 3}:\\d+ at /steps/2/kwargs/end: simulate: unknown property "end"`));
  });
});

describe('records are components (built CLI)', () => {
  it("runs a template's Qlib record list when each task finishes; models show prints Qlib's metric names", async () => {
    const dir = tempDir('qonline-records-');
    const home = path.join(dir, 'home');
    const cfg = writeConfig(
      dir,
      'rec.yaml',
      withRecords(
        '          - {class: SignalRecord, module_path: qlib.workflow.record_temp, kwargs: {model: <MODEL>, dataset: <DATASET>}}\n' +
          '          - {class: SigAnaRecord, module_path: qlib.workflow.record_temp, kwargs: {ana_long_short: true, ann_scaler: 252}}\n',
      ),
    );
    const v = await runCli(['validate', cfg]);
    expect(v.code, v.stderr).toBe(0);
    const run = await runCli(['run', cfg, '--home', home, '--step', 'first_train']);
    expect(run.code, run.stderr).toBe(0);
    const list = JSON.parse((await runCli(['models', 'list', '--home', home, '--json'])).stdout) as { id: string }[];
    expect(list.length).toBeGreaterThan(1);
    for (const { id } of list) {
      const show = await runCli(['models', 'show', id.slice(0, 12), '--home', home, '--json']);
      expect(show.code, show.stderr).toBe(0);
      const rec = JSON.parse(show.stdout) as { id: string; params: Record<string, unknown>; metrics: Record<string, number>; artifacts: string[] };
      expect(rec.id).toBe(id);
      expect(rec.params['model_class']).toBe('Linear');
      for (const m of ['IC', 'ICIR', 'Rank IC', 'Rank ICIR', 'Long-Short Ann Return', 'Long-Short Ann Sharpe', 'Long-Avg Ann Return', 'Long-Avg Ann Sharpe']) {
        expect(typeof rec.metrics[m], m).toBe('number');
      }
      expect(rec.artifacts).toEqual(expect.arrayContaining(['model', 'task', 'sig_analysis/ic', 'sig_analysis/ric', 'sig_analysis/long_short_r']));
      // IC recomputed here from the stored predictions and labels: the mean over days of the Pearson correlation.
      const pred = await scoresOf(home, id, 'pred');
      const label = new Map((await scoresOf(home, id, 'label')).map((r) => [r.date + '|' + r.instrument, r.score]));
      const byDate = new Map<string, [number, number][]>();
      for (const p of pred) {
        const l = label.get(p.date + '|' + p.instrument);
        if (l === undefined) continue;
        byDate.set(p.date, [...(byDate.get(p.date) ?? []), [p.score, l]]);
      }
      const ics: number[] = [];
      for (const pairs of byDate.values()) {
        if (pairs.length < 2) continue;
        const mx = pairs.reduce((a, p) => a + p[0], 0) / pairs.length;
        const my = pairs.reduce((a, p) => a + p[1], 0) / pairs.length;
        const c = pairs.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
        const vx = pairs.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
        const vy = pairs.reduce((a, p) => a + (p[1] - my) ** 2, 0);
        if (vx > 0 && vy > 0) ics.push(c / Math.sqrt(vx * vy));
      }
      expect(ics.length).toBeGreaterThan(10);
      expect(rec.metrics['IC']).toBeCloseTo(ics.reduce((a, b) => a + b, 0) / ics.length, 9);
    }
    const text = await runCli(['models', 'show', list[0]!.id, '--home', home]);
    expect(text.stdout).toMatch(/^ {2}Rank ICIR: -?\d\.\d{6}$/m);
  });

  it('templates without record: keep the default metrics; an unknown record class is a config error at its line', async () => {
    const dir = tempDir('qonline-records-default-');
    const home = path.join(dir, 'home');
    const plain = writeConfig(dir, 'plain.yaml', BASE);
    expect((await runCli(['run', plain, '--home', home, '--step', 'first_train'])).code).toBe(0);
    const list = JSON.parse((await runCli(['models', 'list', '--home', home, '--json'])).stdout) as { id: string; metrics: Record<string, number> }[];
    expect(Object.keys(list[0]!.metrics).sort()).toEqual(['IC', 'ICIR', 'Rank IC', 'test_rows']);

    const bad = writeConfig(dir, 'bad.yaml', withRecords('          - {class: SignalRecord}\n          - {class: SigAnaRecrod, kwargs: {ana_long_short: false}}\n'));
    const badText = readFileSync(bad, 'utf8');
    const line = badText.slice(0, badText.indexOf('SigAnaRecrod')).split('\n').length;
    const r = await runCli(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`QONLINE_UNKNOWN_CLASS: .*bad\\.yaml:${line}:\\d+ at /strategies/0/kwargs/task_template/record/1/class: unknown record class "SigAnaRecrod"; did you mean "SigAnaRecord"`));
    const badOpt = writeConfig(dir, 'bad-opt.yaml', withRecords('          - {class: SigAnaRecord, kwargs: {ann_scaler: zero}}\n'));
    const r2 = await runCli(['validate', badOpt]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/record\/0\/kwargs\/ann_scaler: SigAnaRecord: expected number/);
  });
});
