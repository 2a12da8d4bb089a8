import { checkSegments, f32Series, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

/**
 * Qlib's WMA: over the window's L rows (L < N at the start of the series),
 * weights w = 1..L (newest heaviest) normalised to sum 1, and the result is
 * sum(w_i * x_i over non-NaN x_i) / (count of non-NaN x_i) — numpy's nanmean
 * of w * x. For a full window without NaN that is the usual weighted mean
 * divided by N, as in Qlib. NaN for an all-NaN window. O(n) with running
 * sums rebuilt as in window.ts. `seg`: segments computed apart (window.ts).
 */
export function rollingWma(x: Series, N: number, alloc: Alloc = f32Series, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  const out = alloc(n);
  const rows = rowsOf(N, seg);
  for (let lo = 0; lo < n; lo += seg) wmaRange(x, lo, lo + seg, rows, out);
  return out;
}

/** rollingWma over rows [lo, hi) as a series of its own. */
function wmaRange(x: Series, lo: number, hi: number, rows: number, out: Series): void {
  let base = lo - 1; // the running weight of row j is (j - base)
  let cnt = 0;
  let sum = 0;
  let weighted = 0;
  let ops = 0;
  let mass = 0;
  let absWindow = 0;

  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const j = t - rows;
      const u = x[j]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          sum = weighted = mass = absWindow = ops = 0;
        } else {
          sum -= u;
          weighted -= (j - base) * u;
          mass += Math.abs(u);
          absWindow -= Math.abs(u);
          ops++;
        }
      }
    }
    const v = x[t]!;
    if (v === v) {
      cnt++;
      sum += v;
      weighted += (t - base) * v;
      mass += Math.abs(v);
      absWindow += Math.abs(v);
      ops++;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    const start = windowStart(t, rows, lo);
    if (start - 1 - base > rows) {
      // Keep weights within two windows: moving the base subtracts a multiple of the plain sum.
      weighted -= (start - 1 - base) * sum;
      base = start - 1;
    }
    // Weights reach 2 windows, so errors scale with rows * ops * mass.
    if (ops * mass * (t - base) > REBUILD_RATIO * absWindow) {
      base = start - 1;
      cnt = 0;
      sum = weighted = absWindow = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j]!;
        if (w !== w) continue;
        cnt++;
        sum += w;
        weighted += (j - base) * w;
        absWindow += Math.abs(w);
      }
      mass = absWindow;
      ops = cnt;
    }
    const L = t - start + 1;
    // Weight of row j is (j - start + 1) = (j - base) - (start - 1 - base).
    const relative = weighted - (start - 1 - base) * sum;
    out[t] = relative / (((L * (L + 1)) / 2) * cnt);
  }
}

/**
 * pandas ewm(alpha, adjust=True, ignore_na=False).mean() with min_periods 1:
 * the weight of older observations decays by (1 - alpha) every row, NaN rows
 * included, and a NaN row repeats the previous mean. Leading NaNs stay NaN.
 * `seg`: segments computed apart (window.ts).
 */
export function ewmMean(x: Series, alpha: number, alloc: Alloc = f32Series, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  const out = alloc(n);
  const decay = 1 - alpha;
  for (let lo = 0; lo < n; lo += seg) ewmRange(x, lo, lo + seg, decay, out);
  return out;
}

/** ewmMean over rows [lo, hi) as a series of its own. */
function ewmRange(x: Series, lo: number, hi: number, decay: number, out: Series): void {
  let mean = NaN;
  let oldWeight = 1;
  for (let t = lo; t < hi; t++) {
    const v = x[t]!;
    if (mean === mean) {
      oldWeight *= decay;
      if (v === v) {
        if (mean !== v) mean = (oldWeight * mean + v) / (oldWeight + 1);
        oldWeight += 1;
      }
    } else if (v === v) {
      mean = v;
    }
    out[t] = mean;
  }
}

/** EMA's alpha: 2/(N+1) for a span N >= 1, N itself for 0 < N < 1. */
export function emaAlpha(N: number): number {
  return N >= 1 ? 2 / (N + 1) : N;
}
