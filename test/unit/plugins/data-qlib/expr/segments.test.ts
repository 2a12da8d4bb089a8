import { describe, expect, it } from 'vitest';
import { alpha158Fields, alpha360Fields, DEFAULT_LABEL } from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { evaluateAll, evaluateSegments, parseExpressionWith, type SeriesInput } from '../../../../../plugins/data-qlib/src/expr/index.js';
import type { ExprMode } from '../../../../../plugins/data-qlib/src/expr/operators.js';
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

  it('leaves the caller fields untouched and rejects rows that do not split into equal segments', () => {
    const p = market(3, 40);
    const copy = new Map([...p].map(([f, v]) => [f, v.slice()]));
    const nodes = ['Mean($close, 5)', 'Ref($close, 1)', '$close*2'].map((e) => parseExpressionWith(e, { mode: 'default' }));
    evaluateSegments(nodes, input(p, 40), 4);
    for (const f of FIELDS) expect(bits(p.get(f)!)).toEqual(bits(copy.get(f)!));
    expect(() => evaluateSegments(nodes, input(p, 40), 3)).toThrow(/equal segments/);
  });
});
