import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { MatrixDataset } from '../../../../core/index.js';
import { createModel, GBDTModel, restoreModel } from '../../../../plugins/models/index.js';
import { locateWorkerScript } from '../../../../plugins/models/src/gbdt/hist-threads.js';
import { naiveGbdt } from './gbdt-reference.js';
import { gaussian, rng } from './helpers.js';

/** One feature 0..99; label 0 below 50 and 1 from 50 (weights optional). */
function stepData(weights?: (x: number) => number): MatrixDataset {
  const features = Float32Array.from({ length: 100 }, (_, i) => i);
  const labels = Float32Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1));
  const ds: MatrixDataset = { features, labels, rows: 100, cols: 1 };
  if (weights) ds.weights = Float32Array.from({ length: 100 }, (_, i) => weights(i));
  return ds;
}

const oneSplit = { num_boost_round: 1, num_leaves: 2, min_data_in_leaf: 1, early_stopping_rounds: 0 };

function randomData(rows: number, cols: number, seed: number, nanRate = 0): MatrixDataset {
  const u = rng(seed);
  const g = gaussian(u);
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) features[r * cols + j] = u() < nanRate ? NaN : g();
    const x0 = features[r * cols]!;
    const x1 = features[r * cols + 1]!;
    labels[r] = (Number.isNaN(x0) ? 0.5 : Math.sin(2 * x0)) + (x1 > 0.3 ? 0.8 : 0) + 0.3 * g();
  }
  return { features, labels, rows, cols };
}

function treesOf(model: { toJSON(): { state: unknown } }): Array<Record<string, unknown[]>> {
  return (model.toJSON().state as { trees: Array<Record<string, unknown[]>> }).trees;
}

describe('GBDT: hand-checked trees', () => {
  it('finds the single split of a step function, halfway between 49 and 50', async () => {
    const model = createModel('GBDT', { ...oneSplit, learning_rate: 1 }) as GBDTModel;
    const info = await model.fit(stepData());
    expect(info.rounds).toBe(1);
    const [tree] = treesOf(model);
    expect(tree!['split_feature']).toEqual([0]);
    expect(tree!['threshold']).toEqual([49.5]);
    // init 0.5; leaves -G/H = -0.5 and +0.5 with learning rate 1: the labels exactly.
    expect(tree!['leaf_value']).toEqual([-0.5, 0.5]);
    const pred = model.predict({ features: new Float32Array([49, 49.5, 49.6, 50, -1e9, 1e9]), rows: 6, cols: 1 });
    expect(Array.from(pred)).toEqual([0, 0, 1, 1, 0, 1]);
  });

  it('applies lambda_l2, lambda_l1 and the learning rate to leaf values and gains', async () => {
    // G_left = 50 * 0.5 = 25, H_left = 50: value -(25 - l1) / (50 + l2) * lr.
    const model = createModel('LGBModel', { ...oneSplit, learning_rate: 0.3, lambda_l2: 10, lambda_l1: 5 }) as GBDTModel;
    await model.fit(stepData());
    const [tree] = treesOf(model);
    const v = (20 / 60) * 0.3;
    expect(tree!['leaf_value']![0]).toBeCloseTo(-v, 12);
    expect(tree!['leaf_value']![1]).toBeCloseTo(v, 12);
    expect(Array.from(model.predict({ features: new Float32Array([0, 99]), rows: 2, cols: 1 }))).toEqual([Math.fround(0.5 - v), Math.fround(0.5 + v)]);
    // Gain: 2 * (25 - 5)^2 / (50 + 10) - 0 (the parent's G is 0).
    expect(model.featureImportance('gain')[0]).toBeCloseTo(800 / 60, 10);
    expect(model.featureImportance('split')[0]).toBe(1);
  });

  it('uses weights as hessians: weighted init score and leaf values', async () => {
    // Right half weighs 2: init = 100/150; left G = 50 * 2/3, H = 50; right G = 50 * 2 * (2/3 - 1), H = 100.
    const model = createModel('GBDT', { ...oneSplit, learning_rate: 1, lambda_l2: 10 }) as GBDTModel;
    const info = await model.fit(stepData((i) => (i < 50 ? 1 : 2)));
    expect(info['histogram']).toBe('exact');
    const init = 2 / 3;
    const left = -(50 * init) / 60;
    const right = -(100 * (init - 1)) / 110;
    const pred = model.predict({ features: new Float32Array([10, 90]), rows: 2, cols: 1 });
    expect(pred[0]).toBeCloseTo(init + left, 6);
    expect(pred[1]).toBeCloseTo(init + right, 6);
  });

  it('matches a naive exact GBDT (few distinct values, so bins are exact)', async () => {
    const u = rng(42);
    const rows = 240;
    const cols = 3;
    const X: number[][] = [];
    const y: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = [Math.floor(u() * 80) / 8, Math.floor(u() * 50) / 5, u() < 0.15 ? NaN : Math.floor(u() * 60)];
      X.push(row);
      y.push(Math.sin(row[0]!) + (row[1]! > 4 ? 1 : 0) + (Number.isNaN(row[2]!) ? 0.7 : row[2]! / 60) + (u() - 0.5) * 0.4);
    }
    const ds: MatrixDataset = { features: Float32Array.from(X.flat()), labels: Float32Array.from(y), rows, cols };
    // Float32 copies of inputs for the reference, so both see the same numbers.
    const X32 = X.map((row) => row.map((v) => Math.fround(v)));
    const y32 = y.map((v) => Math.fround(v));
    const params = { rounds: 6, numLeaves: 7, maxDepth: 3, minData: 8, minHess: 1e-3, l1: 0.5, l2: 2, lr: 0.3 };
    const reference = naiveGbdt(X32, y32, params);
    const kwargs = {
      num_boost_round: params.rounds,
      num_leaves: params.numLeaves,
      max_depth: params.maxDepth,
      min_data_in_leaf: params.minData,
      lambda_l1: params.l1,
      lambda_l2: params.l2,
      learning_rate: params.lr,
      early_stopping_rounds: 0,
    };
    for (const use_quantized_grad of [false, true]) {
      const model = createModel('GBDT', { ...kwargs, use_quantized_grad });
      await model.fit(ds);
      const pred = model.predict(ds);
      for (let r = 0; r < rows; r++) expect(pred[r]).toBeCloseTo(reference(X32[r]!), 5);
    }
  });
});

