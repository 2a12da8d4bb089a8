import { describe, expect, it } from 'vitest';
import { createModel, LinearModel, restoreModel } from '../../../../plugins/models/index.js';
import type { MatrixDataset } from '../../../../core/index.js';
import { gaussian, gaussianElimination, rng } from './helpers.js';

function makeData(rows: number, cols: number, seed: number, opts: { nanRate?: number; weights?: boolean } = {}): MatrixDataset {
  const u = rng(seed);
  const g = gaussian(u);
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  const beta = Array.from({ length: cols }, (_, j) => (j % 2 ? 0.5 : -1.25) * (j + 1));
  for (let r = 0; r < rows; r++) {
    let y = 0.7;
    for (let j = 0; j < cols; j++) {
      const x = g() + j;
      features[r * cols + j] = x;
      y += beta[j]! * x;
    }
    labels[r] = y + g();
  }
  if (opts.nanRate) for (let i = 0; i < features.length; i++) if (u() < opts.nanRate) features[i] = NaN;
  const ds: MatrixDataset = { features, labels, rows, cols };
  if (opts.weights) ds.weights = Float32Array.from({ length: rows }, () => 0.2 + u() * 2);
  return ds;
}

/** Reference: the augmented normal equations [X 1]'W[X 1] with alpha on the X block only, by Gaussian elimination. */
function naiveRidge(ds: MatrixDataset, alpha: number, intercept: boolean): { coef: number[]; intercept: number } {
  const { rows, cols, features, labels, weights } = ds;
  const means: number[] = [];
  for (let j = 0; j < cols; j++) {
    let s = 0;
    let c = 0;
    for (let r = 0; r < rows; r++) {
      const v = features[r * cols + j]!;
      if (!Number.isNaN(v)) {
        s += v;
        c++;
      }
    }
    means.push(c ? s / c : 0);
  }
  const p = cols + (intercept ? 1 : 0);
  const M = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const v = new Array<number>(p).fill(0);
  for (let r = 0; r < rows; r++) {
    const x: number[] = [];
    for (let j = 0; j < cols; j++) {
      const f = features[r * cols + j]!;
      x.push(Number.isNaN(f) ? means[j]! : f);
    }
    if (intercept) x.push(1);
    const w = weights ? weights[r]! : 1;
    for (let a = 0; a < p; a++) {
      v[a]! += w * x[a]! * labels[r]!;
      for (let b = 0; b < p; b++) M[a]![b]! += w * x[a]! * x[b]!;
    }
  }
  for (let j = 0; j < cols; j++) M[j]![j]! += alpha;
  const sol = gaussianElimination(M, v);
  return { coef: sol.slice(0, cols), intercept: intercept ? sol[cols]! : 0 };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol * (1 + Math.abs(expected[i]!)));
}

