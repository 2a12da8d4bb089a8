/**
 * XGBModel's histogram kernel, shared by the trainer and its worker threads
 * (so this file imports nothing). Row-major uint16 bins, 0xffff = missing;
 * a histogram holds (gradient, hessian) float64 pairs, feature f's bins from
 * offset[f]. Threads split the features, never the rows: every bin is summed
 * by one thread in row order, so the result does not depend on the threads.
 */
export const MISSING_BIN = 0xffff;

export function buildXgbHistogram(
  bins: Uint16Array,
  cols: number,
  order: Int32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  hist: Float64Array,
  slotOffset: number,
  features: Int32Array,
  offset: Int32Array,
  k0: number,
  k1: number,
): void {
  // Identity feature list (no column sampling): no indirection.
  const all = k1 - k0 === cols && k0 === 0;
  for (let i = start; i < end; i++) {
    const r = order[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    // A row sampled out (zero gradient and hessian) adds exactly nothing.
    if (g === 0 && h === 0) continue;
    const base = r * cols;
    if (all) {
      for (let k = 0; k < cols; k++) {
        const b = bins[base + k]!;
        if (b !== MISSING_BIN) {
          const o = slotOffset + offset[k]! + 2 * b;
          hist[o] += g;
          hist[o + 1] += h;
        }
      }
      continue;
    }
    for (let k = k0; k < k1; k++) {
      const f = features[k]!;
      const b = bins[base + f]!;
      if (b !== MISSING_BIN) {
        const o = slotOffset + offset[f]! + 2 * b;
        hist[o] += g;
        hist[o + 1] += h;
      }
    }
  }
}