describe('GBDT: missing values', () => {
  it('learns where missing values go', async () => {
    for (const nanLabel of [1, 0]) {
      const features = new Float32Array(130);
      const labels = new Float32Array(130);
      for (let i = 0; i < 130; i++) {
        features[i] = i < 100 ? i : NaN;
        labels[i] = i < 100 ? (i < 50 ? 0 : 1) : nanLabel;
      }
      const model = createModel('GBDT', { ...oneSplit, learning_rate: 1 });
      await model.fit({ features, labels, rows: 130, cols: 1 });
      const [tree] = treesOf(model);
      expect(tree!['default_left']).toEqual([nanLabel === 0 ? 1 : 0]);
      const pred = model.predict({ features: new Float32Array([NaN, 10, 90]), rows: 3, cols: 1 });
      expect(pred[0]).toBeCloseTo(nanLabel, 6);
      expect(pred[1]).toBeCloseTo(0, 6);
      expect(pred[2]).toBeCloseTo(1, 6);
    }
  });

  it('sends missing values to the larger side when training had none', async () => {
    const features = Float32Array.from({ length: 100 }, (_, i) => i);
    const labels = Float32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : 1));
    const model = createModel('GBDT', { ...oneSplit, learning_rate: 1 });
    await model.fit({ features, labels, rows: 100, cols: 1 });
    expect(model.predict({ features: new Float32Array([NaN]), rows: 1, cols: 1 })[0]).toBeCloseTo(0, 6);
  });

  it('can split missing against present values (an infinite threshold that survives JSON)', async () => {
    const features = Float32Array.from({ length: 80 }, (_, i) => (i % 2 ? NaN : 3));
    const labels = Float32Array.from({ length: 80 }, (_, i) => (i % 2 ? 2 : -2));
    const model = createModel('GBDT', { ...oneSplit, learning_rate: 1 });
    await model.fit({ features, labels, rows: 80, cols: 1 });
    expect(treesOf(model)[0]!['threshold']).toEqual(['Infinity']);
    const restored = restoreModel(JSON.parse(JSON.stringify(model.toJSON())));
    const probe = { features: new Float32Array([NaN, 3, 1e30]), rows: 3, cols: 1 };
    expect(Array.from(restored.predict(probe))).toEqual([2, -2, -2]);
  });
});

