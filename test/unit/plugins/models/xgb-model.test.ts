import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger, MatrixDataset } from '../../../../core/index.js';
import { createModel, restoreModel, XGBModel } from '../../../../plugins/models/index.js';
import { locateXgbWorkerScript } from '../../../../plugins/models/src/xgb/xgb-threads.js';
import { referenceSplit, type RefDataSpec } from './xgb-reference-data.js';

/**
 * XGBModel against XGBoost 1.7.4 itself: test/fixtures/xgb-train holds what
 * xgb.train produced (tree_method hist, one thread) on data both sides
 * generate from one xorshift stream; regenerate with
 * `/usr/bin/python3 test/fixtures/xgb-train/make_xgb_train_refs.py`.
 */
interface RefTree {
  left: number[];
  right: number[];
  feature: number[];
  value: number[];
  default_left: number[];
  loss_change: number[];
}
interface RefCase {
  data: RefDataSpec;
  params: Record<string, unknown>;
  rounds: number;
  early_stopping_rounds: number | null;
  trees: number;
  best_iteration: number | null;
  valid_history: number[];
  train_history: number[];
  leaves: number[];
  first_trees: RefTree[];
  test_pred: number[];
}

const refs = JSON.parse(readFileSync(path.join(__dirname, '../../../fixtures/xgb-train/xgb-train-refs.json'), 'utf8')) as { xgboost: string; cases: Record<string, RefCase> };

/** XGBoost's tree (node ids, -1 = leaf) as a canonical nested form: [feature, value, default_left, loss, left, right] or 'leaf'. */
function xgbShape(t: RefTree, id = 0): unknown {
  if (t.left[id] === -1) return 'leaf';
  return [t.feature[id], Math.fround(t.value[id]!), t.default_left[id] === 1, Math.fround(t.loss_change[id]!), xgbShape(t, t.left[id]!), xgbShape(t, t.right[id]!)];
}

function ourShape(m: XGBModel, tree: number, node = 0): unknown {
  const t = m.trees[tree]!;
  if (node < 0 || t.split_feature.length === 0) return 'leaf';
  return [t.split_feature[node], t.threshold[node], (t.decision[node]! & 2) !== 0, m.lossChanges(tree)[node], ourShape(m, tree, t.left[node]!), ourShape(m, tree, t.right[node]!)];
}

async function fitCase(c: RefCase, extra: Record<string, unknown> = {}): Promise<{ model: XGBModel; info: Awaited<ReturnType<XGBModel['fit']>>; test: MatrixDataset }> {
  const { train, valid, test } = referenceSplit(c.data);
  const model = createModel('XGBModel', { ...c.params, num_boost_round: c.rounds, early_stopping_rounds: c.early_stopping_rounds ?? 0, nthread: 1, ...extra }) as XGBModel;
  const info = await model.fit(train, valid);
  return { model, info, test };
}

describe(`XGBModel against XGBoost ${refs.xgboost} (tree_method hist, same data, same parameters)`, () => {
  for (const [name, c] of Object.entries(refs.cases)) {
    it(`${name}: ${JSON.stringify(c.params)}: the same trees, metrics${c.early_stopping_rounds ? ', best iteration' : ''} and predictions`, async () => {
      const { model, info, test } = await fitCase(c);
      expect(model.numTrees).toBe(c.trees);
      expect(model.trees.map((t) => t.leaf_value.length)).toEqual(c.leaves);
      c.first_trees.forEach((t, i) => expect(ourShape(model, i), `tree ${i}`).toEqual(xgbShape(t)));
      // Metrics per round to the last bit of XGBoost's printed double.
      expect(info.validLoss).toEqual(c.valid_history);
      expect(info.trainLoss).toEqual(c.train_history);
      if (c.best_iteration !== null) {
        expect(model.bestIteration).toBe(c.best_iteration);
        expect(info.stopReason).toBe('early_stopping');
        expect(info.rounds).toBe(c.best_iteration + 1 + c.early_stopping_rounds!);
      }
      // Float32 predictions: identical (tolerance 0).
      expect(Array.from(model.predict(test))).toEqual(c.test_pred.map(Math.fround));
    }, 60_000);
  }
});

describe("XGBModel: Qlib's fit and predict", () => {
  const c = refs.cases['early-stopping']!;

  it('ignores n_estimators as Qlib does (xgb.train runs num_boost_round, default 1000, with early stopping after 50) and says so', async () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), info: () => {}, debug: () => {}, error: () => {}, child: () => logger } as unknown as Logger;
    const { XGBModel: Cls } = await import('../../../../plugins/models/src/xgb/xgb-model.js');
    const model = new Cls({ ...c.params, n_estimators: 3 }, logger);
    const { train, valid } = referenceSplit(c.data);
    const info = await model.fit(train, valid);
    expect(warnings.join('\n')).toMatch(/n_estimators \(3\) is not used, as in Qlib/);
    // Defaults: early stopping after 50 rounds without improvement, all trees kept.
    expect(info.rounds).toBe(model.bestIteration + 51);
    expect(model.numTrees).toBe(info.rounds);
    expect(info.rounds).toBeGreaterThan(3);
  }, 60_000);

  it('predict_trees: best keeps the first best_iteration + 1 trees (the model of a run stopped there)', async () => {
    const best = await fitCase(c, { predict_trees: 'best' });
    expect(best.model.numTrees).toBe(c.best_iteration! + 1);
    const short = await fitCase({ ...c, rounds: c.best_iteration! + 1, early_stopping_rounds: null });
    expect(Array.from(best.model.predict(best.test))).toEqual(Array.from(short.model.predict(short.test)));
    const all = await fitCase(c);
    expect(Array.from(all.model.predict(all.test))).not.toEqual(Array.from(best.model.predict(best.test)));
  }, 60_000);

  it('round-trips through toJSON / restoreModel with the same predictions', async () => {
    const { model, test } = await fitCase(refs.cases['regularised']!);
    const restored = restoreModel(JSON.parse(JSON.stringify(model.toJSON()))) as XGBModel;
    expect(restored.className).toBe('XGBModel');
    expect(Array.from(restored.predict(test))).toEqual(Array.from(model.predict(test)));
    const json = model.toJSON();
    (json.state as { trees: { left: number[] }[] }).trees[0]!.left[0] = 99;
    expect(() => restoreModel(json)).toThrow(/XGBModel model file: tree 0: node 0 has child 99/);
  }, 60_000);
});

