import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QonlineError } from '../../../../core/index.js';
import { importModel, ImportedModel, restoreModel } from '../../../../plugins/models/index.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/import');
const text = (name: string) => readFileSync(path.join(DIR, name), 'utf8');

interface Reference {
  cols: number;
  x: (number | null)[][];
  pred: number[];
  margin: number[];
}

function reference(name: string): { input: { features: Float32Array; rows: number; cols: number }; ref: Reference } {
  const ref = JSON.parse(text(`xgb-${name}.pred.json`)) as Reference;
  const features = Float32Array.from(ref.x.flat(), (v) => (v === null ? NaN : v));
  return { input: { features, rows: ref.x.length, cols: ref.cols }, ref };
}

/** Distance in float32 steps (units in the last place). */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(key(i[0]!) - key(i[1]!));
}

const CASES = ['squarederror', 'squarederror-lossguide', 'pseudohuber', 'reglogistic', 'binary', 'binary-lossguide', 'poisson'];

describe('importModel xgboost-json: predictions equal XGBoost 1.7 (python3-xgboost) on the committed fixtures', () => {
  for (const name of CASES) {
    it(`${name}: margins bit-identical in float32, predictions within 1 ulp (missing values, an all-missing row, values on thresholds)`, () => {
      const { input, ref } = reference(name);
      const model = importModel(text(`xgb-${name}.json`), 'xgboost-json');
      expect(model).toBeInstanceOf(ImportedModel);
      expect(input.features[0]).toBeNaN(); // the all-missing row
      const margin = model.predictMargin(input);
      expect(Array.from(margin)).toEqual(ref.margin);
      const pred = model.predict(input);
      expect(pred).toBeInstanceOf(Float32Array);
      expect(pred.length).toBe(input.rows);
      for (let i = 0; i < input.rows; i++) expect(ulps(pred[i]!, ref.pred[i]!), `row ${i}: ${pred[i]} vs ${ref.pred[i]}`).toBeLessThanOrEqual(1);
      // Rows on a threshold exercise the strict "x < split_condition goes left" rule.
      expect(input.rows).toBeGreaterThan(40);
    });
  }

  it('the threshold rule matters: a "<=" rule would change some of the tie rows', () => {
    const { input, ref } = reference('squarederror');
    const m = importModel(text('xgb-squarederror.json'), 'xgboost-json');
    // Nudge every tie row's features down by one float32 step: some predictions must move.
    const nudged = Float32Array.from(input.features, (v) => (v === v ? v - Math.abs(v) * 2 ** -23 - 1e-45 : v));
    const a = m.predictMargin(input);
    const b = m.predictMargin({ ...input, features: nudged });
    let moved = 0;
    for (let i = 40; i < input.rows; i++) if (a[i] !== b[i]) moved++;
    expect(moved).toBeGreaterThan(0);
    expect(Array.from(a)).toEqual(ref.margin);
  });

  it('parsed JSON is accepted as well as text; the 2.x layout (base_score "[...]") predicts the same', () => {
    const { input, ref } = reference('squarederror');
    const fromObject = importModel(JSON.parse(text('xgb-squarederror.json')), 'xgboost-json');
    expect(Array.from(fromObject.predictMargin(input))).toEqual(ref.margin);
    const v2 = text('xgb-squarederror-2x.json');
    expect(JSON.parse(v2).learner.learner_model_param.base_score).toMatch(/^\[.*\]$/);
    expect(Array.from(importModel(v2, 'xgboost-json').predictMargin(input))).toEqual(ref.margin);
  });

  it('serialises and restores like the built-ins (same predictions, class ImportedModel, lineage sha256)', () => {
    const { input } = reference('binary');
    const model = importModel(text('xgb-binary.json'), 'xgboost-json');
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    expect(json.class).toBe('ImportedModel');
    expect(json.state.lineage.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(json)).not.toContain('"source"');
    const back = restoreModel(json) as ImportedModel;
    expect(Array.from(back.predict(input))).toEqual(Array.from(model.predict(input)));
  });

  it('the file path form reads the file, checks sha256 and columns', async () => {
    const file = path.join(DIR, 'xgb-squarederror.json');
    const m = ImportedModel.create({ file, format: 'xgboost-json' });
    expect(m.lineage.file).toBe(file);
    expect(() => ImportedModel.create({ file, format: 'xgboost-json', sha256: '0'.repeat(64) })).toThrow(/expected 0000/);
    const rows = 3;
    const ds = { features: new Float32Array(rows * 5), labels: new Float32Array(rows), rows, cols: 5 };
    await expect(m.fit(ds)).rejects.toThrow(/has 6 features but the data has 5 columns/);
    const named = ImportedModel.create({ file, format: 'xgboost-json', feature_names: ['a', 'b', 'c', 'd', 'e', 'f'] });
    const ok = { ...ds, features: new Float32Array(rows * 6), cols: 6 };
    await expect(named.fit(ok, undefined, { featureNames: ['a', 'b', 'c', 'd', 'e', 'f'] })).resolves.toMatchObject({ rounds: 8 });
    await expect(named.fit(ok, undefined, { featureNames: ['a', 'b', 'x', 'd', 'e', 'f'] })).rejects.toThrow(/column 2: model "c", data "x"/);
  });
});

describe('importModel xgboost-json: unsupported features and malformed files are clear errors', () => {
  const fails = (source: string | object, re: RegExp) => {
    let err: unknown;
    try {
      importModel(source, 'xgboost-json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QonlineError);
    expect((err as QonlineError).code).toBe('QONLINE_MODEL_FILE');
    expect((err as Error).message).toMatch(re);
  };

  it('dart and gblinear boosters, multi-class, an unknown objective', () => {
    fails(text('xgb-dart.json'), /booster "dart" is not supported/);
    fails(text('xgb-gblinear.json'), /booster "gblinear" is not supported/);
    fails(text('xgb-multiclass.json'), /num_class is 3: multi-class models are not supported/);
    const m = JSON.parse(text('xgb-squarederror.json'));
    m.learner.objective.name = 'reg:gamma';
    fails(m, /learner\.objective\.name: objective "reg:gamma" is not supported/);
  });

  it('malformed files name the JSON path', () => {
    fails('{"learner": ', /not JSON/);
    fails({}, /^XGBoost JSON: learner: expected an object, found nothing/);
    const base = () => JSON.parse(text('xgb-squarederror.json'));
    let m = base();
    m.learner.gradient_booster.model.trees[1].left_children[2] = 99;
    fails(m, /learner\.gradient_booster\.model\.trees\[1\]\.left_children\[2\]: child 99 outside/);
    m = base();
    m.learner.gradient_booster.model.trees[2].split_conditions.pop();
    fails(m, /learner\.gradient_booster\.model\.trees\[2\]\.split_conditions: expected \d+ entries/);
    m = base();
    m.learner.gradient_booster.model.trees[0].split_indices[0] = 6;
    fails(m, /trees\[0\]\.split_indices\[0\]: feature 6 outside 0\.\.5/);
    m = base();
    m.learner.learner_model_param.base_score = 'abc';
    fails(m, /learner\.learner_model_param\.base_score: "abc" is not a number/);
    m = base();
    m.learner.learner_model_param.base_score = '[1E-1,2E-1]';
    fails(m, /2 base scores .* multi-output models are not supported/);
    m = base();
    m.learner.gradient_booster.model.trees[0].split_type[0] = 1;
    fails(m, /trees\[0\]\.split_type\[0\]: categorical splits are not supported/);
  });
});
