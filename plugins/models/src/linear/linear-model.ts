import type { FitInfo, FitOptions, MatrixDataset, MatrixInput, Model, SerializedModel } from '../../../../core/index.js';
import { checkMatrixDataset, checkMatrixInput } from '../matrix-checks.js';
import { checkModelFile, modelInputError } from '../model-error.js';
import { foldParams } from '../params.js';
import { meanSquaredError } from '../regression-metrics.js';
import { LINEAR_PARAMS } from './linear-params.js';
import { LinearKernel } from './linear-kernel.js';
import { solveSymmetric } from './solve-symmetric.js';
import { lassoGram, nnlsGram } from './sparse-solvers.js';

export const LINEAR_CLASS = 'Linear';
export const LINEAR_FORMAT_VERSION = 1;

export interface LinearState {
  cols: number;
  coef: number[];
  intercept: number;
  /** Replaces a missing (NaN or infinite) feature: the mean of that column's finite training values. */
  fill: number[];
  solver: 'cholesky' | 'eigen' | 'coordinate-descent' | 'nnls';
  featureNames?: string[];
}

/**
 * Ridge regression by its closed form: Float64 normal equations of the centred
 * (and weighted) data, solved by Cholesky with an eigen fallback when singular.
 */
export class LinearModel implements Model {
  readonly className = LINEAR_CLASS;
  private readonly alpha: number;
  private readonly fitIntercept: boolean;
  private readonly includeValid: boolean;
  private readonly estimator: 'ridge' | 'ols' | 'lasso' | 'nnls';
  /** false: the scalar normal-equation loops even where WebAssembly SIMD runs (tests compare the two). */
  private readonly useKernel: boolean;
  private state: LinearState | null = null;

  /** `kwargs`: options validated by the kernel against the schema of LINEAR_PARAMS. */
  constructor(
    private readonly kwargs: Readonly<Record<string, unknown>> = {},
    options: { simd?: boolean } = {},
  ) {
    this.useKernel = options.simd ?? true;
    const p = foldParams(LINEAR_PARAMS, kwargs, LINEAR_CLASS);
    this.alpha = p.alpha;
    this.fitIntercept = p.fit_intercept;
    this.includeValid = p.include_valid;
    this.estimator = p.estimator as 'ridge' | 'ols' | 'lasso' | 'nnls';
    if ((p.estimator === 'ols' || p.estimator === 'nnls') && this.alpha !== 0) {
      throw modelInputError(`${LINEAR_CLASS}: estimator "${p.estimator}" takes no penalty, found alpha = ${this.alpha} (use estimator "ridge" or "lasso")`);
    }
  }

  static fromJSON(serialized: SerializedModel): LinearModel {
    checkModelFile(serialized, LINEAR_CLASS, LINEAR_FORMAT_VERSION);
    const model = new LinearModel(serialized.kwargs ?? {});
    const s = serialized.state as LinearState | null;
    if (s !== null) {
      if (!Array.isArray(s.coef) || s.coef.length !== s.cols || !Array.isArray(s.fill) || s.fill.length !== s.cols || typeof s.intercept !== 'number') {
        throw modelInputError(`${LINEAR_CLASS} model file: state is malformed (coef/fill must have cols = ${s?.cols} numbers)`);
      }
      model.state = { ...s, coef: [...s.coef], fill: [...s.fill] };
    }
    return model;
  }

  get fitted(): boolean {
    return this.state !== null;
  }

  /** Coefficients and intercept of the fitted model. */
  get coefficients(): { coef: Float64Array; intercept: number } {
    const s = this.requireState();
    return { coef: Float64Array.from(s.coef), intercept: s.intercept };
  }

