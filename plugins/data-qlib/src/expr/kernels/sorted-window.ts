import type { OrderStat } from './order-stats.js';
import { rowsOf } from './window.js';

/**
 * Number of values in buf[0..size) below v. A full scan without early exit:
 * on short windows this beats a binary search, whose branches the CPU
 * mispredicts half the time on market data.
 */
function countBelow(buf: Float64Array, size: number, v: number): number {
  let c = 0;
  for (let j = 0; j < size; j++) c += buf[j]! < v ? 1 : 0;
  return c;
}

/**
 * Rank/Quantile/Med/Mad for short windows: the window's non-NaN values kept
 * sorted in a small array, O(w) per row with a tiny constant (a shift of at
 * most w doubles), which beats the O(log n) Fenwick trees up to a few dozen
 * rows. Mad is computed from the window directly (two passes, exact).
 * Same results as the Fenwick path in order-stats.ts.
 */
export function sortedWindowStat(x: Float32Array, N: number, stat: OrderStat, q: number): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N, n);
  const buf = new Float64Array(rows);
  let size = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = x[t - rows]!;
      if (u === u) {
        for (let j = countBelow(buf, size, u) + 1; j < size; j++) buf[j - 1] = buf[j]!;
        size--;
      }
    }
    const v = x[t]!;
    if (v === v) {
      let j = size;
      for (; j > 0 && buf[j - 1]! > v; j--) buf[j] = buf[j - 1]!;
      buf[j] = v + 0; // -0 and +0 are one value
      size++;
    }
    if (size === 0) {
      out[t] = NaN;
      continue;
    }
    switch (stat) {
      case 'rank': {
        if (v !== v) out[t] = NaN;
        else {
          let below = 0;
          let equal = 0;
          for (let j = 0; j < size; j++) {
            const b = buf[j]!;
            below += b < v ? 1 : 0;
            equal += b === v ? 1 : 0;
          }
          out[t] = (below + (equal + 1) / 2) / size;
        }
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
  return out;
}
