import { describe, expect, it } from 'vitest';
import { compileExpression, evaluate, parseExpression } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { naive } from './naive.js';
import { expectClose, f32, flat, input, returns, rng, spike, ties, walk, windowScale } from './series.js';

/** The series every rolling operator is checked on. */
const SERIES: Record<string, Float32Array> = {
  walk: walk(1),
  returns: returns(2),
  ties: ties(3),
  flat: flat(),
  short: f32([NaN, 3, 1, 2]),
  allNaN: f32([NaN, NaN, NaN, NaN, NaN]),
  empty: f32([]),
  single: f32([5]),
};
const WINDOWS = [1, 2, 3, 5, 10, 200, 0];

type Scale = 'abs' | 'dev' | 'dev2' | 'sum' | 'one';

/** Operator, the naive reference and the unit its tolerance scales with. */
const SINGLE: [string, (x: Float32Array, N: number) => number[], Scale, number?][] = [
  ['Mean', naive.mean, 'abs'],
  ['Sum', naive.sum, 'sum'],
  ['Std', naive.std, 'dev'],
  ['Var', naive.var, 'dev2'],
  ['Skew', naive.skew, 'one', 3],
  ['Kurt', naive.kurt, 'one', 4],
  ['Max', naive.max, 'abs'],
  ['Min', naive.min, 'abs'],
  ['IdxMax', naive.idxmax, 'one'],
  ['IdxMin', naive.idxmin, 'one'],
  ['Med', naive.med, 'abs'],
  ['Mad', naive.mad, 'dev'],
  ['Rank', naive.rank, 'one'],
  ['Count', naive.count, 'one'],
  ['Slope', naive.slope, 'dev'],
  ['Rsquare', naive.rsquare, 'one'],
  ['Resi', naive.resi, 'dev'],
  ['WMA', naive.wma, 'abs'],
];

function scaleOf(x: Float32Array, N: number, kind: Scale): number[] {
  if (kind === 'one') return Array.from(x, () => 1);
  if (kind === 'dev2') return windowScale(x, N, 'dev').map((d) => d * d);
  if (kind === 'sum') {
    return windowScale(x, N, 'abs').map((a, t) => a * (N === 0 ? t + 1 : Math.min(N, t + 1)));
  }
  return windowScale(x, N, kind);
}

function run(expr: string, fields: Record<string, Float32Array>): Float32Array {
  return evaluate(parseExpression(expr), input(fields));
}