  async fit(train: MatrixDataset, valid?: MatrixDataset, options: FitOptions = {}): Promise<FitInfo> {
    checkMatrixDataset(train, `${LINEAR_CLASS}.fit train`);
    if (valid) checkMatrixDataset(valid, `${LINEAR_CLASS}.fit valid`, train.cols);
    options.signal?.throwIfAborted();
    const data = this.includeValid && valid ? concatRows(train, valid) : train;
    this.state = this.solve(data, options.featureNames);
    const trainLoss = meanSquaredError(this.predict(train), train.labels, train.weights);
    const validLoss = valid ? meanSquaredError(this.predict(valid), valid.labels, valid.weights) : undefined;
    options.onIteration?.(0, trainLoss, validLoss);
    return { rounds: 1, bestRound: 1, trainLoss: [trainLoss], validLoss: validLoss === undefined ? [] : [validLoss], solver: this.state.solver };
  }

  predict(input: MatrixInput): Float32Array {
    const s = this.requireState();
    checkMatrixInput(input, `${LINEAR_CLASS}.predict`, s.cols);
    const { features, rows, cols } = input;
    const coef = Float64Array.from(s.coef);
    const fill = Float64Array.from(s.fill);
    const out = new Float32Array(rows);
    const c = s.intercept;
    let r = 0;
    // Four rows at a time, four independent sums (each in column order) that overlap in the CPU,
    // taking the values as they are: a row with a missing value ends non-finite and is redone with
    // the fills (a row that overflows is redone too, to the same result).
    for (; r + 4 <= rows; r += 4) {
      let a0 = c;
      let a1 = c;
      let a2 = c;
      let a3 = c;
      const b0 = r * cols;
      const b1 = b0 + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      for (let j = 0; j < cols; j++) {
        const k = coef[j]!;
        a0 += k * features[b0 + j]!;
        a1 += k * features[b1 + j]!;
        a2 += k * features[b2 + j]!;
        a3 += k * features[b3 + j]!;
      }
      out[r] = a0 - a0 === 0 ? a0 : filledRow(features, b0, cols, c, coef, fill);
      out[r + 1] = a1 - a1 === 0 ? a1 : filledRow(features, b1, cols, c, coef, fill);
      out[r + 2] = a2 - a2 === 0 ? a2 : filledRow(features, b2, cols, c, coef, fill);
      out[r + 3] = a3 - a3 === 0 ? a3 : filledRow(features, b3, cols, c, coef, fill);
    }
    for (; r < rows; r++) out[r] = filledRow(features, r * cols, cols, c, coef, fill);
    return out;
  }

  toJSON(): SerializedModel {
    return { format: 'qonline-model', version: LINEAR_FORMAT_VERSION, class: LINEAR_CLASS, kwargs: { ...this.kwargs }, state: this.state };
  }

  private requireState(): LinearState {
    if (!this.state) throw modelInputError(`${LINEAR_CLASS}: the model is not fitted yet (call fit() or restore a fitted model)`);
    return this.state;
  }

  private nnlsState(A: Float64Array, b: Float64Array, p: number, centre: Float64Array, yCentre: number, W: number, fill: Float64Array, featureNames?: string[]): LinearState {
    let coef: Float64Array;
    let intercept = 0;
    if (this.fitIntercept) {
      const g = uncentred(A, b, p, centre, yCentre, W);
      const x = nnlsGram(g.A, g.b, p + 1);
      coef = x.subarray(0, p);
      intercept = x[p]!;
    } else {
      coef = nnlsGram(A, b, p);
    }
    return { cols: p, coef: Array.from(coef), intercept, fill: Array.from(fill), solver: 'nnls', ...(featureNames ? { featureNames: [...featureNames] } : {}) };
  }

