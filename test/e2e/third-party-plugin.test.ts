import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');
const PLUGINS = path.join(ROOT, 'test/fixtures/plugins');

function withPlugin(plugin: string, ensemble: string): string {
  const dir = path.join(PLUGINS);
  const file = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `plugins: [${plugin}]\n` + BASE.replace('begin_time: 2020-09-30', `begin_time: 2020-09-30\n  ensemble: ${ensemble}`));
  return file;
}

describe('third-party plugins from YAML (built CLI)', () => {
  it('loads a JavaScript plugin relative to the config, lists it, and uses its component', async () => {
    const cfg = withPlugin('./mean-ensemble.js', '{class: MeanEnsemble, kwargs: {scale: 2}}');
    const home = tempDir('qonline-plugin-');
    const list = await runCli(['plugins', 'list', '--config', cfg, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as { kind: string; name: string; plugin: string; source: string }[];
    expect(rows.find((r) => r.name === 'MeanEnsemble')).toMatchObject({ kind: 'ensemble', plugin: 'mean-ensemble', source: path.join(PLUGINS, 'mean-ensemble.js') });
    expect(rows.find((r) => r.name === 'AverageEnsemble')?.source).toBe('builtin');

    const run = await runCli(['run', cfg, '--home', home, '--step', 'first_train', '--json']);
    expect(run.code, run.stderr).toBe(0);
    // The signal is 2x the plain mean of the single model serving each date.
    const db = path.join(home, 'store.sqlite');
    const rowsOf = (sql: string) =>
      new Promise<{ score: number }[]>((resolve, reject) => {
        const d = new sqlite3.Database(db, sqlite3.OPEN_READONLY, (e) => (e ? reject(e) : d.all(sql, (err: Error | null, r: { score: number }[]) => (d.close(), err ? reject(err) : resolve(r)))));
      });
    const sig = await rowsOf("SELECT score FROM signals WHERE date = '2020-01-02' ORDER BY instrument");
    const pred = await rowsOf("SELECT score FROM scores WHERE kind = 'pred' AND date = '2020-01-02' ORDER BY instrument");
    expect(sig.length).toBeGreaterThan(0);
    expect(sig.map((s) => s.score)).toEqual(pred.map((p) => 2 * p.score));
  });

  it('rejects an unknown class option of the plugin component and a module that is not a plugin', async () => {
    const bad = withPlugin('./mean-ensemble.js', '{class: MeanEnsemble, kwargs: {scale: "x"}}');
    const r = await runCli(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/manager\/ensemble\/kwargs\/scale: MeanEnsemble: expected number/);
    const notPlugin = withPlugin('./not-a-plugin.js', '{class: AverageEnsemble}');
    const r2 = await runCli(['validate', notPlugin]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/QONLINE_PLUGIN_LOAD.*must export a plugin manifest/);
    const missing = withPlugin('./nope.js', '{class: AverageEnsemble}');
    const r3 = await runCli(['validate', missing]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/QONLINE_PLUGIN_LOAD/);
  });
});

describe('a third-party step and record from a plugin (built CLI)', () => {
  it('runs the plugin step from steps: and its record when each task finishes', async () => {
    const file = path.join(PLUGINS, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
    const withRecord = BASE.replace('        dataset:\n', '        record:\n          - {class: SignalRecord}\n          - {class: PredStats, kwargs: {prefix: p}}\n        dataset:\n');
    writeFileSync(file, `plugins: [./signals-csv.js]\n${withRecord}steps:\n  - first_train\n  - {export_signals_csv: {path: signals.csv}}\n`);
    const home = tempDir('qonline-plugin-step-');
    const list = await runCli(['plugins', 'list', '--config', file, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const comps = JSON.parse(list.stdout) as { kind: string; name: string; plugin: string }[];
    expect(comps.find((c) => c.name === 'export_signals_csv')).toMatchObject({ kind: 'step', plugin: 'signals-csv' });
    expect(comps.find((c) => c.name === 'PredStats')).toMatchObject({ kind: 'record', plugin: 'signals-csv' });
    expect(comps.find((c) => c.name === 'routine')).toMatchObject({ kind: 'step', plugin: 'steps' });
    expect(comps.find((c) => c.name === 'SigAnaRecord')).toMatchObject({ kind: 'record', plugin: 'records' });

    const run = await runCli(['run', file, '--home', home, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { steps: { step: string; signalDates: number }[] };
    expect(summary.steps.map((s) => s.step)).toEqual(['first_train', 'export_signals_csv']);

    const db = path.join(home, 'store.sqlite');
    const all = <T>(sql: string) =>
      new Promise<T[]>((resolve, reject) => {
        const d = new sqlite3.Database(db, sqlite3.OPEN_READONLY, (e) => (e ? reject(e) : d.all(sql, (err: Error | null, r: T[]) => (d.close(), err ? reject(err) : resolve(r)))));
      });
    // The CSV holds exactly the stored signals.
    const signals = await all<{ date: string; instrument: string; score: number }>('SELECT date, instrument, score FROM signals ORDER BY date, instrument');
    const csv = readFileSync(path.join(home, 'signals.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('date,instrument,score');
    expect(csv.length - 1).toBe(signals.length);
    const parsed = csv.slice(1).map((l) => l.split(',')).sort((a, b) => (a[0]! + a[1]! < b[0]! + b[1]! ? -1 : 1));
    expect(parsed.map((r) => [r[0], r[1], Number(r[2])])).toEqual(signals.map((s) => [s.date, s.instrument, s.score]));
    expect(summary.steps[1]!.signalDates).toBe(new Set(signals.map((s) => s.date)).size);

    // The record's metrics are the mean and positive share of the recorder's stored predictions.
    const models = JSON.parse((await runCli(['models', 'list', '--home', home, '--json'])).stdout) as { id: string }[];
    expect(models.length).toBeGreaterThan(0);
    const show = await runCli(['models', 'show', models[0]!.id, '--home', home, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const rec = JSON.parse(show.stdout) as { id: string; metrics: Record<string, number>; artifacts: string[] };
    const preds = await all<{ score: number }>(`SELECT score FROM scores WHERE kind = 'pred' AND recorder_id = '${rec.id}'`);
    expect(preds.length).toBeGreaterThan(0);
    expect(rec.metrics['p_mean']).toBeCloseTo(preds.reduce((a, p) => a + p.score, 0) / preds.length, 9);
    expect(rec.metrics['p_positive']).toBeCloseTo(preds.filter((p) => p.score > 0).length / preds.length, 12);
    expect(rec.artifacts).toContain('p_count');
    // A record list replaces the default analysis: no IC unless SigAnaRecord is listed.
    expect(rec.metrics['IC']).toBeUndefined();
  });
});
