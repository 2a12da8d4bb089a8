import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QonlineError } from '../../../../core/index.js';
import { importModel, restoreModel, type ImportedModel } from '../../../../plugins/models/index.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/import');
const text = (name: string) => readFileSync(path.join(DIR, name), 'utf8');
const matrix = (rows: number[][]) => ({ features: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length });
const f = Math.fround;

/*
 * lgb-numerical.txt, written by hand from LightGBM's text format:
 *   Tree=0  node0: f0 <= 0.5 (missing NaN, NaN goes right)  -> node1 | node2
 *           node1: f1 <= 1e-35 (missing Zero, default right) -> leaf0 0.1 | leaf1 0.2
 *           node2: f2 <= -0.25 (missing None: NaN read as 0) -> leaf2 0.3 | leaf3 0.4
 *   Tree=1  f0 <= 1.5 (missing NaN, default left) -> -0.05 | 0.07
 * LightGBM sums the trees in double starting from 0 (shrinkage is already in the leaf values).
 */
describe('importModel lightgbm-text: hand-written numerical model, each missing type, two trees', () => {
  const model = importModel(text('lgb-numerical.txt'), 'lightgbm-text');
  const cases: [string, number[], number, number][] = [
    ['x equal to the threshold goes left (<=)', [0.5, -0.5, 0], 0.1, -0.05],
    ['Zero missing type: 0 takes the default side (right), not 0 <= 1e-35', [0.25, 0, 0], 0.2, -0.05],
    ['Zero missing type: NaN becomes 0, so it is missing too', [0.25, NaN, 0], 0.2, -0.05],
    ['Zero missing type: |x| <= 1e-35 counts as zero', [0.25, 1e-36, 0], 0.2, -0.05],
    ['Zero missing type: -2e-35 is not zero and compares', [0.25, -2e-35, 0], 0.1, -0.05],
    ['NaN missing type: NaN goes the default side (right / left in tree 1)', [NaN, 5, -0.25], 0.3, -0.05],
    ['None missing type: NaN is read as 0 (0 > -0.25: right)', [0.75, 0, NaN], 0.4, -0.05],
    ['just above a threshold goes right', [2, 0, -0.2499], 0.4, 0.07],
    ['the next float32 above 0.5 goes right', [f(0.5 + 2 ** -24), 0, -1], 0.3, -0.05],
  ];
  for (const [what, row, t0, t1] of cases) {
    it(what, () => {
      const m = matrix([row]);
      expect(model.predictDouble(m)[0]).toBe(0 + t0 + t1);
      expect(model.predict(m)[0]).toBe(f(0 + t0 + t1));
    });
  }

  it('all rows in one call (a block) give the same values; identity objective: prediction = raw score', () => {
    const m = matrix(cases.map((c) => c[1]));
    expect(Array.from(model.predictDouble(m))).toEqual(cases.map((c) => 0 + c[2] + c[3]));
    expect(Array.from(model.predictMargin(m))).toEqual(Array.from(model.predictDouble(m)));
    expect(model.featureNames).toEqual(['f0', 'f1', 'f2']);
  });

  it('regression_l1 and huber are identity objectives too', () => {
    const m = matrix([[0.5, -0.5, 0]]);
    for (const obj of ['regression_l1', 'huber']) {
      const other = importModel(text('lgb-numerical.txt').replace('objective=regression', `objective=${obj}`), 'lightgbm-text');
      expect(other.predictDouble(m)[0]).toBe(0.1 + -0.05);
    }
  });

  it('serialises and restores (exact doubles kept)', () => {
    const m = matrix(cases.map((c) => c[1]));
    const back = restoreModel(JSON.parse(JSON.stringify(model.toJSON()))) as ImportedModel;
    expect(Array.from(back.predictDouble(m))).toEqual(Array.from(model.predictDouble(m)));
  });
});

/*
 * lgb-categorical-binary.txt: objective binary sigmoid:0.7.
 *   Tree=0  node0: sector in {1, 3, 32} (cat_threshold words 10 = bits 1,3 and 1 = bit 32) -> leaf0 0.4 | node1
 *           node1: price <= 0.25 (missing None) -> leaf1 -0.3 | leaf2 0.9
 *   Tree=1  one leaf, 0.05.
 * Categorical: trunc(x) is the category; NaN and negatives go right.
 */