describe('GBDT: training behaviour', () => {
  const kwargs = { num_boost_round: 12, num_leaves: 8, learning_rate: 0.2, min_data_in_leaf: 5, early_stopping_rounds: 0 };

  it('is deterministic and round-trips through JSON with bit-identical predictions', async () => {
    const train = randomData(600, 6, 1, 0.05);
    const test = randomData(200, 6, 2, 0.05);
    const a = createModel('GBDT', { ...kwargs, bagging_fraction: 0.7, bagging_freq: 2, feature_fraction: 0.6, seed: 9 });
    const b = createModel('GBDT', { ...kwargs, bagging_fraction: 0.7, bagging_freq: 2, feature_fraction: 0.6, seed: 9 });
    await a.fit(train);
    await b.fit(train);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const restored = restoreModel(JSON.parse(JSON.stringify(a.toJSON())));
    const pa = a.predict(test);
    const pr = restored.predict(test);
    expect(new Uint32Array(pr.buffer)).toEqual(new Uint32Array(pa.buffer));
    expect(restored.toJSON()).toEqual(a.toJSON());
  });

  it('grows the same trees with a histogram pool too small to keep every histogram', async () => {
    const train = randomData(3000, 6, 13, 0.02);
    const fit = async (histogram_pool_size: number) => {
      const m = createModel('GBDT', { ...kwargs, num_leaves: 24, histogram_pool_size });
      await m.fit(train);
      return JSON.stringify(m.toJSON().state);
    };
    // 6 columns = 2 words = 16 KiB per histogram: 0.03 MB leaves the minimum of 2 slots for up to 24 leaves.
    expect(await fit(0.03)).toBe(await fit(-1));
  });

  it('subsamples rows and columns reproducibly from the seed', async () => {
    const train = randomData(500, 8, 3);
    const fit = async (seed: number) => {
      const m = createModel('GBDT', { ...kwargs, bagging_fraction: 0.5, bagging_freq: 1, feature_fraction: 0.25, seed });
      await m.fit(train);
      return m;
    };
    const [a, b, c] = [await fit(5), await fit(5), await fit(6)];
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(JSON.stringify(a.toJSON())).not.toBe(JSON.stringify(c.toJSON()));
    for (const tree of treesOf(a)) {
      // Each tree sees exactly half the rows, and at most round(8 * 0.25) = 2 columns.
      expect((tree['leaf_count'] as number[]).reduce((s, v) => s + v, 0)).toBe(250);
      expect(new Set(tree['split_feature']).size).toBeLessThanOrEqual(2);
    }
    // Without bagging_freq, LightGBM ignores bagging_fraction: every row is used.
    const ignored = createModel('GBDT', { ...kwargs, subsample: 0.5 });
    await ignored.fit(train);
    expect((treesOf(ignored)[0]!['leaf_count'] as number[]).reduce((s, v) => s + v, 0)).toBe(500);
  });

  it('stops early on the validation set and keeps the best round', async () => {
    const train = randomData(400, 4, 4);
    // Validation labels unrelated to the features: the loss soon rises.
    const valid = randomData(300, 4, 5);
    const u = rng(77);
    valid.labels = valid.labels.map(() => (u() - 0.5) * 3);
    const rounds: number[] = [];
    const model = createModel('GBDT', { num_boost_round: 200, num_leaves: 16, min_data_in_leaf: 3, learning_rate: 0.3, early_stopping_rounds: 5 }) as GBDTModel;
    const info = await model.fit(train, valid, { onIteration: (i) => rounds.push(i) });
    expect(info.rounds).toBeLessThan(200);
    expect(info.rounds - info.bestRound).toBe(5);
    expect(info.validLoss).toHaveLength(info.rounds);
    expect(rounds).toHaveLength(info.rounds);
    const best = Math.min(...info.validLoss);
    expect(info.validLoss[info.bestRound - 1]).toBe(best);
    expect(model.numTrees).toBe(info.bestRound);
    // The kept trees are exactly those of a run stopped at the best round.
    const short = createModel('GBDT', { num_boost_round: info.bestRound, num_leaves: 16, min_data_in_leaf: 3, learning_rate: 0.3, early_stopping_rounds: 0 });
    await short.fit(train);
    expect(Array.from(model.predict(valid))).toEqual(Array.from(short.predict(valid)));
  });

  it('stores feature names and stops when the signal aborts', async () => {
    const train = randomData(200, 3, 14);
    const model = createModel('GBDT', kwargs);
    await model.fit(train, undefined, { featureNames: ['a', 'b', 'c'] });
    expect((model.toJSON().state as { feature_names: string[] }).feature_names).toEqual(['a', 'b', 'c']);
    await expect(model.fit(train, undefined, { featureNames: ['a'] })).rejects.toThrow(/featureNames has 1 names but the data has 3 columns/);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = model.fit(train, undefined, {
      signal: controller.signal,
      onIteration: (i) => {
        seen.push(i);
        if (i === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('trains huber and reports the chosen metric', async () => {
    const train = randomData(300, 3, 6);
    train.labels[0] = 1000; // an outlier huber should shrug off
    const huber = createModel('GBDT', { ...kwargs, objective: 'huber', alpha: 1 });
    const mse = createModel('GBDT', { ...kwargs, metric: 'rmse' });
    const hi = await huber.fit(train);
    const mi = await mse.fit(train);
    expect(hi['metric']).toBe('huber');
    expect(mi['metric']).toBe('rmse');
    const probe = randomData(100, 3, 7);
    const err = (m: typeof huber) => {
      const p = m.predict(probe);
      return p.reduce((s, v, i) => s + (v - probe.labels[i]!) ** 2, 0) / p.length;
    };
    expect(err(huber)).toBeLessThan(err(mse));
  });

  it('quantized and exact histograms give nearly the same model', async () => {
    const train = randomData(2000, 5, 8, 0.02);
    const test = randomData(500, 5, 9, 0.02);
    const fit = async (use_quantized_grad: boolean) => {
      const m = createModel('GBDT', { ...kwargs, num_boost_round: 30, use_quantized_grad });
      const info = await m.fit(train);
      expect(info['histogram']).toBe(use_quantized_grad ? 'quantized' : 'exact');
      const p = m.predict(test);
      return p.reduce((s, v, i) => s + (v - test.labels[i]!) ** 2, 0) / p.length;
    };
    const [q, e] = [await fit(true), await fit(false)];
    expect(Math.abs(q - e) / e).toBeLessThan(0.02);
  });

  it.skipIf(!locateWorkerScript() || availableParallelism() < 2)('builds the same model with worker threads (needs dist/ from npx tsup)', async () => {
    const train = randomData(30000, 12, 10, 0.01);
    // Both histogram kinds (more cases in gbdt-threads.test.ts).
    for (const use_quantized_grad of [true, false]) {
      const fit = async (num_threads: number) => {
        const m = createModel('GBDT', { ...kwargs, num_boost_round: 5, num_leaves: 31, num_threads, use_quantized_grad });
        const info = await m.fit(train);
        return { json: JSON.stringify(m.toJSON().state), threads: info['threads'] };
      };
      const one = await fit(1);
      const two = await fit(2);
      expect(two.threads).toBe(2);
      expect(two.json).toBe(one.json);
    }
  });
});

describe('GBDT: parameters and bad input', () => {
  it("accepts Qlib's LGBModel and XGBModel kwargs unchanged", () => {
    expect(() =>
      createModel('LGBModel', {
        loss: 'mse',
        colsample_bytree: 0.8879,
        learning_rate: 0.2,
        subsample: 0.8789,
        lambda_l1: 205.6999,
        lambda_l2: 580.9768,
        max_depth: 8,
        num_leaves: 210,
        num_threads: 20,
      }),
    ).not.toThrow();
    expect(() =>
      createModel('XGBModel', {
        eval_metric: 'rmse',
        colsample_bytree: 0.8879,
        eta: 0.0421,
        max_depth: 8,
        n_estimators: 647,
        subsample: 0.8789,
        alpha: 205.6999,
        lambda: 580.9768,
        nthread: 20,
      }),
    ).not.toThrow();
  });

  it('rejects unknown, out-of-range and contradictory parameters', () => {
    const bad = (kwargs: Record<string, unknown>) => () => createModel('GBDT', kwargs);
    // Options are checked once, by the kernel, against the model's schema (aliases included).
    expect(bad({ num_leavs: 3 })).toThrow(/at \/kwargs\/num_leavs: GBDT: unknown property "num_leavs" \(did you mean "num_leaves"/);
    expect(bad({ learning_rate: 0 })).toThrow(/at \/kwargs\/learning_rate: GBDT: must be > 0/);
    expect(bad({ bagging_fraction: 1.5 })).toThrow(/at \/kwargs\/bagging_fraction: GBDT: must be <= 1/);
    expect(bad({ max_bin: 300 })).toThrow(/at \/kwargs\/max_bin: GBDT: must be <= 255/);
    expect(bad({ num_leaves: 2.5 })).toThrow(/num_leaves: GBDT: expected integer/);
    expect(bad({ objective: 'binary' })).toThrow(/objective: GBDT: expected one of/);
    // What a schema cannot say is checked by the model: aliases disagreeing.
    expect(bad({ eta: 0.1, learning_rate: 0.2 })).toThrow(/both set learning_rate/);
    expect(bad({ alpha: 2, lambda_l1: 3 })).toThrow(/give only one of them/);
    expect(bad({ eta: 0.1, learning_rate: 0.2 })).toThrow(expect.objectContaining({ code: 'QONLINE_MODEL_INPUT' }));
    try {
      createModel('GBDT', { foo: 1, max_depth: -3 });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'QONLINE_CONFIG_INVALID' });
      expect((e as { details: string[] }).details).toEqual(['at /kwargs/foo: GBDT: unknown property "foo"', 'at /kwargs/max_depth: GBDT: must be >= -1']);
    }
  });

  it('rejects inconsistent arrays, bad labels and empty data', async () => {
    const m = createModel('GBDT', { num_boost_round: 2 });
    await expect(m.fit({ features: new Float32Array(5), labels: new Float32Array(2), rows: 2, cols: 3 })).rejects.toMatchObject({
      code: 'QONLINE_MODEL_INPUT',
      message: expect.stringMatching(/5 values but rows x cols = 2 x 3 = 6/),
    });
    await expect(m.fit({ features: new Float32Array(4), labels: new Float32Array([1, -Infinity]), rows: 2, cols: 2 })).rejects.toThrow(/label at row 1 is -Infinity/);
    await expect(m.fit({ features: new Float32Array(0), labels: new Float32Array(0), rows: 0, cols: 2 })).rejects.toThrow(/zero rows/);
    await expect(m.fit({ features: [1, 2] as unknown as Float32Array, labels: new Float32Array(1), rows: 1, cols: 2 })).rejects.toThrow(/Float32Array/);
    const train = randomData(100, 3, 11);
    await expect(m.fit(train, randomData(10, 4, 12))).rejects.toThrow(/fitted on 3 columns, found 4/);
    expect(() => m.predict({ features: new Float32Array(3), rows: 1, cols: 3 })).toThrow(/not fitted/);
    await m.fit(train);
    expect(() => m.predict({ features: new Float32Array(4), rows: 1, cols: 4 })).toThrow(/fitted on 3 columns, found 4/);
    const json = m.toJSON();
    expect(() => restoreModel({ ...json, version: 99 })).toThrow(/version 99 is not supported/);
    const state = json.state as { trees: { left_child: number[] }[] };
    state.trees[0]!.left_child[0] = 0;
    expect(() => restoreModel(json)).toThrow(/tree 0: node 0 has child 0 out of range/);
  });
});