  private solve(ds: MatrixDataset, featureNames?: string[]): LinearState {
    const { features: X, labels: y, weights: w, rows: n, cols: p } = ds;
    // Pass 1: fill values (finite means) and the weighted centres of the filled columns.
    const kernel = this.useKernel ? LinearKernel.create(p) : null;
    const { sum, count } = kernel ? kernel.finiteSums(X, n) : finiteSums(X, n, p);
    const fill = new Float64Array(p);
    for (let j = 0; j < p; j++) fill[j] = count[j]! > 0 ? sum[j]! / count[j]! : 0;
    const centre = new Float64Array(p);
    let yCentre = 0;
    let weightSum = n;
    if (w) {
      weightSum = 0;
      for (let r = 0; r < n; r++) weightSum += w[r]!;
    }
    if (this.fitIntercept) {
      let wsum = 0;
      let ysum = 0;
      const wx = new Float64Array(p);
      for (let r = 0; r < n; r++) {
        const wr = w ? w[r]! : 1;
        wsum += wr;
        ysum += wr * y[r]!;
        if (!w) continue;
        const base = r * p;
        for (let j = 0; j < p; j++) {
          const v = X[base + j]!;
          wx[j] += wr * (v - v === 0 ? v : fill[j]!);
        }
      }
      yCentre = ysum / wsum;
      for (let j = 0; j < p; j++) centre[j] = w ? wx[j]! / wsum : fill[j]!;
    }
    // Pass 2: X'WX and X'Wy of the filled, centred rows (times sqrt(w)).
    const { A, b } = normalEquations(ds, fill, centre, yCentre, kernel);
    if (this.estimator === 'nnls') return this.nnlsState(A, b, p, centre, yCentre, weightSum, fill, featureNames);
    let coef: Float64Array;
    let method: LinearState['solver'];
    if (this.estimator === 'lasso') {
      coef = lassoGram(A, b, p, this.alpha * weightSum);
      method = 'coordinate-descent';
    } else {
      for (let j = 0; j < p; j++) A[j * p + j] += this.alpha;
      ({ x: coef, method } = solveSymmetric(A, b, p));
    }
    let intercept = 0;
    if (this.fitIntercept) {
      intercept = yCentre;
      for (let j = 0; j < p; j++) intercept -= coef[j]! * centre[j]!;
    }
    return {
      cols: p,
      coef: Array.from(coef),
      intercept,
      fill: Array.from(fill),
      solver: method,
      ...(featureNames ? { featureNames: [...featureNames] } : {}),
    };
  }
}

/** c + sum_j coef[j] * (x_j finite ? x_j : fill[j]) for the row at `base`, in column order. */
function filledRow(features: Float32Array, base: number, cols: number, c: number, coef: Float64Array, fill: Float64Array): number {
  let acc = c;
  for (let j = 0; j < cols; j++) {
    const v = features[base + j]!;
    acc += coef[j]! * (v - v === 0 ? v : fill[j]!);
  }
  return acc;
}

/** Per column, the sum and count of the finite values (row order). */
function finiteSums(X: Float32Array, n: number, p: number): { sum: Float64Array; count: Float64Array } {
  const sum = new Float64Array(p);
  const count = new Float64Array(p);
  for (let r = 0; r < n; r++) {
    const base = r * p;
    for (let j = 0; j < p; j++) {
      const v = X[base + j]!;
      if (v - v === 0) {
        sum[j] += v;
        count[j]++;
      }
    }
  }
  return { sum, count };
}

/**
 * Qlib's nnls: the intercept is one more non-negative coefficient (a column
 * of ones), so the Gram matrix of the uncentred data [X, 1] is rebuilt from
 * the centred one: X'WX = A + W·m·m', X'W1 = W·m, X'Wy = b + W·m·ȳ, 1'Wy = W·ȳ.
 */
function uncentred(A: Float64Array, b: Float64Array, p: number, m: Float64Array, ym: number, W: number): { A: Float64Array; b: Float64Array } {
  const q = p + 1;
  const G = new Float64Array(q * q);
  const c = new Float64Array(q);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < p; k++) G[j * q + k] = A[j * p + k]! + W * m[j]! * m[k]!;
    G[j * q + p] = G[p * q + j] = W * m[j]!;
    c[j] = b[j]! + W * m[j]! * ym;
  }
  G[p * q + p] = W;
  c[p] = W * ym;
  return { A: G, b: c };
}

/**
 * X'WX (p x p, full) and X'Wy of the rows ((x finite ? x : fill) - centre) *
 * sqrt(w) and labels (y - yCentre) * sqrt(w): by the WebAssembly SIMD
 * kernel (the labels ride along as one more column of its Gram matrix), or,
 * without one (kernel null), by blocked scalar loops doing the same sums.
 */
