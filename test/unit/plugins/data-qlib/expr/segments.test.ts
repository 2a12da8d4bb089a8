import { describe, expect, it } from 'vitest';
import { alpha158Fields, alpha360Fields, DEFAULT_LABEL } from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { evaluateAll, evaluateSegments, parseExpressionWith, type SeriesInput } from '../../../../../plugins/data-qlib/src/expr/index.js';
import type { ExprMode } from '../../../../../plugins/data-qlib/src/expr/operators.js';
import { rollingCount } from '../../../../../plugins/data-qlib/src/expr/kernels/count.js';
import { rollingExtremumInto } from '../../../../../plugins/data-qlib/src/expr/kernels/extrema.js';
import { rollingMoments, rollingStdInto, type MomentStat } from '../../../../../plugins/data-qlib/src/expr/kernels/moments.js';
import { rollingOrderStatsInto, type OrderStat } from '../../../../../plugins/data-qlib/src/expr/kernels/order-stats.js';
import { rollingPair } from '../../../../../plugins/data-qlib/src/expr/kernels/pairwise.js';
import { rollingRegressionInto } from '../../../../../plugins/data-qlib/src/expr/kernels/regression.js';
import { deltaRows, shiftRows } from '../../../../../plugins/data-qlib/src/expr/kernels/shift.js';
import { ewmMean, rollingWma } from '../../../../../plugins/data-qlib/src/expr/kernels/weighted.js';
import { f64Series, type Series } from '../../../../../plugins/data-qlib/src/expr/kernels/window.js';
import { rng } from './series.js';

/** Operators and shapes Alpha158/360 do not use (or not this way): every kernel family, shifts both ways, expanding windows. */
const EXTRA = [
  'EMA($close, 10)',
  'EMA($close/Ref($close, 1), 0.3)',
  'WMA($close, 7)',
  'Mean($close, 0)',
  'Std($volume, 0)',
  'Slope($close, 0)',
  'Rsquare($close, 0)',
  'Delta($close, 0)',
  'Ref($close, 0)',
  'Ref($close, -2)/Ref($close, -1) - 1',
  'Mean(Ref($close, -3), 4)',
  'Skew($close, 9)',
  'Kurt($volume, 12)',
  'Var($low, 6)',
  'Sum($volume, 3)',
  'Count($volume, 5)',
  'Med($high, 7)',
  'Mad($high, 7)',
  'Quantile($close, 30, 0.8)',
  'Rank($close, 30)',
  'Rank($close, 3)',
  'IdxMax($high, 8)',
  'IdxMin($low, 8)',
  'Max($high, 40)',
  'Min($low, 40)',
  'Corr($close, $volume, 10)',
  'Cov($close, $volume, 10)',
  'Corr($close, Log($volume+1), 0)',
  'Resi($close, 15)',
  'If($close > $open, $volume, -$volume)',
  'Sign($close - Ref($close, 2))',
  'Abs($close - $open)/$volume',
];

const FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap'];

/** Random OHLCV rows: gaps, all-NaN stretches, zero volumes (infinite ratios), runs of equal prices. */
function market(seed: number, n: number): Map<string, Float32Array> {
  const r = rng(seed);
  const cols = new Map(FIELDS.map((f) => [f, new Float32Array(n)]));
  let p = 10 + 5 * r();
  for (let t = 0; t < n; t++) {
    if (!(seed % 5 === 0 && t % 9 < 3)) p *= 1 + 0.04 * (r() - 0.5);
    const o = p * (1 + 0.01 * (r() - 0.5));
    const gap = r() < 0.06;
    cols.get('open')![t] = gap ? NaN : o;
    cols.get('close')![t] = gap ? NaN : p;
    cols.get('high')![t] = gap ? NaN : Math.max(o, p) * (1 + 0.01 * r());
    cols.get('low')![t] = gap ? NaN : Math.min(o, p) * (1 - 0.01 * r());
    cols.get('volume')![t] = gap ? NaN : r() < 0.08 ? 0 : Math.floor(1000 * r());
    cols.get('vwap')![t] = r() < 0.03 ? NaN : (o + p) / 2;
  }
  // A long suspension: every field missing.
  if (seed % 3 === 1) for (const v of cols.values()) v.fill(NaN, Math.floor(n / 3), Math.floor(n / 3) + Math.min(25, n));
  return cols;
}