describe('rolling operators against naive O(n*w) references', () => {
  for (const [op, reference, scale, least] of SINGLE) {
    it(`${op} on gaps, leading NaNs, ties, flat runs, short/empty series and every window (0 = expanding)`, () => {
      for (const [name, x] of Object.entries(SERIES)) {
        for (const N of WINDOWS) {
          if (least && N !== 0 && N < least) continue;
          const what = `${op}($x, ${N}) on ${name}`;
          expectClose(run(`${op}($x, ${N})`, { x }), reference(x, N), {
            what,
            absTol: 1e-6,
            scale: scaleOf(x, N, scale),
          });
        }
      }
    });
  }

  it('Quantile at several levels, linear interpolation', () => {
    for (const [name, x] of Object.entries(SERIES)) {
      for (const N of WINDOWS) {
        for (const q of [0, 0.1, 0.25, 0.5, 0.8, 1]) {
          expectClose(run(`Quantile($x, ${N}, ${q})`, { x }), naive.quantile(x, N, q), {
            what: `Quantile($x, ${N}, ${q}) on ${name}`,
            absTol: 1e-6,
            scale: scaleOf(x, N, 'abs'),
          });
        }
      }
    }
  });

  it('Rank/Quantile/Med/Mad agree with the references on both sides of the small-window switch', () => {
    const r = rng(21);
    // Long enough for several blocks of the O(n log w) path (blocks of N rows, each ranked on its own).
    const x = f32(Array.from({ length: 1300 }, (_, t) => (t % 37 === 5 || (t > 700 && t < 760) ? NaN : Math.round(r() * 60) / 4 + (t > 900 ? 1e4 : 0))));
    for (const N of [39, 40, 41, 48, 64, 99, 100, 101, 120, 250, 599]) {
      for (const [op, reference] of [
        ['Rank', naive.rank],
        ['Med', naive.med],
        ['Mad', naive.mad],
        ['Quantile', (v: Float32Array, w: number) => naive.quantile(v, w, 0.3)],
      ] as const) {
        const expr = op === 'Quantile' ? `Quantile($x, ${N}, 0.3)` : `${op}($x, ${N})`;
        expectClose(run(expr, { x }), reference(x, N), { what: expr, absTol: 1e-6, scale: scaleOf(x, N, 'abs') });
      }
    }
  });

  it('Corr and Cov over pairwise-complete rows, Corr masked where a side is near-constant', () => {
    const pairs: [string, Float32Array, Float32Array][] = [
      ['walk/walk', walk(1), walk(5)],
      ['walk/returns', walk(7, 90), returns(8)],
      ['flat/walk', flat(), walk(9, 50)],
      ['ties/ties', ties(3), ties(4)],
      ['short', f32([NaN, 3, 1, 2]), f32([1, NaN, 2, 5])],
    ];
    for (const [name, a, b] of pairs) {
      for (const N of WINDOWS) {
        const dev = windowScale(a, N, 'dev').map((d, t) => d * windowScale(b, N, 'dev')[t]!);
        expectClose(run(`Cov($a, $b, ${N})`, { a, b }), naive.cov(a, b, N), {
          what: `Cov(${N}) on ${name}`,
          absTol: 1e-6,
          scale: dev,
        });
        expectClose(run(`Corr($a, $b, ${N})`, { a, b }), naive.corr(a, b, N), {
          what: `Corr(${N}) on ${name}`,
          absTol: 1e-6,
        });
      }
    }
  });

  it('EMA with spans and alphas, NaN rows carrying the previous value', () => {
    for (const [name, x] of Object.entries(SERIES)) {
      for (const N of [1, 2, 5, 10.5, 30, 0.3, 0.05]) {
        const alpha = N >= 1 ? 2 / (N + 1) : N;
        expectClose(run(`EMA($x, ${N})`, { x }), naive.ema(x, alpha), {
          what: `EMA($x, ${N}) on ${name}`,
          absTol: 1e-6,
          scale: scaleOf(x, 0, 'abs'),
        });
      }
    }
  });

  describe('stays exact to float32 after a 1e8 or 1e15 spike leaves the window (running-sum drift is rebuilt)', () => {
    const spikes = [spike(1e8), spike(1e15)];
    const x = spikes[0]!;
    const y = returns(4, x.length);
    for (const [op, reference, scale] of SINGLE) {
      it(op, () => {
        for (const [N, x] of [5, 20, 0].flatMap((N) => spikes.map((s) => [N, s] as const))) {
          if ((op === 'Skew' && N < 3) || (op === 'Kurt' && N < 4)) continue;
          expectClose(run(`${op}($x, ${N})`, { x }), reference(x, N), {
            what: `${op}($x, ${N}) after a spike`,
            relTol: 2e-6,
            absTol: 1e-6,
            scale: scaleOf(x, N, scale),
          });
        }
      });
    }
    it('Cov and Corr', () => {
      for (const [N, x] of [5, 20, 0].flatMap((N) => spikes.map((s) => [N, s] as const))) {
        for (const [a, b] of [
          [x, y],
          [y, x],
        ] as const) {
          expectClose(run(`Cov($a, $b, ${N})`, { a, b }), naive.cov(a, b, N), {
            what: `Cov after a spike`,
            relTol: 2e-6,
            absTol: 1e-6,
            scale: windowScale(a, N, 'dev').map((d, t) => d * windowScale(b, N, 'dev')[t]!),
          });
          expectClose(run(`Corr($a, $b, ${N})`, { a, b }), naive.corr(a, b, N), {
            what: `Corr after a spike`,
            relTol: 2e-6,
            absTol: 1e-6,
          });
        }
      }
    });
    it('the tail (values ~1e-3, spike long gone) matches tightly, not just within the spike\'s scale', () => {
      const std = run('Std($x, 5)', { x });
      const ref = naive.std(x, 5);
      for (let t = 50; t < x.length; t++) expect(Math.abs(std[t]! - ref[t]!) / ref[t]!).toBeLessThan(1e-6);
    });
  });

  it('keeps precision on a long trending series (prices drifting 10 -> 1000)', () => {
    const n = 3000;
    const x = f32(Array.from({ length: n }, (_, t) => 10 * Math.exp((t / n) * Math.log(100)) * (1 + 0.01 * Math.sin(t))));
    for (const [op, reference, scale] of SINGLE.filter(([o]) => ['Std', 'Var', 'Skew', 'Kurt', 'Slope', 'Resi', 'Rsquare', 'WMA', 'Mad'].includes(o))) {
      expectClose(run(`${op}($x, 20)`, { x }), reference(x, 20), {
        what: `${op}($x, 20) on a long trend`,
        relTol: 2e-6,
        absTol: 1e-6,
        scale: scaleOf(x, 20, scale),
      });
    }
  });
});

