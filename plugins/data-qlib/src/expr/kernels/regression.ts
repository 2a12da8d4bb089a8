import { checkSegments, f32Series, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type RegressionStat = 'slope' | 'rsquare' | 'resi';

/** Qlib blanks Rsquare (and Corr) where the rolling std is np.isclose to 0 with atol 2e-5. */
export const NEAR_CONSTANT_STD = 2e-5;

const BASE = 0;
const K = 1;
const CNT = 2;
const SX = 3;
const SXX = 4;
const SY = 5;
const SYY = 6;
const SXY = 7;

/** OLS sums over the non-NaN rows start..t with x = row - t and y shifted by their mean, into `st`. */
function rebuildSums(y: Series, start: number, t: number, st: Float64Array): void {
  let total = 0;
  let c = 0;
  for (let j = start; j <= t; j++) {
    if (y[j] === y[j]) {
      total += y[j]!;
      c++;
    }
  }
  const k = c > 0 ? total / c : 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = start; j <= t; j++) {
    const v = y[j]!;
    if (v !== v) continue;
    const px = j - t;
    const d = v - k;
    sx += px;
    sxx += px * px;
    sy += d;
    syy += d * d;
    sxy += px * d;
  }
  st[BASE] = t;
  st[K] = k;
  st[CNT] = c;
  st[SX] = sx;
  st[SXX] = sxx;
  st[SY] = sy;
  st[SYY] = syy;
  st[SXY] = sxy;
}

/**
 * Rolling OLS of the values against their row position (x = 1..N, newest at
 * N; the fit is the same for any shift of x, so positions are kept relative
 * to a moving base). NaN rows are skipped but keep their position. O(n) with
 * float64 running sums, rebuilt as described in window.ts.
 *
 * - slope: NaN with fewer than 2 values.
 * - rsquare: r^2 of the fit; NaN when the window's sample std <= 2e-5.
 * - resi: current value minus the fitted value at its position; NaN when the
 *   current value is NaN or there are fewer than 2 values.
 */
export function rollingRegression(y: Series, N: number, stat: RegressionStat, mask = true, alloc: Alloc = f32Series): Series {
  const out = alloc(y.length);
  rollingRegressionInto(y, N, { [stat]: out }, mask);
  return out;
}

/** Where rollingRegressionInto writes each statistic (any subset; each array has y.length values). */
export type RegressionOutputs = Partial<Record<RegressionStat, Series>>;

/**
 * rollingRegression for several statistics of one series and window in one
 * pass (Alpha158 asks for Slope, Rsquare and Resi of $close at each window):
 * the same sums, so each output is what its own call would give. `seg`:
 * segments computed apart (window.ts).
 */
export function rollingRegressionInto(y: Series, N: number, outs: RegressionOutputs, mask = true, seg = y.length): void {
  const n = y.length;
  checkSegments(n, seg);
  const slopeOut = outs.slope ?? null;
  const rsquareOut = outs.rsquare ?? null;
  const resiOut = outs.resi ?? null;
  const rows = rowsOf(N, seg);
  const st = new Float64Array(8);
  for (let lo = 0; lo < n; lo += seg) regressionRange(y, lo, lo + seg, rows, mask, slopeOut, rsquareOut, resiOut, st);
}

/** rollingRegressionInto over rows [lo, hi) as a series of its own (`st`: rebuild scratch). */
function regressionRange(
  y: Series,
  lo: number,
  hi: number,
  rows: number,
  mask: boolean,
  slopeOut: Series | null,
  rsquareOut: Series | null,
  resiOut: Series | null,
  st: Float64Array,
): void {
  let base = lo; // row at x = 0
  let k = 0; // shift of y
  let cnt = 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let syy = 0;
  let sxy = 0;
  let ops = 0;
  let mass = 0; // sum of (y - k)^2 added and removed since the last rebuild

  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const u = y[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          sx = sxx = sy = syy = sxy = mass = ops = 0;
        } else {
          const px = t - rows - base;
          const d = u - k;
          sx -= px;
          sxx -= px * px;
          sy -= d;
          syy -= d * d;
          sxy -= px * d;
          mass += d * d;
          ops++;
        }
      }
    }
    const v = y[t]!;
    if (v === v) {
      if (cnt === 0) {
        k = v;
        base = t;
      }
      cnt++;
      const px = t - base;
      const d = v - k;
      sx += px;
      sxx += px * px;
      sy += d;
      syy += d * d;
      sxy += px * d;
      mass += d * d;
      ops++;
    }
    if (cnt < 2) {
      if (slopeOut) slopeOut[t] = NaN;
      if (rsquareOut) rsquareOut[t] = NaN;
      if (resiOut) resiOut[t] = NaN;
      continue;
    }
    if (t - base > rows) {
      // Move x = 0 to the current row (exact on the integer sums) so positions stay within 2 windows.
      const shift = t - base;
      sxy -= shift * sy;
      sxx += shift * (shift * cnt - 2 * sx);
      sx -= shift * cnt;
      base = t;
    }
    if (ops * mass > REBUILD_RATIO * (syy - (sy * sy) / cnt)) {
      rebuildSums(y, windowStart(t, rows, lo), t, st);
      base = st[BASE]!;
      k = st[K]!;
      cnt = st[CNT]!;
      sx = st[SX]!;
      sxx = st[SXX]!;
      sy = st[SY]!;
      syy = st[SYY]!;
      sxy = st[SXY]!;
      mass = syy;
      ops = cnt;
    }

    const sxxc = sxx - (sx * sx) / cnt;
    const sxyc = sxy - (sx * sy) / cnt;
    const slope = sxyc / sxxc;
    if (slopeOut) slopeOut[t] = slope;
    if (rsquareOut) {
      const syyc = syy - (sy * sy) / cnt;
      const std = Math.sqrt(Math.max(syyc, 0) / (cnt - 1));
      rsquareOut[t] = mask && std <= NEAR_CONSTANT_STD ? NaN : (sxyc * sxyc) / (sxxc * syyc);
    }
    if (resiOut) resiOut[t] = v !== v ? NaN : v - k - sy / cnt - slope * (t - base - sx / cnt);
  }
}
