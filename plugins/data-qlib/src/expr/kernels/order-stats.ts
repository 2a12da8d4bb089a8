import { sortedWindowStatsInto } from './sorted-window.js';
import { valueRanks, type ValueRanks } from './value-ranks.js';
import { checkSegments, f32Series, IdenticalRun, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type OrderStat = 'rank' | 'quantile' | 'median' | 'mad';

/** One statistic of a multi-output order-statistic pass, written into `out` (x.length values). */
export interface OrderStatOutput {
  stat: OrderStat;
  /** The quantile (quantile only). */
  q: number;
  out: Series;
}

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

/** Up to this many rows, a sorted window array is faster than the Fenwick trees for Mad (its two passes per row). */
export const SMALL_WINDOW = 40;

/**
 * The same for Rank, Quantile and Med, which read the sorted window in O(1):
 * measured on 2500-row price series, two quantiles and a rank over 60 rows
 * took 82 ms per 300 series sorted against 156 ms with the trees, even at
 * 160 rows. Both paths give the same values (the same order statistics).
 */
export const SMALL_SORTED_WINDOW = 100;

/**
 * Rolling Rank/Quantile/Med/Mad over the non-NaN values of each window in
 * O(n log w): the rows are taken in blocks of w; a block's windows only see
 * the values of its own rows and the w - 1 rows before it, so those (at most
 * 2w - 1) are ranked among themselves and a Fenwick tree over those local
 * ranks holds the window's counts (and, for Mad, sums), O(log w) per step.
 * Local ranks come from the series' value ranks (`ranks` gives
 * valueRanks(x), possibly shared; a radix sort, O(n)) by sorting a block's
 * ranks, O(w log w) per block. Expanding windows are one block. Windows of
 * at most SMALL_SORTED_WINDOW rows (SMALL_WINDOW with Mad) use
 * sorted-window.ts instead (at most that many steps per row).
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
  // Short windows give float32 whatever `alloc` says (as before the shared passes: qlib mode's figures).
  const out = rowsOf(N, x.length) <= SMALL_WINDOW ? new Float32Array(x.length) : alloc(x.length);
  rollingOrderStatsInto(x, N, [{ stat, q, out }], ranks);
  return out;
}

/**
 * rollingOrderStat for several statistics of one series and window in one
 * pass (one sorted window or one set of trees for all of them: Alpha158 asks
 * for Rank and two quantiles of $close at each window). Each output gets what
 * its own call would give.
 *
 * `seg`: segments computed apart (window.ts). Segments longer than the short
 * windows go one by one through the trees (views of the segment's rows, each
 * ranking its own values: `ranks`, the whole series', is not used then).
 */
export function rollingOrderStatsInto(
  x: Float32Array,
  N: number,
  outputs: readonly OrderStatOutput[],
  ranks?: () => ValueRanks,
  seg = x.length,
): void {
  const n = x.length;
  checkSegments(n, seg);
  const rows = rowsOf(N, seg);
  if (rows <= (outputs.some((o) => o.stat === 'mad') ? SMALL_WINDOW : SMALL_SORTED_WINDOW)) {
    sortedWindowStatsInto(x, N, outputs, seg);
    return;
  }
  if (seg < n) {
    for (let lo = 0; lo < n; lo += seg) {
      const views = outputs.map((o) => ({ stat: o.stat, q: o.q, out: o.out.subarray(lo, lo + seg) }));
      rollingOrderStatsInto(x.subarray(lo, lo + seg), N, views);
    }
    return;
  }
  const global = ranks ? ranks() : valueRanks(x);
  if (rows >= n) {
    // Expanding (or a window as long as the series): one block, the series' own ranks.
    orderStatBlock(x, rows, outputs, 0, n, 0, global.rank, global.values, new IdenticalRun());
    return;
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
    orderStatBlock(x, rows, outputs, b0, b1, d0, rank, values.subarray(0, m), run);
  }
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
  outputs: readonly OrderStatOutput[],
  b0: number,
  b1: number,
  d0: number,
  rank: Int32Array,
  values: Float64Array,
  run: IdenticalRun,
): void {
  const m = values.length;
  const counts = new Int32Array(m + 1);
  const outs = outputs.length;
  const mad = outputs.some((o) => o.stat === 'mad');
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
      for (let o = 0; o < outs; o++) outputs[o]!.out[t] = NaN;
      continue;
    }
    for (let o = 0; o < outs; o++) {
    const { stat, q, out } = outputs[o]!;
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
}