function input(fields: Map<string, Float32Array>, length: number): SeriesInput {
  return { length, field: (name) => fields.get(name)! };
}

function bits(v: Float32Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

describe('evaluateSegments', () => {
  const exprs = [...new Set([...alpha158Fields().fields, ...DEFAULT_LABEL.fields, ...alpha360Fields().fields, ...EXTRA])];
  for (const mode of ['default', 'qlib'] as ExprMode[]) {
    it(`gives each segment exactly what evaluateAll gives it alone (${mode} mode, Alpha158 + Alpha360 + every operator)`, () => {
      // Qlib mode refuses a few of the extras (pair-wise expanding windows): those are left out there.
      const usable = exprs.filter((e) => mode === 'default' || !e.includes(', 0)') || !e.startsWith('Corr'));
      const nodes = usable.map((e) => parseExpressionWith(e, { mode }));
      // Segment lengths shorter than most windows (a late listing), a routine's tails, and longer than every window.
      for (const [segments, n] of [
        [1, 25],
        [7, 1],
        [5, 3],
        [9, 21],
        [4, 61],
        [3, 130],
      ] as const) {
        const parts = Array.from({ length: segments }, (_, k) => market(1000 * n + k, n));
        const joined = new Map(FIELDS.map((f) => [f, new Float32Array(segments * n)]));
        parts.forEach((p, k) => {
          for (const f of FIELDS) joined.get(f)!.set(p.get(f)!, k * n);
        });
        const together = evaluateSegments(nodes, input(joined, segments * n), segments, { mode });
        expect(together.length).toBe(usable.length);
        const bad: string[] = [];
        parts.forEach((p, k) => {
          const alone = evaluateAll(nodes, input(p, n), { mode });
          alone.forEach((want, e) => {
            const got = together[e]!.subarray(k * n, (k + 1) * n);
            const w = bits(want);
            const g = bits(got);
            for (let t = 0; t < n; t++) {
              if (w[t] !== g[t]) {
                bad.push(`${n}-row segment ${k} row ${t} ${usable[e]}: ${got[t]} vs ${want[t]}`);
                break;
              }
            }
          });
        });
        expect(bad.slice(0, 10)).toEqual([]);
      }
    });
  }

  /**
   * Windowed kernels run once over all segments and restart at every boundary (kernels/window.ts):
   * segments built to catch state carried across one — all-NaN, constant, NaN runs at either end,
   * infinities, a price jump — next to ordinary ones, at lengths below, around and above the windows
   * (and above the sorted-window limit, where order statistics switch to trees segment by segment).
   */
  const WINDOWED = [
    'Rank($close, 0)',
    'Quantile($close, 0, 0.3)',
    'Med($close, 120)',
    'Mad($close, 50)',
    'Mad($close, 0)',
    'Rank($close, 110)',
    'WMA($close, 0)',
    'WMA($close/$open, 5)',
    'Count($close, 0)',
    'Skew($close, 5)',
    'Kurt($close, 0)',
    'Ref($close, 200)',
    'Ref($close, -7)',
    'Delta($close, 3)',
    'Delta($close, -2)',
    'EMA($close, 3)',
    'IdxMax($high, 0)',
    'IdxMin($volume/$close, 6)',
    'Slope($close, 0)',
    'Rsquare($close/$open, 4)',
    'Resi($close, 0)',
    'Cov($close, $volume, 0)',
    'Corr($close/$open, $volume/$low, 6)',
    'Std($close/Ref($close, 1), 3)',
  ];
  /** Qlib mode only: EMA's expanding form and windows below 1 (an EWM mean in Qlib). */
  const QLIB_WINDOWED = ['EMA($close, 0)', 'Mean($close, 0.5)', 'Max($high, 0.4)', 'Count($volume, 0.3)'];

  /** One segment's fields in a given shape. */
  function shaped(shape: string, seed: number, n: number): Map<string, Float32Array> {
    const cols = market(seed, n);
    const all = (f: (t: number) => number): void => {
      for (const [name, v] of cols) for (let t = 0; t < n; t++) v[t] = name === 'volume' ? Math.abs(f(t)) * 100 : f(t);
    };
    switch (shape) {
      case 'nan':
        all(() => NaN);
        break;
      case 'constant':
        all(() => 7.25);
        break;
      case 'nan-ends':
        for (const v of cols.values()) {
          v.fill(NaN, 0, Math.ceil(n / 4));
          v.fill(NaN, n - Math.ceil(n / 5));
        }
        break;
      case 'infinite':
        // Zero prices give infinite ratios: windowed operators read them as NaN.
        for (let t = 0; t < n; t += 4) cols.get('open')![t] = 0;
        for (let t = 1; t < n; t += 5) cols.get('low')![t] = 0;
        break;
      case 'jump':
        // A huge level, then ordinary prices: running sums rebuilt within the segment.
        for (const [name, v] of cols) for (let t = 0; t < n >> 1; t++) v[t] = name === 'volume' ? 1e9 : 1e7 + (t % 3);
        break;
    }
    return cols;
  }

  const SHAPES = ['plain', 'nan', 'constant', 'nan-ends', 'infinite', 'jump'];

  for (const mode of ['default', 'qlib'] as ExprMode[]) {
    it(`restarts every windowed kernel at segment boundaries (${mode} mode, NaN / constant / short / long segments)`, () => {
      const list = [...new Set([...alpha158Fields().fields, ...DEFAULT_LABEL.fields, ...EXTRA, ...WINDOWED, ...(mode === 'qlib' ? QLIB_WINDOWED : [])])];
      const usable = list.filter((e) => mode === 'default' || !(e.startsWith('Corr') || e.startsWith('Cov')) || !e.includes(', 0)'));
      const nodes = usable.map((e) => parseExpressionWith(e, { mode }));
      for (const [segments, n] of [
        [12, 2],
        [12, 9],
        [12, 64],
        [6, 150],
      ] as const) {
        const parts = Array.from({ length: segments }, (_, k) => shaped(SHAPES[k % SHAPES.length]!, 77 * n + k, n));
        const joined = new Map(FIELDS.map((f) => [f, new Float32Array(segments * n)]));
        parts.forEach((p, k) => {
          for (const f of FIELDS) joined.get(f)!.set(p.get(f)!, k * n);
        });
        const together = evaluateSegments(nodes, input(joined, segments * n), segments, { mode });
        const bad: string[] = [];
        parts.forEach((p, k) => {
          const alone = evaluateAll(nodes, input(p, n), { mode });
          alone.forEach((want, e) => {
            const w = bits(want);
            const g = bits(together[e]!.subarray(k * n, (k + 1) * n));
            const t = w.findIndex((b, i) => b !== g[i]);
            if (t >= 0) bad.push(`${n}-row ${SHAPES[k % SHAPES.length]} segment ${k} row ${t} ${usable[e]}`);
          });
        });
        expect(bad.slice(0, 10)).toEqual([]);
      }
    });
  }

  it('leaves the caller fields untouched and rejects rows that do not split into equal segments', () => {
    const p = market(3, 40);
    const copy = new Map([...p].map(([f, v]) => [f, v.slice()]));
    const nodes = ['Mean($close, 5)', 'Ref($close, 1)', '$close*2'].map((e) => parseExpressionWith(e, { mode: 'default' }));
    evaluateSegments(nodes, input(p, 40), 4);
    for (const f of FIELDS) expect(bits(p.get(f)!)).toEqual(bits(copy.get(f)!));
    expect(() => evaluateSegments(nodes, input(p, 40), 3)).toThrow(/equal segments/);
  });

  it('kernels given a segment length give each segment what they give its rows alone (float32 and float64 inputs)', () => {
    const r = rng(42);
    const n = 210;
    const x32 = new Float32Array(n);
    const y32 = new Float32Array(n);
    for (let t = 0; t < n; t++) {
      // NaN runs, constant and near-constant runs (Corr's std mask) and ordinary values, crossing segment boundaries.
      x32[t] = t % 23 < 4 ? NaN : t % 31 < 3 ? 3.5 : t % 31 < 9 ? 3.5 + (t % 3) * 2.5e-7 : 10 + 5 * r();
      y32[t] = t % 17 < 2 ? NaN : 100 * r();
    }
    const bad: string[] = [];
    for (const x of [x32, Float64Array.from(x32)] as Series[]) {
      const y: Series = x instanceof Float64Array ? Float64Array.from(y32) : y32;
      for (const seg of [1, 2, 7, 30, 105]) {
        for (const N of [0, 1, 3, 10, 40, 120]) {
          const cases: [string, (a: Series, b: Series, s: number) => Series][] = [
            ...(['sum', 'mean', 'var', 'std', 'skew', 'kurt'] as MomentStat[]).map(
              (st): [string, (a: Series, b: Series, s: number) => Series] => [st, (a, _b, s) => rollingMoments(a, N, st, f64Series, s)],
            ),
            ['count', (a, _b, s) => rollingCount(a, N, f64Series, s)],
            ['wma', (a, _b, s) => rollingWma(a, N, f64Series, s)],
            ['ewm', (a, _b, s) => ewmMean(a, 2 / (N + 2), f64Series, s)],
            ['ref', (a, _b, s) => shiftRows(a, N - 5, s)],
            ['delta', (a, _b, s) => deltaRows(a, N - 5, s)],
            ['stdInto', (a, _b, s) => rollingStdInto(a, N, new Float32Array(a.length), s)],
            ['corr', (a, b, s) => rollingPair(a, b, N, 'corr', f64Series, undefined, s)],
            ['cov', (a, b, s) => rollingPair(a, b, N, 'cov', f64Series, undefined, s)],
            ['max+idx', (a, _b, s) => {
              const out = new Float64Array(2 * a.length);
              rollingExtremumInto(a, N, true, out.subarray(0, a.length), out.subarray(a.length), s);
              return interleave(out, a.length);
            }],
            ['regression', (a, _b, s) => {
              const out = new Float64Array(3 * a.length);
              const L = a.length;
              rollingRegressionInto(a, N, { slope: out.subarray(0, L), rsquare: out.subarray(L, 2 * L), resi: out.subarray(2 * L) }, true, s);
              return interleave(out, L);
            }],
            ['order', (a, _b, s) => {
              const stats: [OrderStat, number][] = [['rank', 0], ['quantile', 0.8], ['median', 0.5], ['mad', 0]];
              const L = a.length;
              const out = new Float64Array(stats.length * L);
              const a32 = a instanceof Float32Array ? a : Float32Array.from(a);
              rollingOrderStatsInto(a32, N, stats.map(([stat, q], i) => ({ stat, q, out: out.subarray(i * L, (i + 1) * L) })), undefined, s);
              return interleave(out, L);
            }],
          ];
          for (const [name, kernel] of cases) {
            const together = kernel(x, y, seg);
            for (let lo = 0; lo < n; lo += seg) {
              const alone = kernel(x.subarray(lo, lo + seg), y.subarray(lo, lo + seg), seg);
              const k = together.length / n;
              const got = together.subarray(lo * k, (lo + seg) * k);
              if (!Object.is(got.length, alone.length) || got.some((v, i) => !Object.is(v, alone[i]))) {
                bad.push(`${name} N=${N} seg=${seg} at ${lo} (${x.constructor.name})`);
                break;
              }
            }
          }
        }
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
});

/** Several outputs of n rows each (one after the other) as one series ordered by row, so a segment is one slice. */
function interleave(out: Float64Array, n: number): Float64Array {
  const k = out.length / n;
  const rows = new Float64Array(out.length);
  for (let t = 0; t < n; t++) for (let i = 0; i < k; i++) rows[t * k + i] = out[i * n + t]!;
  return rows;
}
