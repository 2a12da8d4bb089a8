/**
 * Solves A x = b for a symmetric positive semi-definite p x p matrix (row-major,
 * Float64). Cholesky first; when A is singular or nearly so (OLS on collinear
 * or constant columns), falls back to the minimum-norm least-squares solution
 * through a Jacobi eigen-decomposition, the answer `lstsq` would give.
 */
export function solveSymmetric(A: Float64Array, b: Float64Array, p: number): { x: Float64Array; method: 'cholesky' | 'eigen' } {
  const x = choleskySolve(A, b, p);
  if (x) return { x, method: 'cholesky' };
  return { x: pseudoInverseSolve(A, b, p), method: 'eigen' };
}

/** Returns null when a pivot is not clearly positive (relative to the largest diagonal). */
function choleskySolve(A: Float64Array, b: Float64Array, p: number): Float64Array | null {
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, Math.abs(A[i * p + i]!));
  if (maxDiag === 0) return p === 0 ? new Float64Array(0) : null;
  const tol = maxDiag * 1e-12;
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      if (i === j) {
        if (!(s > tol)) return null;
        L[i * p + i] = Math.sqrt(s);
      } else {
        L[i * p + j] = s / L[j * p + j]!;
      }
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * y[k]!;
    y[i] = s / L[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
  return x;
}

/** Cyclic Jacobi rotations, then x = V diag(1/lambda) V^T b over eigenvalues above a relative cut-off. */
function pseudoInverseSolve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const M = Float64Array.from(A);
  const V = new Float64Array(p * p);
  for (let i = 0; i < p; i++) V[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        const v = M[i * p + j]! * M[i * p + j]!;
        total += v;
        if (i !== j) off += v;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let i = 0; i < p - 1; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = M[i * p + j]!;
        if (aij === 0) continue;
        const theta = (M[j * p + j]! - M[i * p + i]!) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const mki = M[k * p + i]!;
          const mkj = M[k * p + j]!;
          M[k * p + i] = c * mki - s * mkj;
          M[k * p + j] = s * mki + c * mkj;
        }
        for (let k = 0; k < p; k++) {
          const mik = M[i * p + k]!;
          const mjk = M[j * p + k]!;
          M[i * p + k] = c * mik - s * mjk;
          M[j * p + k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const vki = V[k * p + i]!;
          const vkj = V[k * p + j]!;
          V[k * p + i] = c * vki - s * vkj;
          V[k * p + j] = s * vki + c * vkj;
        }
      }
    }
  }
  let maxEig = 0;
  for (let i = 0; i < p; i++) maxEig = Math.max(maxEig, Math.abs(M[i * p + i]!));
  const cut = maxEig * p * 1e-13;
  const x = new Float64Array(p);
  for (let e = 0; e < p; e++) {
    const lambda = M[e * p + e]!;
    if (!(lambda > cut)) continue;
    let proj = 0;
    for (let k = 0; k < p; k++) proj += V[k * p + e]! * b[k]!;
    const scale = proj / lambda;
    for (let k = 0; k < p; k++) x[k] += scale * V[k * p + e]!;
  }
  return x;
}
