import { IdenticalRun, REBUILD_RATIO, rowsOf, windowStart } from './window.js';

export type OrderStat = 'rank' | 'quantile' | 'median' | 'mad';

/**
 * The series' distinct non-NaN values, sorted, and each row's index into
 * them (-1 for NaN): the key space of the Fenwick trees below.
 */
function valueRanks(x: Float32Array): { values: Float64Array; rank: Int32Array } {
  const n = x.length;
  const sorted = new Float64Array(n);
  let m = 0;
  for (let t = 0; t < n; t++) if (x[t] === x[t]) sorted[m++] = x[t]!;
  const all = sorted.subarray(0, m).sort();
  let u = 0;
  for (let i = 0; i < m; i++) if (i === 0 || all[i] !== all[u - 1]) all[u++] = all[i]!;
  const values = all.slice(0, u);
  const rank = new Int32Array(n);
  for (let t = 0; t < n; t++) rank[t] = x[t] === x[t] ? lowerBound(values, x[t]!) : -1;
  return { values, rank };
}

/** First index i with values[i] >= v. */
function lowerBound(values: Float64Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Rolling Rank/Quantile/Med/Mad over the non-NaN values of each window in
 * O(n log n): Fenwick trees over value ranks hold the window's counts (and,
 * for Mad, sums).
 *
 * - rank: (values below + (equal values + 1) / 2) / count, for the current
 *   row's value (pandas rank(pct=True), method average); NaN if it is NaN.
 * - quantile(q): linear interpolation at position q * (count - 1) of the
 *   sorted values (pandas' default).
 * - median: middle value, or the mean of the two middle values.
 * - mad: mean of |x - mean| (0 when all values are equal).
 */
export function rollingOrderStat(x: Float32Array, N: number, stat: OrderStat, q = 0.5): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N, n);
  const { values, rank } = valueRanks(x);
  const m = values.length;
  const counts = new Int32Array(m + 1);
  const wantSums = stat === 'mad';
  const sums = wantSums ? new Float64Array(m + 1) : new Float64Array(0);
  let topBit = 1;
  while (topBit * 2 <= m) topBit *= 2;

  const add = (r: number, sign: number, v: number): void => {
    for (let i = r + 1; i <= m; i += i & -i) counts[i] += sign;
    if (wantSums) for (let i = r + 1; i <= m; i += i & -i) sums[i] += sign * v;
  };
  /** Number of window values with rank <= r. */
  const countUpTo = (r: number): number => {
    let c = 0;
    for (let i = r + 1; i > 0; i -= i & -i) c += counts[i]!;
    return c;
  };
  const sumUpTo = (r: number): number => {
    let s = 0;
    for (let i = r + 1; i > 0; i -= i & -i) s += sums[i]!;
    return s;
  };
  /** The k-th smallest window value (1-based k). */
  const kth = (k: number): number => {
    let pos = 0;
    for (let step = topBit; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= m && counts[next]! < k) {
        pos = next;
        k -= counts[next]!;
      }
    }
    return values[pos]!;
  };

  // Mad's sums drift like any running sum: rebuild them when the magnitude
  // added and removed dwarfs the window's own (see window.ts).
  let mass = 0;
  let absWindow = 0;
  const run = new IdenticalRun();
  const rebuildSums = (t: number): void => {
    sums.fill(0);
    mass = 0;
    absWindow = 0;
    for (let j = windowStart(t, rows); j <= t; j++) {
      if (rank[j]! < 0) continue;
      for (let i = rank[j]! + 1; i <= m; i += i & -i) sums[i] += x[j]!;
      absWindow += Math.abs(x[j]!);
    }
  };

  let cnt = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows && rank[t - rows]! >= 0) {
      const u = x[t - rows]!;
      add(rank[t - rows]!, -1, u);
      cnt--;
      mass += Math.abs(u);
      absWindow -= Math.abs(u);
    }
    const r = rank[t]!;
    if (r >= 0) {
      add(r, 1, x[t]!);
      cnt++;
      mass += Math.abs(x[t]!);
      absWindow += Math.abs(x[t]!);
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    switch (stat) {
      case 'rank': {
        if (r < 0) out[t] = NaN;
        else {
          const below = r > 0 ? countUpTo(r - 1) : 0;
          const equal = countUpTo(r) - below;
          out[t] = (below + (equal + 1) / 2) / cnt;
        }
        break;
      }
      case 'median':
        out[t] = cnt % 2 === 1 ? kth((cnt + 1) / 2) : (kth(cnt / 2) + kth(cnt / 2 + 1)) / 2;
        break;
      case 'quantile': {
        const at = q * (cnt - 1);
        const lo = Math.floor(at);
        const low = kth(lo + 1);
        out[t] = at === lo ? low : low + (kth(lo + 2) - low) * (at - lo);
        break;
      }
      case 'mad': {
        run.push(t, x[t]!);
        if (run.identicalSince(windowStart(t, rows))) {
          out[t] = 0;
          break;
        }
        if (mass > REBUILD_RATIO * absWindow) rebuildSums(t);
        const total = sumUpTo(m - 1);
        const mean = total / cnt;
        // Values <= mean have ranks below the first value greater than the mean.
        const split = upperBound(values, mean) - 1;
        const lowCount = split >= 0 ? countUpTo(split) : 0;
        const lowSum = split >= 0 ? sumUpTo(split) : 0;
        const deviation = lowCount * mean - lowSum + (total - lowSum) - (cnt - lowCount) * mean;
        out[t] = deviation / cnt;
        break;
      }
    }
  }
  return out;
}

/** First index i with values[i] > v. */
function upperBound(values: Float64Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