export function normalEquations(ds: MatrixDataset, fill: Float64Array, centre: Float64Array, yCentre: number, kernel: LinearKernel | null = LinearKernel.create(ds.cols)): { A: Float64Array; b: Float64Array } {
  const { features: X, labels: y, weights: w, rows: n, cols: p } = ds;
  if (kernel) return kernel.gram(X, y, w, n, fill, centre, yCentre);
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  // Row blocks laid out column-major, so each (j, k) product is a contiguous dot product.
  const BLOCK = 128;
  const buf = new Float64Array(p * BLOCK);
  const yb = new Float64Array(BLOCK);
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const m = Math.min(BLOCK, n - r0);
    for (let i = 0; i < m; i++) {
      const r = r0 + i;
      const sw = w ? Math.sqrt(w[r]!) : 1;
      const base = r * p;
      for (let j = 0; j < p; j++) {
        const v = X[base + j]!;
        buf[j * BLOCK + i] = ((v - v === 0 ? v : fill[j]!) - centre[j]!) * sw;
      }
      yb[i] = (y[r]! - yCentre) * sw;
    }
    accumulateBlock(buf, yb, m, p, BLOCK, A, b);
  }
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < j; k++) A[j * p + k] = A[k * p + j]!;
  }
  return { A, b };
}

/**
 * Upper triangle of A += B'B and b += B'y for one block (B column-major,
 * `stride` apart). Two rows of A by four columns at a time: six loads feed
 * eight multiply-adds. Entries left of the diagonal may be written too; the
 * caller mirrors the upper triangle over them.
 */
function accumulateBlock(buf: Float64Array, yb: Float64Array, m: number, p: number, stride: number, A: Float64Array, b: Float64Array): void {
  for (let j = 0; j < p; j++) {
    const bj = j * stride;
    let sy = 0;
    for (let i = 0; i < m; i++) sy += buf[bj + i]! * yb[i]!;
    b[j] += sy;
  }
  for (let j = 0; j < p; j += 2) {
    const twoRows = j + 1 < p;
    const a0 = j * stride;
    const a1 = twoRows ? a0 + stride : a0;
    let k = j;
    for (; k + 3 < p; k += 4) {
      const c0 = k * stride;
      const c1 = c0 + stride;
      const c2 = c1 + stride;
      const c3 = c2 + stride;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let i = 0; i < m; i++) {
        const x0 = buf[a0 + i]!;
        const x1 = buf[a1 + i]!;
        const y0 = buf[c0 + i]!;
        const y1 = buf[c1 + i]!;
        const y2 = buf[c2 + i]!;
        const y3 = buf[c3 + i]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const r0 = j * p + k;
      A[r0] += s00;
      A[r0 + 1] += s01;
      A[r0 + 2] += s02;
      A[r0 + 3] += s03;
      if (twoRows) {
        const r1 = r0 + p;
        A[r1] += s10;
        A[r1 + 1] += s11;
        A[r1 + 2] += s12;
        A[r1 + 3] += s13;
      }
    }
    for (; k < p; k++) {
      const c = k * stride;
      let s0 = 0;
      let s1 = 0;
      for (let i = 0; i < m; i++) {
        const y = buf[c + i]!;
        s0 += buf[a0 + i]! * y;
        s1 += buf[a1 + i]! * y;
      }
      A[j * p + k] += s0;
      if (twoRows) A[(j + 1) * p + k] += s1;
    }
  }
}

function concatRows(a: MatrixDataset, b: MatrixDataset): MatrixDataset {
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const labels = new Float32Array(a.rows + b.rows);
  labels.set(a.labels);
  labels.set(b.labels, a.rows);
  let weights: Float32Array | undefined;
  if (a.weights || b.weights) {
    weights = new Float32Array(a.rows + b.rows).fill(1);
    if (a.weights) weights.set(a.weights);
    if (b.weights) weights.set(b.weights, a.rows);
  }
  return { features, labels, rows: a.rows + b.rows, cols: a.cols, ...(weights ? { weights } : {}) };
}
