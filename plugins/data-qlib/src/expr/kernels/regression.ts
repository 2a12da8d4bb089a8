import { REBUILD_RATIO, rowsOf, windowStart } from './window.js';

export type RegressionStat = 'slope' | 'rsquare' | 'resi';

/** Qlib blanks Rsquare (and Corr) where the rolling std is np.isclose to 0 with atol 2e-5. */
export const NEAR_CONSTANT_STD = 2e-5;

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
export function rollingRegression(y: Float32Array, N: number, stat: RegressionStat): Float32Array {
  const n = y.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N, n);
  let base = 0; // row at x = 0
  let K = 0; // shift of y
  let cnt = 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let syy = 0;
  let sxy = 0;
  let mass = 0; // sum of (y - K)^2 added and removed since the last rebuild
  let sinceRebuild = 0;

  const rebuild = (t: number): void => {
    const start = windowStart(t, rows);
    let total = 0;
    let c = 0;
    for (let j = start; j <= t; j++) {
      if (y[j] === y[j]) {
        total += y[j]!;
        c++;
      }
    }
    base = t;
    K = c > 0 ? total / c : 0;
    cnt = c;
    sx = sxx = sy = syy = sxy = 0;
    for (let j = start; j <= t; j++) {
      const v = y[j]!;
      if (v !== v) continue;
      const px = j - base;
      const d = v - K;
      sx += px;
      sxx += px * px;
      sy += d;
      syy += d * d;
      sxy += px * d;
    }
    mass = syy;
    sinceRebuild = 0;
  };

  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = y[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          sx = sxx = sy = syy = sxy = mass = 0;
        } else {
          const px = t - rows - base;
          const d = u - K;
          sx -= px;
          sxx -= px * px;
          sy -= d;
          syy -= d * d;
          sxy -= px * d;
          mass += d * d;
        }
      }
    }
    const v = y[t]!;
    if (v === v) {
      if (cnt === 0) {
        K = v;
        base = t;
      }
      cnt++;
      const px = t - base;
      const d = v - K;
      sx += px;
      sxx += px * px;
      sy += d;
      syy += d * d;
      sxy += px * d;
      mass += d * d;
    }
    if (cnt < 2) {
      out[t] = NaN;
      continue;
    }
    sinceRebuild++;
    if (sinceRebuild >= rows || mass > REBUILD_RATIO * (syy - (sy * sy) / cnt)) rebuild(t);

    const sxxc = sxx - (sx * sx) / cnt;
    const sxyc = sxy - (sx * sy) / cnt;
    const slope = sxyc / sxxc;
    switch (stat) {
      case 'slope':
        out[t] = slope;
        break;
      case 'rsquare': {
        const syyc = syy - (sy * sy) / cnt;
        const std = Math.sqrt(Math.max(syyc, 0) / (cnt - 1));
        out[t] = std <= NEAR_CONSTANT_STD ? NaN : (sxyc * sxyc) / (sxxc * syyc);
        break;
      }
      case 'resi':
        out[t] = v !== v ? NaN : v - K - sy / cnt - slope * (t - base - sx / cnt);
        break;
    }
  }
  return out;
}
