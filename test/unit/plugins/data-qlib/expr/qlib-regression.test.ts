import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, parseExpression, parseExpressionWith, qlibStartDependent } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { f32, input } from './series.js';

/**
 * Slope, Rsquare and Resi under `expressions: qlib` against the running
 * sums Qlib's Cython uses (rolling.pyx, expanding.pyx): reference values from
 * an independent Python implementation of that recurrence (test/fixtures/
 * qlib-compat/qlib-regression-reference.py; Python floats are C doubles),
 * compared bit for bit, and hand-computed cases of the infinity that poisons
 * every later row.
 */
const qlib = (expr: string, x: ArrayLike<number>): Float32Array => evaluate(parseExpressionWith(expr, { mode: 'qlib' }), input({ x: Float32Array.from(x) }), { mode: 'qlib' });
const dflt = (expr: string, x: ArrayLike<number>): Float32Array => evaluate(parseExpression(expr), input({ x: Float32Array.from(x) }));

const ref = JSON.parse(readFileSync(path.join(__dirname, '../../../../fixtures/qlib-compat/qlib-regression-reference.json'), 'utf8')) as Record<string, (number | null)[]>;
const x = ref['x']!.map((v) => (v === null ? NaN : v));

/** Naive OLS of the window's non-NaN values against their positions 1..L (the test's own, in float64). */
function naiveOls(y: readonly number[], t: number, window: number): { slope: number; r2: number; resi: number } {
  const from = window === 0 ? 0 : Math.max(0, t - window + 1);
  const pts: [number, number][] = [];
  for (let j = from; j <= t; j++) if (!Number.isNaN(y[j]!)) pts.push([j - from + 1, y[j]!]);
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [px, py] of pts) {
    sxy += (px - mx) * (py - my);
    sxx += (px - mx) ** 2;
    syy += (py - my) ** 2;
  }
  const slope = sxy / sxx;
  const xNow = t - from + 1;
  return { slope, r2: (sxy * sxy) / (sxx * syy), resi: y[t]! - (my + slope * (xNow - mx)) };
}

describe("expressions: qlib — Slope, Rsquare, Resi as Qlib's Cython computes them", () => {
  for (const [op, key] of [['Slope', 'slope'], ['Rsquare', 'rsquare'], ['Resi', 'resi']] as const) {
    for (const N of [5, 0]) {
      it(`${op}($x, ${N}) equals the Python reference of Qlib's ${N ? 'rolling' : 'expanding'} sums bit for bit, and naive OLS to float32 rounding`, () => {
        const got = qlib(`${op}($x, ${N})`, x);
        const want = ref[`${key}${N}`]!;
        got.forEach((v, t) => {
          const w = want[t];
          if (w === null) expect(v, `row ${t}`).toBeNaN();
          else expect(v, `row ${t}`).toBe(Math.fround(w));
          if (w !== null && Number.isFinite(w)) {
            const naive = naiveOls(x, t, N);
            const n = key === 'slope' ? naive.slope : key === 'rsquare' ? naive.r2 : naive.resi;
            expect(Math.abs(v - n), `row ${t} vs naive OLS`).toBeLessThan(1e-4 * Math.max(1, Math.abs(n)));
          }
        });
      });
    }
  }

  it('an infinity poisons every later row of the rolling form, long after it left the window (default: a missing value)', () => {
    const y = [1, 2, 4, Infinity, 5, 6, 7, 8, 9, 10];
    // Hand-computed: window 3, x = 1..3. Rows 0..2 are ordinary OLS; from row 3 on Qlib's sums hold inf - inf = NaN.
    for (const expr of ['Slope($x, 3)', 'Rsquare($x, 3)', 'Resi($x, 3)']) {
      const q = qlib(expr, y);
      for (let t = 3; t < y.length; t++) expect(q[t], `${expr} row ${t}`).toBeNaN();
    }
    const s = qlib('Slope($x, 3)', y);
    expect(s[0]).toBeNaN(); // one value: 0/0
    expect(s[1]).toBe(1); // (1, 2)
    expect(s[2]).toBe(1.5); // (1, 2, 4): slope 3/2
    expect(qlib('Resi($x, 3)', y)[2]).toBeCloseTo(4 - (7 / 3 + 1.5 * (3 - 2)), 6); // 1/6
    // The default treats the infinity as missing: the last windows (8, 9, 10) have slope 1.
    const d = dflt('Slope($x, 3)', y);
    expect(d[9]).toBeCloseTo(1, 6);
    expect(d[4]).toBeCloseTo(0.5, 6); // (4, missing, 5) at x = 1, 3: (5 - 4) / 2
  });

  it('an infinity poisons the expanding form too, and -inf the same', () => {
    const y = [3, 1, 4, 1, -Infinity, 9, 2, 6];
    for (const expr of ['Slope($x, 0)', 'Rsquare($x, 0)', 'Resi($x, 0)']) {
      const q = qlib(expr, y);
      expect(Number.isFinite(q[3]), `${expr} row 3`).toBe(true);
      for (let t = 4; t < y.length; t++) expect(q[t], `${expr} row ${t}`).toBeNaN();
    }
    expect(qlib('Slope($x, 0)', y)[3]).toBeCloseTo(-0.3, 6); // x 1..4, y 3,1,4,1: sxy -1.5, sxx 5
  });

  it('NaN rows are skipped and keep their position (no poisoning)', () => {
    const y = [1, NaN, 3, 4, NaN, 6, 7];
    const s = qlib('Slope($x, 3)', y);
    expect(s[2]).toBe(1); // (1 at x=1, 3 at x=3)
    expect(s[6]).toBe(1);
    expect(s[4]).toBe(1);
  });

  it('Rsquare keeps the near-constant mask of the rolling form only', () => {
    const y = [5, 5, 5, 5, 6];
    expect(qlib('Rsquare($x, 3)', y)[3]).toBeNaN(); // rolling std 0: masked
    expect(qlib('Rsquare($x, 0)', y)[3]).toBeNaN(); // expanding: 0/0 in the sums (constant), not the mask
    expect(qlib('Rsquare($x, 0)', y)[4]).toBeCloseTo(0.5, 6); // x 1..5 vs 5,5,5,5,6: sxy 2, sxx 10, syy 0.8: 4 / 8
  });

  it('their values depend on where loading started, so they are computed over the rows Qlib loads', () => {
    expect(qlibStartDependent(parseExpressionWith('Slope($close, 5) / $close', { mode: 'qlib' }))).toBe(true);
    expect(qlibStartDependent(parseExpressionWith('Mean($close, 5) / $close', { mode: 'qlib' }))).toBe(false);
  });
});

