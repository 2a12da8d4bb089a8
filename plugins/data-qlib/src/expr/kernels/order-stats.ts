import { sortedWindowStat } from './sorted-window.js';
import { valueRanks, type ValueRanks } from './value-ranks.js';
import { f32Series, IdenticalRun, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type OrderStat = 'rank' | 'quantile' | 'median' | 'mad';

/** Number of window values with rank <= r (Fenwick prefix sum, 1-based tree). */
function countUpTo(counts: Int32Array, r: number): number {
  let c = 0;
  for (let i = r + 1; i > 0; i -= i & -i) c += counts[i]!;
  return c;
}

function sumUpTo(sums: Float64Array, r: number): number {
  let s = 0;
  for (let i = r + 1; i > 0; i -= i & -i) s += sums[i]!;
  return s;
}

/** Rank of the k-th smallest window value (1-based k), by descending the tree. */
function kthRank(counts: Int32Array, m: number, topBit: number, k: number): number {
  let pos = 0;
  for (let step = topBit; step > 0; step >>= 1) {
    const next = pos + step;
    if (next <= m && counts[next]! < k) {
      pos = next;
      k -= counts[next]!;
    }
  }
  return pos;
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

/** Up to this many rows, a sorted window array is faster than the Fenwick trees. */
export const SMALL_WINDOW = 40;

/**
 * Rolling Rank/Quantile/Med/Mad over the non-NaN values of each window in
 * O(n log w): the rows are taken in blocks of w; a block's windows only see
 * the values of its own rows and the w - 1 rows before it, so those (at most
 * 2w - 1) are ranked among themselves and a Fenwick tree over those local
 * ranks holds the window's counts (and, for Mad, sums), O(log w) per step.
 * Local ranks come from the series' value ranks (`ranks` gives
 * valueRanks(x), possibly shared; a radix sort, O(n)) by sorting a block's
 * ranks, O(w log w) per block. Expanding windows are one block. Windows of
 * at most SMALL_WINDOW rows use sorted-window.ts instead (at most
 * SMALL_WINDOW steps per row).
 *
 * - rank: (values below + (equal values + 1) / 2) / count, for the current
 *   row's value (pandas rank(pct=True), method average); NaN if it is NaN.
 * - quantile(q): linear interpolation at position q * (count - 1) of the
 *   sorted values (pandas' default).
 * - median: middle value, or the mean of the two middle values.
 * - mad: mean of |x - mean| (0 when all values are equal).
 */
export function rollingOrderStat(
  x: Float32Array,
  N: number,
  stat: OrderStat,
  q = 0.5,
  ranks?: () => ValueRanks,
  alloc: Alloc = f32Series,
): Series {
  const n = x.length;
  const rows = rowsOf(N, n);
  if (rows <= SMALL_WINDOW) return sortedWindowStat(x, N, stat, q);
  const out = alloc(n);
  const global = ranks ? ranks() : valueRanks(x);
  if (rows >= n) {
    // Expanding (or a window as long as the series): one block, the series' own ranks.
    orderStatBlock(x, rows, stat, q, 0, n, 0, global.rank, global.values, out, new IdenticalRun());
    return out;
  }
  const rank = new Int32Array(n).fill(-1);
  // Global rank -> local rank of the current block (only entries of the block's values are read).
  const localOf = new Int32Array(global.values.length);
  const sorted = new Int32Array(2 * rows);
  const values = new Float64Array(2 * rows);
  const run = new IdenticalRun();
  for (let b0 = 0; b0 < n; b0 += rows) {
    const b1 = Math.min(n, b0 + rows);
    const d0 = Math.max(0, b0 - rows + 1);
    let k = 0;
    for (let t = d0; t < b1; t++) if (global.rank[t]! >= 0) sorted[k++] = global.rank[t]!;
    const block = sorted.subarray(0, k).sort();
    let m = 0;
    for (let i = 0; i < k; i++) {
      const g = block[i]!;
      if (m === 0 || block[i - 1] !== g) {
        values[m] = global.values[g]!;
        localOf[g] = m++;
      }
    }
    for (let t = d0; t < b1; t++) rank[t] = global.rank[t]! >= 0 ? localOf[global.rank[t]!]! : -1;
    orderStatBlock(x, rows, stat, q, b0, b1, d0, rank, values.subarray(0, m), out, run);
  }
  return out;
}

/**
 * Rows [b0, b1) of rollingOrderStat, with `rank` valid on [d0, b1) and
 * indexing `values` (sorted distinct values): the window before b0 (rows
 * d0 .. b0 - 1) is inserted first, then each row enters and the row `rows`
 * back leaves. `run` carries identical-value runs across blocks (rows in order).
 */
function orderStatBlock(
  x: Float32Array,
  rows: number,
  stat: OrderStat,
  q: number,
  b0: number,
  b1: number,
  d0: number,
  rank: Int32Array,
  values: Float64Array,
  out: Series,
  run: IdenticalRun,
): void {
  const m = values.length;
  const counts = new Int32Array(m + 1);
  const mad = stat === 'mad';
  const sums = new Float64Array(mad ? m + 1 : 1);
  let topBit = 1;
  while (topBit * 2 <= m) topBit *= 2;
  // Mad's sums drift like any running sum: rebuilt as described in window.ts.
  let ops = 0;
  let mass = 0;
  let absWindow = 0;
  let cnt = 0;
  for (let j = d0; j < b0; j++) {
    const r = rank[j]!;
    if (r < 0) continue;
    for (let i = r + 1; i <= m; i += i & -i) counts[i]!++;
    cnt++;
    if (mad) {
      const v = x[j]!;
      for (let i = r + 1; i <= m; i += i & -i) sums[i] += v;
      ops++;
      mass += Math.abs(v);
      absWindow += Math.abs(v);
    }
  }

  for (let t = b0; t < b1; t++) {
    if (t - rows >= d0) {
      const r = rank[t - rows]!;
      if (r >= 0) {
        for (let i = r + 1; i <= m; i += i & -i) counts[i]!--;
        cnt--;
        if (mad) {
          const u = x[t - rows]!;
          for (let i = r + 1; i <= m; i += i & -i) sums[i] -= u;
          ops++;
          mass += Math.abs(u);
          absWindow -= Math.abs(u);
        }
      }
    }
    const r = rank[t]!;
    const v = x[t]!;
    if (r >= 0) {
      for (let i = r + 1; i <= m; i += i & -i) counts[i]!++;
      cnt++;
      if (mad) {
        for (let i = r + 1; i <= m; i += i & -i) sums[i] += v;
        ops++;
        mass += Math.abs(v);
        absWindow += Math.abs(v);
      }
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    switch (stat) {
      case 'rank': {
        if (r < 0) out[t] = NaN;
        else {
          const below = r > 0 ? countUpTo(counts, r - 1) : 0;
          const equal = countUpTo(counts, r) - below;
          out[t] = (below + (equal + 1) / 2) / cnt;
        }
        break;
      }
      case 'median':
        out[t] =
          cnt % 2 === 1
            ? values[kthRank(counts, m, topBit, (cnt + 1) / 2)]!
            : (values[kthRank(counts, m, topBit, cnt / 2)]! + values[kthRank(counts, m, topBit, cnt / 2 + 1)]!) / 2;
        break;
      case 'quantile': {
        const at = q * (cnt - 1);
        const lo = Math.floor(at);
        const low = values[kthRank(counts, m, topBit, lo + 1)]!;
        out[t] = at === lo ? low : low + (values[kthRank(counts, m, topBit, lo + 2)]! - low) * (at - lo);
        break;
      }
      case 'mad': {
        run.push(t, v);
        const start = windowStart(t, rows);
        if (run.identicalSince(start)) {
          out[t] = 0;
          break;
        }
        if (ops * mass > REBUILD_RATIO * absWindow) {
          sums.fill(0);
          ops = mass = absWindow = 0;
          for (let j = start; j <= t; j++) {
            if (rank[j]! < 0) continue;
            for (let i = rank[j]! + 1; i <= m; i += i & -i) sums[i] += x[j]!;
            ops++;
            mass += Math.abs(x[j]!);
            absWindow += Math.abs(x[j]!);
          }
        }
        const total = sumUpTo(sums, m - 1);
        const mean = total / cnt;
        // Values <= mean have ranks below the first value greater than the mean.
        const split = upperBound(values, mean) - 1;
        const lowCount = split >= 0 ? countUpTo(counts, split) : 0;
        const lowSum = split >= 0 ? sumUpTo(sums, split) : 0;
        out[t] = (lowCount * mean - lowSum + (total - lowSum) - (cnt - lowCount) * mean) / cnt;
        break;
      }
    }
  }
}
