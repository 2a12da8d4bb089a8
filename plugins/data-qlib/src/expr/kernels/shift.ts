import { newSeries } from './series-pool.js';
import { checkSegments, type Series } from './window.js';
/**
 * Ref(x, N): the value N rows earlier (N < 0: |N| rows later), NaN where that
 * row does not exist. Ref(x, 0) is x (Qlib repeats the first loaded value).
 * `seg`: segments of that many rows, each shifted on its own (window.ts).
 */
export function shiftRows(x: Series, N: number, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  // Same dtype as the input (pandas' shift keeps it).
  const out = x instanceof Float32Array ? newSeries(n) : new Float64Array(n);
  const k = Math.abs(N);
  if (k >= seg) return out.fill(NaN);
  // One native copy of all rows shifted by N (as fast in a fresh process as later: a JS loop ran
  // unoptimised through most of a daily routine), then NaN over the |N| rows at each segment's start
  // (N > 0) or end (N < 0), which read no row of their own segment.
  if (N >= 0) out.set(x.subarray(0, n - N), N);
  else out.set(x.subarray(k), 0);
  for (let lo = 0; lo < n; lo += seg) {
    const from = N >= 0 ? lo : lo + seg - k;
    for (let t = from; t < from + k; t++) out[t] = NaN;
  }
  return out;
}

/**
 * Delta(x, N) = x - Ref(x, N), in float32. Delta(x, 0) subtracts the first
 * non-NaN value of the series (Qlib subtracts the first loaded value even
 * when it is NaN, which turns the whole result into NaN). `seg` as shiftRows.
 */
export function deltaRows(x: Series, N: number, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  const out = x instanceof Float32Array ? newSeries(n) : new Float64Array(n);
  for (let lo = 0; lo < n; lo += seg) {
    const hi = lo + seg;
    if (N === 0) {
      let first = NaN;
      for (let t = lo; t < hi && first !== first; t++) first = x[t]!;
      for (let t = lo; t < hi; t++) out[t] = x[t]! - first;
      continue;
    }
    for (let t = lo; t < hi; t++) {
      const s = t - N;
      out[t] = s >= lo && s < hi ? x[t]! - x[s]! : NaN;
    }
  }
  return out;
}