describe('importModel lightgbm-text: categorical split, binary objective with its sigmoid', () => {
  const model = importModel(text('lgb-categorical-binary.txt'), 'lightgbm-text');
  const prob = (raw: number) => 1 / (1 + Math.exp(-0.7 * raw));
  const cases: [string, number[], number][] = [
    ['category 1 is in the set', [0, 1], 0.4],
    ['3.7 is category 3', [0, 3.7], 0.4],
    ['category 32 (second word)', [0, 32], 0.4],
    ['category 2 is not in the set', [0, 2], -0.3],
    ['category 64 lies beyond the bitset', [0.5, 64], 0.9],
    ['negative categories go right', [0.5, -1], 0.9],
    ['-0.5 truncates to category 0 (not in the set)', [0.5, -0.5], 0.9],
    ['NaN category goes right; NaN price is read as 0', [NaN, NaN], -0.3],
    ['price on the threshold goes left', [0.25, 0], -0.3],
  ];
  for (const [what, row, t0] of cases) {
    it(what, () => {
      const m = matrix([row]);
      expect(model.predictMargin(m)[0]).toBe(0 + t0 + 0.05);
      expect(model.predictDouble(m)[0]).toBe(prob(0 + t0 + 0.05));
    });
  }
  it('many rows at once', () => {
    const m = matrix(cases.map((c) => c[1]));
    expect(Array.from(model.predictDouble(m))).toEqual(cases.map((c) => prob(0 + c[2] + 0.05)));
    expect(model.objective).toBe('binary sigmoid:0.69999999999999996');
  });
});

describe('importModel lightgbm-text: unsupported features and malformed files name the line', () => {
  const base = text('lgb-numerical.txt');
  const lineOf = (s: string, needle: string) => s.split('\n').findIndex((l) => l.startsWith(needle)) + 1;
  const fails = (source: string, re: RegExp) => {
    let err: unknown;
    try {
      importModel(source, 'lightgbm-text');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QonlineError);
    expect((err as QonlineError).code).toBe('QONLINE_MODEL_FILE');
    expect((err as Error).message).toMatch(re);
  };

  it('objectives other than regression, regression_l1, huber, binary', () => {
    fails(base.replace('objective=regression', 'objective=lambdarank'), new RegExp(`line ${lineOf(base, 'objective=')}: objective "lambdarank" is not supported`));
    fails(base.replace('objective=regression', 'objective=regression sqrt'), /"sqrt" \(reg_sqrt\) is not supported/);
    fails(base.replace('objective=regression', 'objective=poisson'), /objective "poisson" is not supported/);
  });

  it('multi-class, linear trees, random forest', () => {
    fails(base.replace('num_class=1', 'num_class=3'), /line 3: num_class=3: multi-class models are not supported/);
    const linear = base.replace('is_linear=0', 'is_linear=1');
    fails(linear, new RegExp(`line ${lineOf(linear, 'is_linear=1')}: Tree=0: linear trees .* are not supported`));
    fails(base.replace('tree_sizes=', 'average_output\ntree_sizes='), /random-forest \(rf\) models are not supported/);
  });

  it('malformed lines', () => {
    const bad = base.replace('left_child=1 -1 -3', 'left_child=1 x -3');
    fails(bad, new RegExp(`line ${lineOf(base, 'left_child=1')}: left_child value 2 is "x", expected an integer`));
    fails(base.replace('leaf_value=-0.05', 'leaf_value=0.1 -0.05'), new RegExp(`line ${lineOf(base, 'leaf_value=-0.05')}: leaf_value has 3 values, expected 2`));
    fails(base.replace('split_feature=0 1 2', 'split_feature=0 1 7'), new RegExp(`line ${lineOf(base, 'split_feature=0 1 2')}: Tree=0: node 2 splits on feature 7, outside 0..2`));
    fails(base.replace('left_child=1 -1 -3', 'left_child=1 -1 1'), /Tree=0: node 1 is reached twice/);
    fails(base.slice(0, base.indexOf('end of trees')), /no "end of trees" line: the file is truncated/);
    fails(base.replace('end of trees', ''), /expected key=value or "end of trees", found "feature_importances:"/);
    fails('{"learner": {}}', /line 1: expected the first line "tree"/);
    fails(base.replace('num_leaves=2', 'num_leaves=2\nnum_leaves=2'), /num_leaves given twice/);
    fails(base.replace('max_feature_idx=2\n', ''), /the header has no max_feature_idx= line/);
    fails(text('lgb-categorical-binary.txt').replace('cat_boundaries=0 2', 'cat_boundaries=0 5'), /cat_boundaries 0\.\.5 outside cat_threshold/);
  });
});
