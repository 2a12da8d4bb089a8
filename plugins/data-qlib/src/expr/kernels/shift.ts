import type { Series } from './window.js';
/**
 * Ref(x, N): the value N rows earlier (N < 0: |N| rows later), NaN where that
 * row does not exist. Ref(x, 0) is x (Qlib repeats the first loaded value).
 */
export function shiftRows(x: Series, N: number): Series {
  const n = x.length;
  // Same dtype as the input (pandas' shift keeps it).
  const out = new (x.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(n).fill(NaN);
  for (let t = Math.max(0, N); t < n && t - N < n; t++) out[t] = x[t - N]!;
  return out;
}

/**
 * Delta(x, N) = x - Ref(x, N), in float32. Delta(x, 0) subtracts the first
 * non-NaN value of the series (Qlib subtracts the first loaded value even
 * when it is NaN, which turns the whole result into NaN).
 */
export function deltaRows(x: Series, N: number): Series {
  const n = x.length;
  const out = new (x.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(n);
  if (N === 0) {
    let first = NaN;
    for (let t = 0; t < n && first !== first; t++) first = x[t]!;
    for (let t = 0; t < n; t++) out[t] = x[t]! - first;
    return out;
  }
  for (let t = 0; t < n; t++) {
    const s = t - N;
    out[t] = s >= 0 && s < n ? x[t]! - x[s]! : NaN;
  }
  return out;
}
