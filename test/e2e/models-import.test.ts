import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
const TINY4 = path.join(ROOT, 'test/fixtures/import/xgb-tiny4.json');
const SIX = path.join(ROOT, 'test/fixtures/import/xgb-squarederror.json');

describe('qonline models import (built CLI)', () => {
  it('stores an XGBoost file as a model version of a strategy, serves it online, checks features, rolls back', async () => {
    const home = tempDir('qonline-import-');
    const env = { QONLINE_HOME: home };
    const db = path.join(home, 'store.sqlite');
    const run = await runCli(['run', CONFIG, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const count = async () => (await sqliteAll<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM recorders'))[0]!.n;
    const before = await count();
    const signalsBefore = await sqliteAll<{ date: string; instrument: string; score: number }>(db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');

    // Wrong feature count (6 vs the handler's 4): exit 2, nothing written.
    const six = await runCli(['models', 'import', SIX, '--format', 'xgboost-json', '--config', CONFIG, '--strategy', 'tiny_ridge'], { env });
    expect(six.code, six.stderr).toBe(2);
    expect(six.stderr).toMatch(/QONLINE_MODEL_FILE.*has 6 features but the data has 4 columns/);
    expect(await count()).toBe(before);
    // Names in the file are checked against the handler's; --feature-names overrides them.
    const names = await runCli(['models', 'import', TINY4, '--format', 'xgboost-json', '--config', CONFIG, '--strategy', 'tiny_ridge', '--feature-names', 'RET1,RET5,STD10,MA10'], { env });
    expect(names.code, names.stderr).toBe(2);
    expect(names.stderr).toMatch(/feature names differ .* column 2: model "STD10", data "MA10"/);
    expect(await count()).toBe(before);
    // Malformed file: exit 2 with the JSON path.
    const broken = path.join(home, 'broken.json');
    const m = JSON.parse(readFileSync(TINY4, 'utf8'));
    m.learner.gradient_booster.model.trees[0].left_children = 'x';
    writeFileSync(broken, JSON.stringify(m));
    const bad = await runCli(['models', 'import', broken, '--format', 'xgboost-json', '--config', CONFIG, '--strategy', 'tiny_ridge'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/learner\.gradient_booster\.model\.trees\[0\]\.left_children: expected an array/);
    const usage = await runCli(['models', 'import', TINY4, '--config', CONFIG, '--strategy', 'tiny_ridge'], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--format must be one of xgboost-json, lightgbm-text/);

    // The real import, online.
    const imp = await runCli(['models', 'import', TINY4, '--format', 'xgboost-json', '--config', CONFIG, '--strategy', 'tiny_ridge', '--online', '--json'], { env });
    expect(imp.code, imp.stderr).toBe(0);
    const out = JSON.parse(imp.stdout) as { id: string; status: string; lineage: string; online: boolean; metrics: Record<string, number> };
    const sha = createHash('sha256').update(readFileSync(TINY4)).digest('hex');
    expect(out.lineage).toBe(`imported from ${TINY4}, sha256 ${sha}`);
    expect(out.status).toBe('FINISHED');
    expect(out.online).toBe(true);
    expect(out.metrics['test_rows']).toBeGreaterThan(0);
    expect(await count()).toBe(before + 1);

    const list = await runCli(['models', 'list', '--strategy', 'tiny_ridge', '--online', '--json'], { env });
    const online = JSON.parse(list.stdout) as { id: string; model: string }[];
    expect(online.map((r) => [r.id, r.model])).toEqual([[out.id, 'ImportedModel']]);
    // Its predictions are stored and drive the signals: one distinct leaf sum per tree path, so few distinct values.
    const preds = await sqliteAll<{ n: number }>(db, "SELECT COUNT(*) AS n FROM scores WHERE recorder_id = ? AND kind = 'pred'", [out.id]);
    expect(preds[0]!.n).toBeGreaterThanOrEqual(out.metrics['test_rows']!);
    const hist = await sqliteAll<{ reason: string; recorder_ids: string; effective_date: string }>(db, 'SELECT reason, recorder_ids, effective_date FROM history ORDER BY seq');
    expect(hist.map((h) => h.reason)).toEqual(['first_train', 'routine', 'import xgb-tiny4.json']);
    expect(hist[2]!.recorder_ids).toBe(JSON.stringify([out.id]));
    const signalsAfter = await sqliteAll<{ date: string; instrument: string; score: number }>(db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');
    expect(signalsAfter).not.toEqual(signalsBefore);

    // Importing the same file again finds the same version.
    const again = await runCli(['models', 'import', TINY4, '--format', 'xgboost-json', '--config', CONFIG, '--strategy', 'tiny_ridge', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: out.id, reused: true, online: true });
    expect(await count()).toBe(before + 1);

    // A LightGBM text file the same way (offline): its own version with its lineage.
    const lgb = path.join(ROOT, 'test/fixtures/import/lgb-tiny4.txt');
    const imp2 = await runCli(['models', 'import', lgb, '--format', 'lightgbm-text', '--config', CONFIG, '--strategy', 'tiny_ridge', '--json'], { env });
    expect(imp2.code, imp2.stderr).toBe(0);
    const out2 = JSON.parse(imp2.stdout) as { id: string; lineage: string; online: boolean; metrics: Record<string, number> };
    expect(out2.lineage).toBe(`imported from ${lgb}, sha256 ${createHash('sha256').update(readFileSync(lgb)).digest('hex')}`);
    expect(out2.online).toBe(false);
    expect(out2.id).not.toBe(out.id);
    // Three leaves: at most three distinct predictions (-0.01, 0.005, 0.02).
    const lgbScores = await sqliteAll<{ score: number }>(db, "SELECT DISTINCT score FROM scores WHERE recorder_id = ? AND kind = 'pred'", [out2.id]);
    expect(lgbScores.length).toBeGreaterThan(1);
    for (const { score } of lgbScores) expect([-0.01, 0.005, 0.02].some((v) => Math.abs(v - score) < 1e-9)).toBe(true);
    expect(await count()).toBe(before + 2);

    // Roll back to the trained set from the import's date: the signals come back.
    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', hist[1]!.effective_date, '--effective', hist[2]!.effective_date, '--json'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const restored = await sqliteAll<{ date: string; instrument: string; score: number }>(db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');
    expect(restored.length).toBe(signalsBefore.length);
    restored.forEach((r, i) => expect(r.score).toBeCloseTo(signalsBefore[i]!.score, 12));
  }, 240_000);

  it('a task template can name a model file (ImportedModel): training skipped, each rolling task predicts its own test segment', async () => {
    const home = tempDir('qonline-import-yaml-');
    const env = { QONLINE_HOME: home };
    const config = path.join(home, 'imported.yaml');
    const yaml = readFileSync(CONFIG, 'utf8').replace('model: {class: Linear, kwargs: {alpha: 1.0}}', `model: {class: ImportedModel, kwargs: {file: ${JSON.stringify(TINY4)}, format: xgboost-json}}`);
    expect(yaml).toContain('ImportedModel');
    writeFileSync(config, yaml);
    const run = await runCli(['run', config, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const db = path.join(home, 'store.sqlite');
    const recs = await sqliteAll<{ id: string; status: string }>(db, 'SELECT id, status FROM recorders');
    expect(recs.length).toBeGreaterThan(1);
    expect(recs.every((r) => r.status === 'FINISHED')).toBe(true);
    // Every version holds the same imported trees; their predictions cover different test segments.
    const ranges = await sqliteAll<{ lo: string; hi: string }>(db, "SELECT MIN(date) AS lo, MAX(date) AS hi FROM scores WHERE kind = 'pred' GROUP BY recorder_id ORDER BY lo");
    expect(new Set(ranges.map((r) => r.lo)).size).toBe(ranges.length);
    // A file that does not exist is a config-time error naming it.
    writeFileSync(config, yaml.replace(TINY4, path.join(home, 'missing.json')));
    const missing = await runCli(['run', config], { env: { QONLINE_HOME: tempDir('qonline-import-yaml2-') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read model file .*missing\.json/);
  }, 240_000);
});
