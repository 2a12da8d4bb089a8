import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImportedModel, importModel, restoreModel } from '../../../../plugins/models/index.js';
import { CompiledForest, float32Below, type ForestState } from '../../../../plugins/models/src/import/forest.js';
import { rng } from './helpers.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/import');
const text = (name: string) => readFileSync(path.join(DIR, name), 'utf8');
const forestOf = (source: string, format: 'xgboost-json' | 'lightgbm-text') => (importModel(source, format).toJSON().state as { forest: ForestState }).forest;

/** Random rows with NaNs, exact zeros, tiny values and values sitting on the model's thresholds. */
function rows(forest: ForestState, n: number, seed: number): Float32Array {
  const next = rng(seed);
  const thresholds = forest.trees.flatMap((t) => t.threshold);
  const out = new Float32Array(n * forest.cols);
  for (let i = 0; i < out.length; i++) {
    const u = next();
    out[i] = u < 0.1 ? NaN : u < 0.15 ? 0 : u < 0.18 ? 1e-36 : u < 0.4 ? thresholds[Math.floor(next() * thresholds.length)]! : (next() - 0.5) * 6;
  }
  return out;
}

describe('CompiledForest: the implicit (padded complete) layout predicts exactly as the linked layout', () => {
  const cases: [string, ForestState][] = [
    ...['squarederror', 'squarederror-lossguide', 'binary', 'poisson'].map((n) => [`xgboost ${n}`, forestOf(text(`xgb-${n}.json`), 'xgboost-json')] as [string, ForestState]),
    // Node 1's Zero missing type swapped for NaN (decision 4 -> 8): no slow node, so the implicit layout applies to LightGBM too.
    ['lightgbm numerical, NaN/None missing types', forestOf(text('lgb-numerical.txt').replace('decision_type=8 4 0', 'decision_type=8 8 0'), 'lightgbm-text')],
  ];
  for (const [name, forest] of cases) {
    it(name, () => {
      const auto = new CompiledForest(forest);
      const linked = new CompiledForest(forest, { layout: 'linked' });
      expect(auto.layout).toBe('implicit');
      expect(linked.layout).toBe('linked');
      // 203 rows: several 64-row blocks, 8-row groups and a remainder.
      const x = rows(forest, 203, 7);
      expect(Array.from(auto.margins(x, 203, forest.cols))).toEqual(Array.from(linked.margins(x, 203, forest.cols)));
    });
  }

  it('slow nodes (LightGBM Zero missing type, categorical) keep the linked layout', () => {
    expect(new CompiledForest(forestOf(text('lgb-numerical.txt'), 'lightgbm-text')).layout).toBe('linked');
    expect(new CompiledForest(forestOf(text('lgb-categorical-binary.txt'), 'lightgbm-text')).layout).toBe('linked');
  });

  it('LightGBM NaN missing type on node 1 (hand check): NaN goes right, 0 compares (0 <= 1e-35: left)', () => {
    const m = importModel(text('lgb-numerical.txt').replace('decision_type=8 4 0', 'decision_type=8 8 0'), 'lightgbm-text');
    const x = (r: number[]) => ({ features: Float32Array.from(r), rows: 1, cols: 3 });
    expect(m.predictDouble(x([0.25, NaN, 0]))[0]).toBe(0 + 0.2 + -0.05);
    expect(m.predictDouble(x([0.25, 0, 0]))[0]).toBe(0 + 0.1 + -0.05);
  });

  it('XGBoost threshold -inf (a split_condition beyond float32): every number goes right, -inf too; NaN the default side', () => {
    // One split at node 0, leaves -1/3 (left) and 1/3 (right), base 0.5. XGBoost 1.7.4 reads -1e39 as -inf and
    // predicts margins 0.8333334 for -inf, -3e38, 0 and +inf (x < -inf holds for none), and for NaN 0.16666666
    // with default_left 1, 0.8333334 with default_left 0 (python3-xgboost, inplace_predict).
    const model = (defaultLeft: number) => JSON.stringify({
      learner: {
        attributes: {}, feature_names: [], feature_types: [],
        gradient_booster: { name: 'gbtree', model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: '1', size_leaf_vector: '0' }, tree_info: [0], trees: [{
          base_weights: [0, -0.33333334, 0.33333334], categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
          default_left: [defaultLeft, 0, 0], id: 0, left_children: [1, -1, -1], right_children: [2, -1, -1], loss_changes: [0.6666667, 0, 0], parents: [2147483647, 0, 0],
          split_conditions: [-1e39, -0.33333334, 0.33333334], split_indices: [0, 0, 0], split_type: [0, 0, 0], sum_hessian: [4, 2, 2],
          tree_param: { num_deleted: '0', num_feature: '1', num_nodes: '3', size_leaf_vector: '0' },
        }] } },
        learner_model_param: { base_score: '5E-1', boost_from_average: '0', num_class: '0', num_feature: '1', num_target: '1' },
        objective: { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } },
      },
      version: [1, 7, 4],
    });
    const x = Float32Array.from([-Infinity, -3e38, 0, Infinity, NaN]);
    const right = Math.fround(0.5 + Math.fround(0.33333334));
    const left = Math.fround(0.5 + Math.fround(-0.33333334));
    for (const [dl, nan] of [[1, left], [0, right]] as const) {
      const forest = forestOf(model(dl), 'xgboost-json');
      expect(Math.fround(forest.trees[0]!.threshold[0]!)).toBe(-Infinity);
      // the saved model keeps the finite threshold (JSON has no -inf) and predicts the same after restore
      const restored = restoreModel(JSON.parse(JSON.stringify(importModel(model(dl), 'xgboost-json').toJSON()))) as ImportedModel;
      expect(Array.from(restored.predictDouble({ features: x, rows: 5, cols: 1 }))).toEqual([right, right, right, right, nan]);
      for (const layout of ['auto', 'linked'] as const) {
        const m = new CompiledForest(forest, { layout });
        expect(Array.from(m.margins(x, 5, 1)), `default_left ${dl}, ${m.layout}`).toEqual([right, right, right, right, nan]);
      }
    }
    expect(right).toBe(Math.fround(0.8333334));
    expect(left).toBe(Math.fround(0.16666666));
  });

  it('float32Below gives the float32 just below (x >= t exactly when x > float32Below(t))', () => {
    const f = new Float32Array(1);
    for (const t of [0.5, -0.5, 0, -0, 1e-38, -3.25, 2 ** 100, 0.1].map(Math.fround)) {
      const b = float32Below(t);
      expect(b).toBeLessThan(t);
      f[0] = b;
      expect(f[0]).toBe(b); // a float32
      // Nothing float32 lies strictly between b and t.
      const mid = (b + t) / 2;
      f[0] = mid;
      expect(f[0] === b || f[0] === t).toBe(true);
    }
  });
});
