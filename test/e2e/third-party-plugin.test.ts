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