describe('rolling edge rules', () => {
  it('gives a value as soon as the window holds one non-NaN (min periods 1)', () => {
    const x = f32([NaN, NaN, 4, NaN, 6]);
    expect(Array.from(run('Mean($x, 3)', { x }))).toEqual([NaN, NaN, 4, 4, 5]);
    expect(Array.from(run('Max($x, 2)', { x }))).toEqual([NaN, NaN, 4, 4, 6]);
    expect(Array.from(run('Std($x, 3)', { x }))).toEqual([NaN, NaN, NaN, NaN, Math.fround(Math.SQRT2)]);
  });

  it('Count of an all-NaN window is 0, Sum of one is NaN', () => {
    const x = f32([1, NaN, NaN, NaN, 2]);
    expect(Array.from(run('Count($x, 2)', { x }))).toEqual([1, 1, 0, 0, 1]);
    expect(Array.from(run('Sum($x, 2)', { x }))).toEqual([1, 1, NaN, NaN, 2]);
  });

  it('Skew and Kurt of identical values are 0 and -3; Std/Var are exactly 0', () => {
    const x = f32([3.3, 3.3, NaN, 3.3, 3.3, 3.3]);
    expect(Array.from(run('Skew($x, 5)', { x }))).toEqual([NaN, NaN, NaN, 0, 0, 0]);
    expect(Array.from(run('Kurt($x, 5)', { x }))).toEqual([NaN, NaN, NaN, NaN, -3, -3]);
    expect(Array.from(run('Std($x, 0)', { x }))).toEqual([NaN, 0, 0, 0, 0, 0]);
    expect(Array.from(run('Mad($x, 3)', { x }))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('Skew/Kurt are NaN when the variance is <= 1e-14 (pandas), even for distinct values', () => {
    const x = f32([1e-8, 2e-8, 1.5e-8, 3e-8, 1e-8]);
    expect(Array.from(run('Skew($x, 5)', { x })).every(Number.isNaN)).toBe(true);
    expect(Array.from(run('Kurt($x, 5)', { x })).every(Number.isNaN)).toBe(true);
  });

  it('IdxMax/IdxMin are 1-based from the oldest row of the window, ties to the oldest, NaN rows counted', () => {
    const x = f32([2, 5, 5, NaN, 1, 5]);
    expect(Array.from(run('IdxMax($x, 3)', { x }))).toEqual([1, 2, 2, 1, 1, 3]);
    expect(Array.from(run('IdxMin($x, 3)', { x }))).toEqual([1, 1, 1, 1, 3, 2]);
    expect(Array.from(run('IdxMax($x, 0)', { x }))).toEqual([1, 2, 2, 2, 2, 2]);
  });

  it('Rank is the average rank of the current value over the count; NaN current value gives NaN', () => {
    const x = f32([3, 1, 2, 2, 1, 3, NaN]);
    // pandas rolling(4).rank(pct=True) on [3,1,2,2,1,3]: 1, .5, 2/3, .625, .375, 1
    expectClose(run('Rank($x, 4)', { x }), [1, 0.5, 2 / 3, 0.625, 0.375, 1, NaN], { what: 'Rank' });
  });

  it('Quantile/Med interpolate between order statistics', () => {
    const x = f32([4, 1, 3, 2]);
    expectClose(run('Quantile($x, 4, 0.25)', { x }), [4, 1.75, 2, 1.75], { what: 'Quantile' });
    expectClose(run('Med($x, 4)', { x }), [4, 2.5, 3, 2.5], { what: 'Med' });
  });

  it('WMA divides the normalised weighted sum by the count of non-NaN values, as Qlib does', () => {
    const x = f32([10, 10, 10]);
    // full window, no NaN: (1+2+3)/6 * 10 / 3
    expect(run('WMA($x, 3)', { x })[2]).toBeCloseTo(10 / 3, 5);
    const y = f32([2, NaN, 4]);
    // weights 1/6, 2/6, 3/6; nanmean over the two valid products
    expect(run('WMA($x, 3)', { x: y })[2]).toBeCloseTo((2 / 6 + (3 / 6) * 4) / 2, 6);
  });

  it('EMA matches pandas ewm(span=3, adjust=True) through NaN rows', () => {
    const x = f32([1, NaN, 2, 5, NaN, 3]);
    expectClose(run('EMA($x, 3)', { x }), [1, 1, 1.8, 3.76923077, 3.76923077, 3.22222222], {
      what: 'EMA',
      relTol: 1e-6,
    });
  });

  it('Slope/Rsquare/Resi skip NaN rows but keep their positions', () => {
    const x = f32([1, NaN, 3, 4]);
    // window 4 at row 3: points (1,1), (3,3), (4,4): a perfect line of slope 1
    expect(run('Slope($x, 4)', { x })[3]).toBeCloseTo(1, 6);
    expect(run('Rsquare($x, 4)', { x })[3]).toBeCloseTo(1, 6);
    expect(run('Resi($x, 4)', { x })[3]).toBeCloseTo(0, 6);
    expect(Number.isNaN(run('Resi($x, 4)', { x: f32([1, 2, NaN]) })[2]!)).toBe(true);
    // Rsquare is NaN on a (near-)constant window
    expect(Number.isNaN(run('Rsquare($x, 3)', { x: f32([5, 5, 5.00001]) })[2]!)).toBe(true);
  });

  it('a window longer than the series behaves like an expanding window', () => {
    const x = walk(11, 30);
    for (const op of ['Mean', 'Std', 'Rank', 'IdxMax', 'Slope', 'WMA', 'Med']) {
      expect(Array.from(run(`${op}($x, 1000)`, { x }))).toEqual(Array.from(run(`${op}($x, 0)`, { x })));
    }
  });

  it('compiled expressions evaluate like evaluate(parse(...))', () => {
    const x = walk(12, 40);
    const c = compileExpression('Corr($x, Mean($x, 3), 5)');
    expect(Array.from(c.evaluate(input({ x })))).toEqual(Array.from(run('Corr($x, Mean($x, 3), 5)', { x })));
  });
});