describe('Linear (ridge closed form)', () => {
  it('matches a direct solve of the normal equations, with intercept and L2', async () => {
    const ds = makeData(300, 6, 1);
    const model = new LinearModel({ alpha: 2.5 });
    const info = await model.fit(ds);
    const ref = naiveRidge(ds, 2.5, true);
    expectClose(model.coefficients.coef, ref.coef, 1e-9);
    expect(model.coefficients.intercept).toBeCloseTo(ref.intercept, 8);
    expect(info.rounds).toBe(1);
    expect(info.trainLoss[0]).toBeGreaterThan(0.5);
    expect(info.trainLoss[0]).toBeLessThan(1.6);
  });

  it('matches the direct solve with sample weights and without intercept', async () => {
    const ds = makeData(250, 4, 2, { weights: true });
    for (const fit_intercept of [true, false]) {
      const model = createModel('Ridge', { alpha: 0.75, fit_intercept }) as LinearModel;
      await model.fit(ds);
      const ref = naiveRidge(ds, 0.75, fit_intercept);
      expectClose(model.coefficients.coef, ref.coef, 1e-9);
      expect(model.coefficients.intercept).toBeCloseTo(ref.intercept, 8);
    }
  });

  it('fills missing features with the training column mean, at fit and predict time', async () => {
    const ds = makeData(400, 5, 3, { nanRate: 0.1 });
    const model = createModel('LinearModel', { estimator: 'ols' }) as LinearModel;
    await model.fit(ds);
    const ref = naiveRidge(ds, 0, true);
    expectClose(model.coefficients.coef, ref.coef, 1e-8);
    // A row of NaN predicts intercept + sum coef_j * mean_j.
    let mean0 = 0;
    let n0 = 0;
    for (let r = 0; r < ds.rows; r++) {
      const v = ds.features[r * 5]!;
      if (!Number.isNaN(v)) {
        mean0 += v;
        n0++;
      }
    }
    mean0 /= n0;
    const row = new Float32Array([NaN, 0, 0, 0, 0]);
    const pred = model.predict({ features: row, rows: 1, cols: 5 });
    expect(pred[0]).toBeCloseTo(Math.fround(ref.intercept + ref.coef[0]! * mean0), 4);
  });

  it('falls back to the minimum-norm solution when the system is singular', async () => {
    const base = makeData(120, 3, 4);
    // Column 3 duplicates column 0: X'X is singular for OLS.
    const features = new Float32Array(120 * 4);
    for (let r = 0; r < 120; r++) {
      for (let j = 0; j < 3; j++) features[r * 4 + j] = base.features[r * 3 + j]!;
      features[r * 4 + 3] = base.features[r * 3]!;
    }
    const model = new LinearModel({ estimator: 'ols' });
    const info = await model.fit({ features, labels: base.labels, rows: 120, cols: 4 });
    expect(info['solver']).toBe('eigen');
    const ref = naiveRidge(base, 0, true);
    const { coef, intercept } = model.coefficients;
    expect(coef[0]).toBeCloseTo(ref.coef[0]! / 2, 6);
    expect(coef[3]).toBeCloseTo(ref.coef[0]! / 2, 6);
    expect(coef[1]).toBeCloseTo(ref.coef[1]!, 6);
    expect(intercept).toBeCloseTo(ref.intercept, 5);
  });

  it('round-trips through JSON with identical predictions', async () => {
    const ds = makeData(200, 5, 5, { nanRate: 0.05 });
    const valid = makeData(50, 5, 6, { nanRate: 0.05 });
    const model = createModel('Linear', { alpha: 1 });
    const info = await model.fit(ds, valid);
    expect(info.validLoss).toHaveLength(1);
    const text = JSON.stringify(model.toJSON());
    const restored = restoreModel(JSON.parse(text));
    expect(restored.className).toBe('Linear');
    expect(Array.from(restored.predict(valid))).toEqual(Array.from(model.predict(valid)));
  });

  it('include_valid fits on train and valid together', async () => {
    const a = makeData(100, 3, 7);
    const b = makeData(80, 3, 8);
    const both: MatrixDataset = {
      features: Float32Array.from([...a.features, ...b.features]),
      labels: Float32Array.from([...a.labels, ...b.labels]),
      rows: 180,
      cols: 3,
    };
    const model = new LinearModel({ alpha: 0.1, include_valid: true });
    await model.fit(a, b);
    expectClose(model.coefficients.coef, naiveRidge(both, 0.1, true).coef, 1e-9);
  });

  it('rejects bad parameters (the kernel, once) and bad inputs (QONLINE_MODEL_INPUT)', async () => {
    expect(() => createModel('Linear', { alhpa: 1 })).toThrow(/at \/kwargs\/alhpa: Linear: unknown property "alhpa" \(did you mean "alpha"/);
    expect(() => createModel('Linear', { alpha: -1 })).toThrow(/at \/kwargs\/alpha: Linear: must be >= 0/);
    expect(() => createModel('Linear', { estimator: 'lasso' })).toThrow(/estimator: Linear: expected one of "ridge", "ols"/);
    expect(() => createModel('Linear', { estimator: 'ols', alpha: 1 })).toThrow(expect.objectContaining({ code: 'QONLINE_MODEL_INPUT', message: expect.stringMatching(/ols/) }));
    expect(() => createModel('Linaer', {})).toThrow(expect.objectContaining({ code: 'QONLINE_UNKNOWN_CLASS', message: expect.stringMatching(/did you mean "Linear"/) }));
    const m = createModel('Linear', {});
    expect(() => m.predict({ features: new Float32Array(2), rows: 1, cols: 2 })).toThrow(/not fitted/);
    const bad = (ds: Partial<MatrixDataset>) => m.fit({ features: new Float32Array(6), labels: new Float32Array(3), rows: 3, cols: 2, ...ds } as MatrixDataset);
    await expect(bad({ rows: 4 })).rejects.toMatchObject({ code: 'QONLINE_MODEL_INPUT', message: expect.stringMatching(/6 values but rows x cols = 4 x 2 = 8/) });
    await expect(bad({ labels: new Float32Array([1, NaN, 2]) })).rejects.toThrow(/label at row 1 is NaN/);
    await expect(bad({ labels: new Float32Array([1, Infinity, 2]) })).rejects.toThrow(/label at row 1 is Infinity/);
    await expect(bad({ labels: new Float32Array(2) })).rejects.toThrow(/labels has 2 values but rows = 3/);
    await expect(bad({ features: new Float32Array(0), labels: new Float32Array(0), rows: 0 })).rejects.toThrow(/zero rows/);
    await expect(bad({ weights: new Float32Array([1, -1, 1]) })).rejects.toThrow(/weight at row 1 is -1/);
    await m.fit({ features: new Float32Array([1, 2, 3, 4, 5, 7]), labels: new Float32Array([1, 2, 3]), rows: 3, cols: 2 });
    expect(() => m.predict({ features: new Float32Array(3), rows: 1, cols: 3 })).toThrow(/fitted on 2 columns, found 3/);
    expect(() => restoreModel({ format: 'other' } as never)).toThrow(/qonline-model/);
  });
});
