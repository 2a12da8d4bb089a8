import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll, parseExpression } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { naive } from './naive.js';
import { expectClose, f32, input, rng, walk } from './series.js';

const fr = Math.fround;

function run(expr: string, fields: Record<string, Float32Array>): Float32Array {
  return evaluate(parseExpression(expr), input(fields));
}

/** Values with the awkward cases: NaN, +-0, +-Infinity, 1, -1, negatives. */
function awkward(seed: number, n = 64): Float32Array {
  const r = rng(seed);
  const special = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 2];
  return f32(Array.from({ length: n }, (_, t) => (t < special.length * 2 && t % 2 === 0 ? special[t / 2]! : (r() - 0.4) * 50)));
}

const a = awkward(1);
const b = awkward(2).reverse();

/** numpy semantics written out per row (float32 operands, float32 result). */
const ROWWISE: [string, (x: number, y: number) => number][] = [
  ['$a + $b', (x, y) => fr(x + y)],
  ['$a - $b', (x, y) => fr(x - y)],
  ['$a * $b', (x, y) => fr(x * y)],
  ['$a / $b', (x, y) => fr(x / y)],
  ['-$a', (x) => -x],
  ['Abs($a)', (x) => Math.abs(x)],
  ['Sign($a)', (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0)],
  ['Log($a)', (x) => fr(Math.log(x))],
  ['Power($a, $b)', (x, y) => (x === 1 || (x === -1 && Math.abs(y) === Infinity) ? 1 : fr(x ** y))],
  ['Power($a, 2)', (x) => fr(x * x)],
  ['Greater($a, $b)', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y))],
  ['Less($a, $b)', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y))],
  // A series and a number (their own loops): either operand order, NaN and -0 as numpy's maximum/minimum.
  ['Greater($a, 0)', (x) => (Number.isNaN(x) ? NaN : Math.max(x, 0))],
  ['Greater(-0, $a)', (x) => (Number.isNaN(x) ? NaN : Math.max(-0, x))],
  ['Less($a, 0.5)', (x) => (Number.isNaN(x) ? NaN : Math.min(x, fr(0.5)))],
  ['Less(-0, $a)', (x) => (Number.isNaN(x) ? NaN : Math.min(-0, x))],
  ['$a > $b', (x, y) => (x > y ? 1 : 0)],
  ['$a >= $b', (x, y) => (x >= y ? 1 : 0)],
  ['$a < $b', (x, y) => (x < y ? 1 : 0)],
  ['$a <= $b', (x, y) => (x <= y ? 1 : 0)],
  ['$a == $b', (x, y) => (x === y ? 1 : 0)],
  ['$a != $b', (x, y) => (x !== y ? 1 : 0)],
  ['Gt($a, $b)', (x, y) => (x > y ? 1 : 0)],
  ['Ne($a, $b)', (x, y) => (x !== y ? 1 : 0)],
  ['($a > 0) & ($b > 0)', (x, y) => (x > 0 && y > 0 ? 1 : 0)],
  ['($a > 0) | ($b > 0)', (x, y) => (x > 0 || y > 0 ? 1 : 0)],
  ['Not($a > $b)', (x, y) => (x > y ? 0 : 1)],
  ['And($a, $b)', (x, y) => (x !== 0 && y !== 0 ? 1 : 0)],
  ['Or($a, $b)', (x, y) => (x !== 0 || y !== 0 ? 1 : 0)],
  ['Not($a)', (x) => (x !== 0 ? 0 : 1)],
  ['If($a > $b, $a, $b)', (x, y) => (x > y ? x : y)],
  ['If($a, 1, 0)', (x) => (x !== 0 ? 1 : 0)],
  ['$a * 1.1', (x) => fr(x * fr(1.1))],
  ['1 / $a', (x) => fr(1 / x)],
  ['$a - -1', (x) => fr(x + 1)],
];

describe('element-wise operators', () => {
  for (const [expr, f] of ROWWISE) {
    it(`${expr} row by row, as numpy on float32`, () => {
      const expected = Array.from(a, (x, t) => f(x, b[t]!));
      const actual = run(expr, { a, b });
      for (let t = 0; t < a.length; t++) {
        if (Number.isNaN(expected[t]!)) expect(actual[t], `${expr} row ${t} (${a[t]}, ${b[t]})`).toBeNaN();
        else expect(actual[t], `${expr} row ${t} (${a[t]}, ${b[t]})`).toBe(expected[t]);
      }
    });
  }

  it('does arithmetic on raw fields in float32: $volume + 1e-12 is $volume', () => {
    const volume = f32([123456, 1e7 + 3, 0.5, NaN]);
    expect(Array.from(run('$volume + 1e-12', { volume }))).toEqual(Array.from(volume));
    expect(Array.from(run('$volume / ($volume + 1e-12)', { volume }))).toEqual([1, 1, 1, NaN]);
    // float32, not float64: 16777216 + 1 rounds back
    expect(run('$x + 1', { x: f32([16777216]) })[0]).toBe(16777216);
  });

  it('compares with NaN as false, except != which is true', () => {
    const x = f32([NaN, 1]);
    const y = f32([1, NaN]);
    for (const op of ['>', '>=', '<', '<=', '==']) expect(Array.from(run(`$x ${op} $y`, { x, y }))).toEqual([0, 0]);
    expect(Array.from(run('$x != $y', { x, y }))).toEqual([1, 1]);
    expect(Array.from(run('$x == $x', { x }))).toEqual([0, 1]);
  });

  it('evaluates expressions of numbers only to a filled series', () => {
    const x = f32([1, 2, 3]);
    expect(Array.from(run('1 + 2', { x }))).toEqual([3, 3, 3]);
    expect(Array.from(run('If(1 > 2, 3, 4)', { x }))).toEqual([4, 4, 4]);
    expect(Array.from(run('1 / 0', { x }))).toEqual([Infinity, Infinity, Infinity]);
    expect(Array.from(run('$x * 0 + Log(1)', { x }))).toEqual([0, 0, 0]);
  });
});

