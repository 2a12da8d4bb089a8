import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importModel } from '../../../../plugins/models/index.js';
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
