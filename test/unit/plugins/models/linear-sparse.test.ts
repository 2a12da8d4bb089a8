import { describe, expect, it } from 'vitest';
import type { MatrixDataset } from '../../../../core/index.js';
import { LinearModel } from '../../../../plugins/models/src/linear/linear-model.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Rows with some informative columns, some negative effects, noise. */
function data(rows: number, cols: number, seed: number, weights = false): MatrixDataset {
  const r = rng(seed);
  const truth = Array.from({ length: cols }, (_, j) => (j % 3 === 0 ? 1.5 : j % 3 === 1 ? -0.8 : 0.05 * j));
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let y = 0.7;
    for (let j = 0; j < cols; j++) {
      const v = Math.fround(r() * 2 - 0.5 + j * 0.1);
      features[i * cols + j] = v;
      y += truth[j]! * v;
    }
    labels[i] = y + (r() - 0.5) * 0.6;
  }
  const w = weights ? Float32Array.from({ length: rows }, () => 0.5 + r()) : undefined;
  return { features, labels, rows, cols, ...(w ? { weights: w } : {}) };
}

/** Weighted loss (1/(2W)) sum w r² + alpha |b|_1 evaluated straight from the rows. */
function objective(ds: MatrixDataset, coef: number[], intercept: number, l1: number): number {
  let loss = 0;
  let W = 0;
  for (let i = 0; i < ds.rows; i++) {
    let p = intercept;
    for (let j = 0; j < ds.cols; j++) p += coef[j]! * ds.features[i * ds.cols + j]!;
    const w = ds.weights ? ds.weights[i]! : 1;
    loss += w * (ds.labels[i]! - p) ** 2;
    W += w;
  }
  return loss / (2 * W) + l1 * coef.reduce((a, b) => a + Math.abs(b), 0);
}

/** Independent lasso: proximal gradient (ISTA) on the rows, intercept unpenalised, many small steps. */
function ista(ds: MatrixDataset, alpha: number, fitIntercept: boolean): { coef: number[]; intercept: number } {
  const { rows, cols, features: X, labels: y } = ds;
  const coef = new Array<number>(cols).fill(0);
  let intercept = 0;
  let W = 0;
  for (let i = 0; i < rows; i++) W += ds.weights ? ds.weights[i]! : 1;
  const step = 0.05;
  for (let it = 0; it < 20000; it++) {
    const g = new Array<number>(cols).fill(0);
    let g0 = 0;
    for (let i = 0; i < rows; i++) {
      let p = intercept;
      for (let j = 0; j < cols; j++) p += coef[j]! * X[i * cols + j]!;
      const w = ds.weights ? ds.weights[i]! : 1;
      const e = (w * (p - y[i]!)) / W;
      for (let j = 0; j < cols; j++) g[j] += e * X[i * cols + j]!;
      g0 += e;
    }
    for (let j = 0; j < cols; j++) {
      const z = coef[j]! - step * g[j]!;
      coef[j] = Math.sign(z) * Math.max(Math.abs(z) - step * alpha, 0);
    }
    if (fitIntercept) intercept -= step * g0;
  }
  return { coef, intercept };
}

/** Independent NNLS: every subset of free coefficients solved by Gaussian elimination; the feasible one with the least loss. */
function bruteNnls(ds: MatrixDataset, fitIntercept: boolean): { coef: number[]; intercept: number } {
  const { rows, cols } = ds;
  const q = cols + (fitIntercept ? 1 : 0);
  const col = (i: number, j: number): number => (j < cols ? ds.features[i * cols + j]! : 1);
  let best = { loss: Infinity, x: new Array<number>(q).fill(0) };
  for (let mask = 0; mask < 1 << q; mask++) {
    const set = [...Array(q).keys()].filter((j) => mask & (1 << j));
    const m = set.length;
    const M = set.map((j) => [...set.map((k) => { let s = 0; for (let i = 0; i < rows; i++) s += col(i, j) * col(i, k); return s; }), (() => { let s = 0; for (let i = 0; i < rows; i++) s += col(i, j) * ds.labels[i]!; return s; })()]);
    for (let c = 0; c < m; c++) {
      let piv = c;
      for (let r = c + 1; r < m; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
      [M[c], M[piv]] = [M[piv]!, M[c]!];
      for (let r = 0; r < m; r++) {
        if (r === c) continue;
        const f = M[r]![c]! / M[c]![c]!;
        for (let k = c; k <= m; k++) M[r]![k] -= f * M[c]![k]!;
      }
    }
    const x = new Array<number>(q).fill(0);
    set.forEach((j, a) => (x[j] = M[a]![m]! / M[a]![a]!));
    if (x.some((v) => v < -1e-12)) continue;
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      let p = 0;
      for (let j = 0; j < q; j++) p += x[j]! * col(i, j);
      loss += (ds.labels[i]! - p) ** 2;
    }
    if (loss < best.loss - 1e-12) best = { loss, x };
  }
  return { coef: best.x.slice(0, cols), intercept: fitIntercept ? best.x[cols]! : 0 };
}

describe('LinearModel estimators lasso and nnls (Qlib LinearModel)', () => {
  for (const [alpha, weights, fitIntercept] of [[0.05, false, true], [0.2, true, true], [0.01, false, false]] as const) {
    it(`lasso alpha ${alpha}${weights ? ', weighted' : ''}${fitIntercept ? '' : ', no intercept'} matches proximal gradient`, async () => {
      const ds = data(150, 5, 11 + alpha * 100, weights);
      const m = new LinearModel({ estimator: 'lasso', alpha, fit_intercept: fitIntercept });
      const info = await m.fit(ds);
      expect(info.solver).toBe('coordinate-descent');
      const { coef, intercept } = m.coefficients;
      const ref = ista(ds, alpha, fitIntercept);
      coef.forEach((c, j) => expect(c).toBeCloseTo(ref.coef[j]!, 4));
      expect(intercept).toBeCloseTo(ref.intercept, 4);
      expect(objective(ds, Array.from(coef), intercept, alpha)).toBeLessThanOrEqual(objective(ds, ref.coef, ref.intercept, alpha) + 1e-9);
      if (alpha === 0.2) expect(Array.from(coef).some((c) => c === 0)).toBe(true);
    });
  }

  for (const fitIntercept of [true, false]) {
    it(`nnls${fitIntercept ? ' with a non-negative intercept' : ''} matches the best feasible subset`, async () => {
      const ds = data(120, 5, 5);
      const m = new LinearModel({ estimator: 'nnls', fit_intercept: fitIntercept });
      expect((await m.fit(ds)).solver).toBe('nnls');
      const { coef, intercept } = m.coefficients;
      const ref = bruteNnls(ds, fitIntercept);
      coef.forEach((c, j) => expect(c).toBeCloseTo(ref.coef[j]!, 5));
      expect(intercept).toBeCloseTo(ref.intercept, 5);
      expect(Array.from(coef).every((c) => c >= 0)).toBe(true);
      expect(Array.from(coef).filter((c) => c === 0).length).toBeGreaterThan(0);
    });
  }

  it('refuses a penalty with nnls or ols', () => {
    expect(() => new LinearModel({ estimator: 'nnls', alpha: 1 })).toThrow(/estimator "nnls" takes no penalty/);
  });
});
