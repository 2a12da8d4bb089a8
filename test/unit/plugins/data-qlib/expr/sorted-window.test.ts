import { describe, expect, it } from 'vitest';
import type { OrderStat } from '../../../../../plugins/data-qlib/src/expr/kernels/order-stats.js';
import { sortedWindowStatsInto } from '../../../../../plugins/data-qlib/src/expr/kernels/sorted-window.js';
import { rng } from './series.js';

/**
 * The short-window order statistics (kernels/sorted-window.ts) against a reference that sorts each
 * row's window from scratch and applies the same formulas: the kernel's sorted window must hold the
 * same values in the same order at every row (windows filling, values leaving, NaN rows, ties,
 * -0 and +0), so the results are equal bit for bit.
 */
const STATS: { stat: OrderStat; q: number }[] = [
  { stat: 'rank', q: 0.5 },
  { stat: 'median', q: 0.5 },
  { stat: 'quantile', q: 0.8 },
  { stat: 'quantile', q: 0.2 },
  { stat: 'quantile', q: 0 },
  { stat: 'quantile', q: 1 },
  { stat: 'mad', q: 0.5 },
];

function reference(x: Float32Array, rows: number, lo: number, hi: number, stat: OrderStat, q: number, out: Float32Array): void {
  for (let t = lo; t < hi; t++) {
    const w: number[] = [];
    for (let j = Math.max(lo, t - rows + 1); j <= t; j++) if (x[j] === x[j]) w.push(x[j]! + 0);
    w.sort((a, b) => a - b);
    const size = w.length;
    const v = x[t]!;
    if (size === 0 || (stat === 'rank' && v !== v)) {
      out[t] = NaN;
      continue;
    }
    if (stat === 'rank') {
      const first = w.indexOf(v + 0);
      const last = w.lastIndexOf(v + 0);
      out[t] = (first + (last - first + 1 + 1) / 2) / size;
    } else if (stat === 'median') {
      const h = size >> 1;
      out[t] = size % 2 === 1 ? w[h]! : (w[h - 1]! + w[h]!) / 2;
    } else if (stat === 'quantile') {
      const at = q * (size - 1);
      const i = Math.floor(at);
      out[t] = at === i ? w[i]! : w[i]! + (w[i + 1]! - w[i]!) * (at - i);
    } else if (w[0] === w[size - 1]) out[t] = 0;
    else {
      let total = 0;
      for (const u of w) total += u;
      const mean = total / size;
      let deviation = 0;
      for (const u of w) deviation += Math.abs(u - mean);
      out[t] = deviation / size;
    }
  }
}

/** Series with NaN runs, repeated values (ties, flat runs) and signed zeros. */
function series(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    const p = r();
    x[t] = p < 0.1 ? NaN : p < 0.15 ? -0 : p < 0.2 ? 0 : p < 0.35 ? x[Math.max(0, t - 1)]! : Math.round(r() * 40 - 20) / 4;
  }
  for (let t = 30; t < 38 && t < n; t++) x[t] = NaN;
  return x;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('sortedWindowStatsInto', () => {
  it('equals a per-row sort of the window bit for bit (filling, full and NaN rows; ties; -0/+0; segments)', () => {
    for (const [n, seg] of [
      [120, 120],
      [61 * 7, 61],
      [6 * 20, 6],
      [1 * 15, 1],
      [21 * 9, 21],
    ] as const) {
      const x = series(n, n + seg);
      for (const N of [1, 2, 3, 5, 10, 20, 30, 60, 0]) {
        const outputs = STATS.map(({ stat, q }) => ({ stat, q, out: new Float32Array(n) }));
        sortedWindowStatsInto(x, N, outputs, seg);
        const rows = N === 0 ? seg : Math.min(N, seg);
        for (const o of outputs) {
          const want = new Float32Array(n);
          for (let lo = 0; lo < n; lo += seg) reference(x, rows, lo, lo + seg, o.stat, o.q, want);
          expect(bits(o.out), `${o.stat} q=${o.q} N=${N} seg=${seg}`).toEqual(bits(want));
        }
      }
    }
  });
});