describe('XGBModel: sampling', () => {
  const c = refs.cases['exact-cuts']!;

  it('subsample and colsample_* are seeded: same seed, same model; another seed, another model', async () => {
    const kw = { subsample: 0.7, colsample_bytree: 0.8, colsample_bylevel: 0.8, colsample_bynode: 0.8, eta: 0.3 };
    const a = await fitCase({ ...c, rounds: 8 }, { ...kw, seed: 3 });
    const b = await fitCase({ ...c, rounds: 8 }, { ...kw, random_state: 3 });
    const d = await fitCase({ ...c, rounds: 8 }, { ...kw, seed: 4 });
    expect(JSON.stringify(a.model.toJSON().state)).toBe(JSON.stringify(b.model.toJSON().state));
    expect(JSON.stringify(a.model.toJSON().state)).not.toBe(JSON.stringify(d.model.toJSON().state));
  }, 60_000);

  it('colsample_bytree: each tree splits on at most floor(fraction * features) features', async () => {
    const { model } = await fitCase({ ...c, rounds: 10 }, { colsample_bytree: 0.25 });
    for (const t of model.trees) expect(new Set(t.split_feature).size).toBeLessThanOrEqual(Math.floor(0.25 * c.data.cols));
  }, 60_000);
});

describe('XGBModel: threads', () => {
  it.skipIf(!locateXgbWorkerScript() || availableParallelism() < 2)('nthread 2 builds the same model as one thread (features split, each bin summed in row order; needs dist/ from npx tsup)', async () => {
    const { train, valid } = referenceSplit({ seed: 21, rows: 30000, cols: 20, levels: 3000, nan_rate: 0.05, scale: 100 });
    for (const sampling of [{}, { subsample: 0.8, colsample_bytree: 0.7, colsample_bynode: 0.8 }]) {
      const fit = async (nthread: number) => {
        const m = createModel('XGBModel', { max_depth: 6, num_boost_round: 6, early_stopping_rounds: 0, nthread, ...sampling });
        const info = await m.fit(train, valid);
        return { json: JSON.stringify(m.toJSON().state), threads: info['threads'] };
      };
      const one = await fit(1);
      const two = await fit(2);
      expect(two.threads).toBe(2);
      expect(two.json).toBe(one.json);
    }
  }, 120_000);
});

describe('XGBModel: options under XGBoost names, and what it refuses', () => {
  it("accepts Qlib's benchmark kwargs and the XGBoost / scikit-learn spellings", () => {
    const kw = { eval_metric: 'rmse', colsample_bytree: 0.8879, eta: 0.0421, max_depth: 8, n_estimators: 647, subsample: 0.8789, nthread: 20 };
    expect(createModel('XGBModel', kw).className).toBe('XGBModel');
    expect(() =>
      createModel('XGBModel', { learning_rate: 0.1, reg_lambda: 2, reg_alpha: 0.1, min_split_loss: 0.1, n_jobs: 2, random_state: 1, tree_method: 'approx', booster: 'gbtree', objective: 'reg:linear', verbosity: 0 }),
    ).not.toThrow();
  });

  it('refuses unsupported values and keys by name, with what is supported (config errors, exit 2)', () => {
    const bad = (kwargs: Record<string, unknown>) => () => createModel('XGBModel', kwargs);
    expect(bad({ booster: 'dart' })).toThrow(/at \/kwargs\/booster: XGBModel: expected one of "gbtree"/);
    expect(bad({ booster: 'gblinear' })).toThrow(/booster.*expected one of "gbtree"/);
    expect(bad({ objective: 'reg:logistic' })).toThrow(/objective.*expected one of "reg:squarederror", "reg:linear"/);
    expect(bad({ eval_metric: 'auc' })).toThrow(/eval_metric.*expected one of "rmse", "mae"/);
    expect(bad({ tree_method: 'gpu_hist' })).toThrow(/tree_method.*expected one of "hist", "approx", "exact", "auto"/);
    expect(bad({ max_delta_step: 1 })).toThrow(/unknown property "max_delta_step"/);
    expect(bad({ eta: 0.1, learning_rate: 0.2 })).toThrow(/both set eta/);
    expect(bad({ max_depth: 0 })).toThrow(/max_depth 0 \(no depth limit\) needs grow_policy lossguide/);
    expect(bad({ booster: 'dart' })).toThrow(expect.objectContaining({ code: 'QONLINE_CONFIG_INVALID' }));
  });
});
