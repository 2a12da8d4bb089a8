import { describe, expect, it } from 'vitest';
import { shiftRows } from '../../../../../plugins/data-qlib/src/expr/kernels/shift.js';
import { infinitiesAsNaN, type Series } from '../../../../../plugins/data-qlib/src/expr/kernels/window.js';
import { rng } from './series.js';

/** Kernels that use native scans and copies (indexOf, set): against the plain loops they replaced, bit for bit. */
function bits(a: Series): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

function series(n: number, seed: number, make: (n: number) => Series): Series {
  const r = rng(seed);
  const x = make(n);
  for (let t = 0; t < n; t++) {
    const p = r();
    x[t] = p < 0.1 ? NaN : p < 0.15 ? -0 : p < 0.2 ? 1e30 * r() : (r() - 0.5) * 10;
  }
  return x;
}

const KINDS = [(n: number): Series => new Float32Array(n), (n: number): Series => new Float64Array(n)];

describe('infinitiesAsNaN', () => {
  it('returns the input itself when it holds no infinity, else a copy with every infinity as NaN', () => {
    for (const make of KINDS) {
      for (const n of [0, 1, 7, 64]) {
        const x = series(n, n + 1, make);
        expect(infinitiesAsNaN(x)).toBe(x);
        // +inf, -inf, both, first and last rows; NaN and -0 rows stay as they are.
        for (const places of [[0], [n - 1], [n >> 1], [1, n - 2], [n - 1, 0]]) {
          if (n === 0) continue;
          for (const signs of [[1], [-1], [1, -1], [-1, 1]]) {
            const y = x.slice();
            places.forEach((p, i) => (y[Math.min(n - 1, Math.max(0, p))] = signs[i % signs.length]! * Infinity));
            const before = bits(y);
            const want = y.slice();
            for (let t = 0; t < n; t++) if (want[t] === Infinity || want[t] === -Infinity) want[t] = NaN;
            const got = infinitiesAsNaN(y);
            expect(got).not.toBe(y);
            expect(got.constructor).toBe(y.constructor);
            expect(bits(got)).toBe(bits(want));
            expect(bits(y)).toBe(before); // the input is left alone
          }
        }
      }
    }
  });
});

/** Ref(x, N) as it was computed: row by row within each segment. */
function referenceShift(x: Series, N: number, seg: number): Series {
  const out = (x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length)).fill(NaN);
  for (let lo = 0; lo < x.length; lo += seg) {
    const hi = lo + seg;
    for (let t = lo + Math.max(0, N); t < hi && t - N < hi; t++) out[t] = x[t - N]!;
  }
  return out;
}

describe('shiftRows', () => {
  it('equals the row-by-row shift within each segment for every N (both ways, 0, past the segment)', () => {
    for (const make of KINDS) {
      for (const [n, seg] of [
        [0, 1],
        [1, 1],
        [40, 40],
        [61 * 5, 61],
        [3 * 12, 3],
        [21 * 4, 21],
      ] as const) {
        const x = series(n, 7 * n + seg, make);
        for (const N of [0, 1, 2, 5, 20, 60, 61, 100, -1, -2, -5, -60, -61, -100]) {
          const got = shiftRows(x, N, seg);
          expect(got.constructor).toBe(x.constructor);
          expect(bits(got), `N=${N} seg=${seg} n=${n}`).toBe(bits(referenceShift(x, N, seg)));
        }
      }
    }
  });
});