describe('Ref and Delta', () => {
  const x = walk(3, 40);

  it('Ref shifts back for positive N, forward for negative N, NaN past the ends; Ref(x, 0) is x', () => {
    for (const N of [1, 3, -1, -5, 39, 40, 100, -100]) {
      expectClose(run(`Ref($x, ${N})`, { x }), naive.ref(x, N), { what: `Ref ${N}`, relTol: 0 });
    }
    expect(Array.from(run('Ref($x, 0)', { x }))).toEqual(Array.from(x));
    expect(Array.from(run('Ref($x, -1)', { x: f32([1, 2, 3]) }))).toEqual([2, 3, NaN]);
  });

  it('Delta is x - Ref(x, N) in float32; Delta(x, 0) subtracts the first non-NaN value', () => {
    for (const N of [1, 5, -2, 0, 60]) {
      expectClose(run(`Delta($x, ${N})`, { x }), naive.delta(x, N), { what: `Delta ${N}`, relTol: 0 });
    }
    expect(Array.from(run('Delta($x, 0)', { x: f32([NaN, 2, 5]) }))).toEqual([NaN, 0, 3]);
  });
});

describe('infinite values', () => {
  it('are missing values for windowed operators (pandas replaces them with NaN) but counted by Count', () => {
    const x = f32([1, Infinity, 3, -Infinity, 5, 2]);
    // pandas rolling(3, min_periods=1) on this series
    expectClose(run('Mean($x, 3)', { x }), [1, 1, 2, 3, 4, 3.5], { what: 'Mean' });
    expectClose(run('Std($x, 3)', { x }), [NaN, NaN, Math.SQRT2, NaN, Math.SQRT2, Math.sqrt(4.5)], { what: 'Std' });
    expectClose(run('Max($x, 3)', { x }), [1, 1, 3, 3, 5, 5], { what: 'Max' });
    expectClose(run('Rank($x, 3)', { x }), [1, NaN, 1, NaN, 1, 0.5], { what: 'Rank' });
    expectClose(run('Count($x, 3)', { x }), [1, 2, 3, 3, 3, 3], { what: 'Count' });
    expectClose(run('EMA($x, 3)', { x }), [1, 1, 2.6, 2.6, 4.42857143, 2.96226415], { what: 'EMA', relTol: 1e-6 });
    const y = f32([1, 2, 3, 4, 5, 7]);
    expectClose(run('Corr($x, $y, 3)', { x, y }), [NaN, NaN, 1, NaN, 1, -1], { what: 'Corr' });
    expectClose(run('Cov($x, $y, 3)', { x, y }), [NaN, NaN, 2, NaN, 2, -3], { what: 'Cov' });
    expect(run('Slope($x, 3)', { x })[5]).toBeCloseTo(-3, 5);
    // element-wise operators keep them
    expect(Array.from(run('Ref($x, 1)', { x }))).toEqual([NaN, 1, Infinity, 3, -Infinity, 5]);
  });
});

describe('evaluation results', () => {
  it('never alias the input arrays or each other', () => {
    const x = f32([1, 2, 3]);
    const direct = run('$x', { x });
    direct[0] = 99;
    expect(x[0]).toBe(1);
    const [p, q, r] = evaluateAll(['$x', '$x', 'Mean($x, 2)'].map(parseExpression), input({ x }));
    expect(p).not.toBe(q);
    expect(p).not.toBe(x);
    expect(Array.from(q!)).toEqual([1, 2, 3]);
    expect(Array.from(r!)).toEqual([1, 1.5, 2.5]);
  });

  it('shares equal sub-expressions within one evaluation', () => {
    let loads = 0;
    const x = walk(4, 30);
    const exprs = ['Mean($x, 5) / $x', 'Mean($x, 5) - Std($x, 5)', 'Std($x,5)'].map(parseExpression);
    const results = evaluateAll(exprs, {
      length: x.length,
      field: () => {
        loads++;
        return x;
      },
    });
    expect(loads).toBe(1);
    expectClose(results[2]!, naive.std(x, 5), { what: 'shared Std', absTol: 1e-6 });
  });

  it('rejects fields whose length is not the series length', () => {
    const bad = { length: 3, field: () => new Float32Array(2) };
    expect(() => evaluate(parseExpression('$close + 1'), bad)).toThrow(
      expect.objectContaining({ code: 'QONLINE_DATA_INVALID', message: expect.stringMatching(/\$close has 2 values but the series has 3 rows/) }),
    );
    expect(evaluate(parseExpression('Mean($x, 3)'), { length: 0, field: () => new Float32Array(0) })).toHaveLength(0);
  });
});
