import type { OrderStat, OrderStatOutput } from './order-stats.js';
import { checkSegments, rowsOf, type Series } from './window.js';

/**
 * Number of values in buf[0..size) below v. Up to SCAN_LIMIT values a full
 * scan without early exit (it beats a binary search, whose branches the CPU
 * mispredicts half the time on market data); above, the binary search.
 */
function countBelow(buf: Float64Array, size: number, v: number): number {
  if (size > SCAN_LIMIT) return lowerBound(buf, size, v);
  let c = 0;
  for (let j = 0; j < size; j++) c += buf[j]! < v ? 1 : 0;
  return c;
}

/**
 * Above this many values a binary search beats the scan (two quantiles and a
 * rank of 300 series x 2500 rows: 20 rows 47 -> 37 ms, 60 rows 90 -> 57 ms).
 */
const SCAN_LIMIT = 12;

/** First index of buf[0..size) whose value is not below v (buf sorted): the same count as the scan. */
function lowerBound(buf: Float64Array, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buf[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index of buf[0..size) whose value is above v (buf sorted): where v goes after its equals. */
function upperBound(buf: Float64Array, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buf[mid]! > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Rank/Quantile/Med/Mad for short windows, O(w) per row with a tiny
 * constant, which beats the O(log n) Fenwick trees up to a few dozen rows:
 * Quantile/Med/Mad keep the window's non-NaN values sorted in a small array
 * (a shift of at most w doubles per update; Mad is then computed from the
 * window directly, two passes, exact); Rank alone just counts over the
 * window, and with the others reads the current value's place in the sorted
 * window (its equal neighbours are next to it).
 * Same results as the Fenwick path in order-stats.ts.
 */
export function sortedWindowStat(x: Float32Array, N: number, stat: OrderStat, q: number): Float32Array {
  const out = new Float32Array(x.length);
  sortedWindowStatsInto(x, N, [{ stat, q, out }]);
  return out;
}

/**
 * sortedWindowStat for several statistics of one series and window: the
 * sorted window is kept once for all of them (Alpha158 asks for the 0.8 and
 * 0.2 quantiles of $close at each window). Each output gets what its own
 * call would give. `seg`: segments computed apart (window.ts).
 */
export function sortedWindowStatsInto(x: Float32Array, N: number, outputs: readonly OrderStatOutput[], seg = x.length): void {
  const n = x.length;
  checkSegments(n, seg);
  const rows = rowsOf(N, seg);
  // Rank alone over a short window counts over the raw window; otherwise it reads its place in the sorted window.
  if (rows < 16 && outputs.every((o) => o.stat === 'rank')) {
    for (const o of outputs) for (let lo = 0; lo < n; lo += seg) scanRank(x, lo, lo + seg, rows, o.out);
    return;
  }
  const buf = new Float64Array(rows);
  for (let lo = 0; lo < n; lo += seg) sortedWindowRange(x, lo, lo + seg, rows, outputs, buf);
}

/** sortedWindowStatsInto over rows [lo, hi) as a series of its own (`buf`: the sorted window, `rows` long). */
function sortedWindowRange(x: Float32Array, lo: number, hi: number, rows: number, outputs: readonly OrderStatOutput[], buf: Float64Array): void {
  const sorted = outputs;
  const outs = sorted.length;
  let size = 0;
  // Where the current row's value sits in buf (-1 when it is NaN).
  let at = -1;
  for (let t = lo; t < hi; t++) {
    const u = t - lo >= rows ? x[t - rows]! : NaN;
    const v = x[t]!;
    if (u === u && v === v) {
      // One value leaves and one enters: only the values between the two
      // positions move, one place towards the leaving one's slot.
      let j = countBelow(buf, size, u);
      const w = v + 0; // -0 and +0 are one value
      if (w > buf[j]!) for (; j + 1 < size && buf[j + 1]! < w; j++) buf[j] = buf[j + 1]!;
      else for (; j > 0 && buf[j - 1]! > w; j--) buf[j] = buf[j - 1]!;
      buf[j] = w;
      at = j;
    } else {
      // The window grows or shrinks (its first rows, NaN rows): the values above the slot move with
      // copyWithin (a memmove, as fast in a fresh process as later: a routine's 1-day tails are all
      // first rows, which a JS loop shifted before V8 had optimised it).
      at = -1;
      if (u === u) {
        const j = countBelow(buf, size, u);
        buf.copyWithin(j, j + 1, size);
        size--;
      }
      if (v === v) {
        // After the values equal to v, as an insertion from the top would place it.
        const j = upperBound(buf, size, v);
        buf.copyWithin(j + 1, j, size);
        buf[j] = v + 0; // -0 and +0 are one value
        size++;
        at = j;
      }
    }
    if (size === 0) {
      for (let o = 0; o < outs; o++) sorted[o]!.out[t] = NaN;
      continue;
    }
    for (let o = 0; o < outs; o++) {
    const { stat, q, out } = sorted[o]!;
    switch (stat) {
      case 'rank': {
        if (at < 0) {
          out[t] = NaN;
          break;
        }
        // The values equal to the current one are next to it: below = the first one's position.
        const w = buf[at]!;
        let lo = at;
        while (lo > 0 && buf[lo - 1] === w) lo--;
        let hi = at;
        while (hi + 1 < size && buf[hi + 1] === w) hi++;
        out[t] = (lo + (hi - lo + 1 + 1) / 2) / size;
        break;
      }
      case 'median': {
        const h = size >> 1;
        out[t] = size % 2 === 1 ? buf[h]! : (buf[h - 1]! + buf[h]!) / 2;
        break;
      }
      case 'quantile': {
        const at = q * (size - 1);
        const lo = Math.floor(at);
        const low = buf[lo]!;
        out[t] = at === lo ? low : low + (buf[lo + 1]! - low) * (at - lo);
        break;
      }
      case 'mad': {
        if (buf[0] === buf[size - 1]) {
          out[t] = 0;
          break;
        }
        let total = 0;
        for (let j = 0; j < size; j++) total += buf[j]!;
        const mean = total / size;
        let deviation = 0;
        for (let j = 0; j < size; j++) deviation += Math.abs(buf[j]! - mean);
        out[t] = deviation / size;
        break;
      }
    }
    }
  }
}

/** Rank over short windows of rows [lo, hi): count the values below and equal to the current one directly, O(w) per row. */
function scanRank(x: Float32Array, lo: number, hi: number, rows: number, out: Series): void {
  for (let t = lo; t < hi; t++) {
    const v = x[t]!;
    if (v !== v) {
      out[t] = NaN;
      continue;
    }
    let below = 0;
    let equal = 0;
    let count = 0;
    for (let j = t - rows + 1 > lo ? t - rows + 1 : lo; j <= t; j++) {
      const b = x[j]!;
      below += b < v ? 1 : 0;
      equal += b === v ? 1 : 0;
      count += b === b ? 1 : 0;
    }
    out[t] = (below + (equal + 1) / 2) / count;
  }
}
