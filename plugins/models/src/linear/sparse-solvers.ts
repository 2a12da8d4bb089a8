import { solveSymmetric } from './solve-symmetric.js';

/**
 * Lasso by cyclic coordinate descent on the Gram matrix: minimises
 * 1/2 b'Ab - c'b + threshold·|b|_1 (A = X'WX, c = X'Wy of the centred data;
 * with threshold = alpha·sum(w) that is scikit-learn's Lasso objective
 * (1/(2 sum w)) sum w_i r_i² + alpha |b|_1). Stops when a sweep moves no
 * coefficient by more than 1e-12 of the largest, or after 100000 sweeps.
 */
export function lassoGram(A: Float64Array, c: Float64Array, p: number, threshold: number): Float64Array {
  const beta = new Float64Array(p);
  // grad[j] = c_j - (A beta)_j, kept up to date as coefficients move.
  const grad = Float64Array.from(c);
  for (let sweep = 0; sweep < 100000; sweep++) {
    let maxDelta = 0;
    let maxBeta = 0;
    for (let j = 0; j < p; j++) {
      const ajj = A[j * p + j]!;
      if (!(ajj > 0)) continue;
      const old = beta[j]!;
      const rho = grad[j]! + ajj * old;
      const next = rho > threshold ? (rho - threshold) / ajj : rho < -threshold ? (rho + threshold) / ajj : 0;
      const d = next - old;
      if (d !== 0) {
        beta[j] = next;
        for (let k = 0; k < p; k++) grad[k] -= A[k * p + j]! * d;
      }
      maxDelta = Math.max(maxDelta, Math.abs(d));
      maxBeta = Math.max(maxBeta, Math.abs(next));
    }
    if (maxDelta <= 1e-12 * maxBeta || maxBeta === 0) break;
  }
  return beta;
}

/**
 * Non-negative least squares (Lawson–Hanson active set) on the Gram matrix:
 * minimises 1/2 x'Ax - c'x subject to x >= 0, as scipy.optimize.nnls does on
 * the rows.
 */
export function nnlsGram(A: Float64Array, c: Float64Array, p: number): Float64Array {
  let scale = 0;
  for (let j = 0; j < p; j++) scale = Math.max(scale, Math.abs(c[j]!), Math.abs(A[j * p + j]!));
  const tol = 1e-12 * Math.max(scale, 1e-300);
  const x = new Float64Array(p);
  const passive = new Uint8Array(p);
  const solveOn = (set: number[]): Float64Array => {
    const m = set.length;
    const sub = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    set.forEach((j, a) => {
      rhs[a] = c[j]!;
      set.forEach((k, b) => (sub[a * m + b] = A[j * p + k]!));
    });
    return solveSymmetric(sub, rhs, m).x;
  };
  for (let outer = 0; outer < 3 * p + 10; outer++) {
    // Gradient of the objective's negative: w = c - Ax.
    let best = -1;
    let bestW = tol;
    for (let j = 0; j < p; j++) {
      if (passive[j]) continue;
      let w = c[j]!;
      for (let k = 0; k < p; k++) w -= A[j * p + k]! * x[k]!;
      if (w > bestW) {
        bestW = w;
        best = j;
      }
    }
    if (best < 0) break;
    passive[best] = 1;
    for (let inner = 0; inner < 3 * p + 10; inner++) {
      const set = [...passive.keys()].filter((j) => passive[j]);
      const z = solveOn(set);
      if (set.every((_, a) => z[a]! > 0)) {
        x.fill(0);
        set.forEach((j, a) => (x[j] = z[a]!));
        break;
      }
      // Step from x towards z until the first passive coefficient reaches 0.
      let step = Infinity;
      set.forEach((j, a) => {
        if (z[a]! <= 0) step = Math.min(step, x[j]! / (x[j]! - z[a]!));
      });
      set.forEach((j, a) => {
        x[j] = x[j]! + step * (z[a]! - x[j]!);
        if (x[j]! <= tol) {
          x[j] = 0;
          passive[j] = 0;
        }
      });
    }
  }
  return x;
}
