/**
 * Qlib's Slope, Rsquare and Resi for `expressions: qlib`: the running-sum
 * recurrences of Qlib's Cython `rolling.pyx` (window N) and `expanding.pyx`
 * (N = 0), in float64 in the same order of operations, cast to float32 at the
 * end. Consequences the default (kernels/regression.ts) avoids on purpose:
 *
 * - an infinite value enters the sums (only NaN is skipped), so inf - inf =
 *   NaN stays in them: every row from the first infinity on is NaN, for as
 *   long as the series runs (not only while the infinity is in the window);
 * - rounding in the sums depends on where loading started, so the values are
 *   computed over the rows Qlib loads (qlibStartDependent).
 *
 * x positions: 1..N in the window (newest at N) for the rolling form,
 * 1..rows-so-far for the expanding form; NaN rows keep their position.
 */
import { f32Series, type Alloc, type Series } from './window.js';

export type QlibRegressionStat = 'slope' | 'rsquare' | 'resi';

export function qlibRollingRegression(y: Series, window: number, stat: QlibRegressionStat, alloc: Alloc = f32Series): Series {
  const n = y.length;
  const out = alloc(n);
  // The window starts full of NaN (na_count = window), as Qlib's deque does.
  const ring = new Float64Array(window).fill(NaN);
  let head = 0;
  let naCount = window;
  let iSum = 0;
  let xSum = 0;
  let x2Sum = 0;
  let ySum = 0;
  let y2Sum = 0;
  let xySum = 0;
  const ww = window * window;
  for (let t = 0; t < n; t++) {
    const val = y[t]!;
    // Every value moves one position left: x -> x - 1.
    xySum = xySum - ySum;
    x2Sum = x2Sum + iSum - 2 * xSum;
    xSum = xSum - iSum;
    const front = ring[head]!;
    if (!Number.isNaN(front)) {
      iSum -= 1;
      ySum -= front;
      y2Sum -= front * front;
    } else naCount -= 1;
    ring[head] = val;
    head = head + 1 === window ? 0 : head + 1;
    if (Number.isNaN(val)) naCount += 1;
    else {
      iSum += 1;
      xSum += window;
      x2Sum += ww;
      ySum += val;
      y2Sum += val * val;
      xySum += window * val;
    }
    out[t] = finish(stat, window - naCount, xSum, x2Sum, ySum, y2Sum, xySum, val, window);
  }
  return out;
}

export function qlibExpandingRegression(y: Series, stat: QlibRegressionStat, alloc: Alloc = f32Series): Series {
  const n = y.length;
  const out = alloc(n);
  let naCount = 0;
  let xSum = 0;
  let x2Sum = 0;
  let ySum = 0;
  let y2Sum = 0;
  let xySum = 0;
  for (let t = 0; t < n; t++) {
    const val = y[t]!;
    const size = t + 1;
    if (Number.isNaN(val)) naCount += 1;
    else {
      xSum += size;
      x2Sum += size * size;
      ySum += val;
      y2Sum += val * val;
      xySum += size * val;
    }
    out[t] = finish(stat, size - naCount, xSum, x2Sum, ySum, y2Sum, xySum, val, size);
  }
  return out;
}

/** The statistic from the sums, as Qlib's update() returns it (division by 0 gives inf or NaN, as C does). */
function finish(stat: QlibRegressionStat, N: number, xSum: number, x2Sum: number, ySum: number, y2Sum: number, xySum: number, val: number, xNow: number): number {
  const num = N * xySum - xSum * ySum;
  const den = N * x2Sum - xSum * xSum;
  switch (stat) {
    case 'slope':
      return num / den;
    case 'rsquare': {
      const r = num / Math.sqrt(den * (N * y2Sum - ySum * ySum));
      return r * r;
    }
    case 'resi': {
      const slope = num / den;
      const xMean = xSum / N;
      const yMean = ySum / N;
      const interp = yMean - slope * xMean;
      return val - (slope * xNow + interp);
    }
  }
}