describe('expressions: qlib — float64 intermediates, one float32 cast at the end', () => {
  // Hand-computed (Python float64): mean of the float32 values 8.45, 4.68, 5.95 is 6.359999815622966.
  const x = [8.45, 4.68, 5.95];
  it('Mean($x, 3) / $x divides the float64 mean (Qlib), not a float32-rounded one (default)', () => {
    expect(qlib('Mean($x, 3) / $x', x)[2]).toBe(Math.fround(6.359999815622966 / Math.fround(5.95)));
    expect(qlib('Mean($x, 3) / $x', x)[2]).toBe(Math.fround(1.068907618522644));
    expect(dflt('Mean($x, 3) / $x', x)[2]).toBe(Math.fround(1.0689074993133545));
  });

  it('a float32 series with a number stays float32 (numpy casts the number), a float64 one does not', () => {
    // $x + 1e-12 is $x in float32; Mean($x, 1) is float64, so the 1e-12 survives (to float64 rounding at 8.45).
    expect(qlib('$x + 1e-12', x)[0]).toBe(Math.fround(8.45));
    const x0 = Math.fround(8.45);
    expect(qlib('(Mean($x, 1) + 1e-12) - $x', x)[0]).toBe(Math.fround(x0 + 1e-12 - x0));
    expect(qlib('(Mean($x, 1) + 1e-12) - $x', x)[0]).toBeGreaterThan(0.9e-12);
    expect(dflt('(Mean($x, 1) + 1e-12) - $x', x)[0]).toBe(0);
  });

  it('matches a naive float64 computation cast once, on every row of a random walk', () => {
    const y = Float32Array.from({ length: 300 }, (_, t) => 20 + 3 * Math.sin(t / 7) + ((t * 7919) % 101) / 37);
    const got = qlib('Mean($x, 5) / $x - Std($x, 10) / $x', y);
    for (let t = 0; t < y.length; t++) {
      const w5 = Array.from(y.subarray(Math.max(0, t - 4), t + 1));
      const w10 = Array.from(y.subarray(Math.max(0, t - 9), t + 1));
      const mean = w5.reduce((a, v) => a + v, 0) / w5.length;
      const m10 = w10.reduce((a, v) => a + v, 0) / w10.length;
      const std = w10.length < 2 ? NaN : Math.sqrt(w10.reduce((a, v) => a + (v - m10) ** 2, 0) / (w10.length - 1));
      const want = Math.fround(mean / y[t]! - std / y[t]!);
      if (Number.isNaN(want)) expect(got[t], `row ${t}`).toBeNaN();
      else expect(got[t], `row ${t}`).toBe(want);
    }
  });
});
