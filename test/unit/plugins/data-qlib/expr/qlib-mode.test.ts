import { describe, expect, it } from 'vitest';
import {
  evaluate,
  parseExpression,
  parseExpressionWith,
  qlibLeftExtent,
  qlibStartDependent,
} from '../../../../../plugins/data-qlib/src/expr/index.js';
import { f32, input } from './series.js';

/** Hand-computed values of Qlib's behaviour (qlib/data/ops.py) where qonline's default differs. */
function qlib(expr: string, x: number[]): number[] {
  return [...evaluate(parseExpressionWith(expr, { mode: 'qlib' }), input({ x: f32(x) }), { mode: 'qlib' })];
}
function dflt(expr: string, x: number[]): number[] {
  return [...evaluate(parseExpression(expr), input({ x: f32(x) }))];
}
function close(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    if (Number.isNaN(expected[i]!)) expect(v, `row ${i}`).toBeNaN();
    else expect(v, `row ${i}`).toBeCloseTo(expected[i]!, 5);
  });
}
const N = NaN;

describe('expressions: qlib', () => {
  it('Ref(x, 0) repeats the first loaded value, NaN included', () => {
    close(qlib('Ref($x, 0)', [3, 2, 4, N, 1]), [3, 3, 3, 3, 3]);
    close(qlib('Ref($x, 0)', [N, 2, 4]), [N, N, N]);
    close(dflt('Ref($x, 0)', [3, 2, 4, N, 1]), [3, 2, 4, N, 1]);
  });

  it('Delta(x, 0) subtracts the first loaded value, even NaN', () => {
    close(qlib('Delta($x, 0)', [3, 2, 4, N, 1]), [0, -1, 1, N, -2]);
    close(qlib('Delta($x, 0)', [N, 2, 4]), [N, N, N]);
    close(dflt('Delta($x, 0)', [N, 2, 4]), [N, 0, 2]);
  });

  it('a window between 0 and 1 is ewm(alpha=N).mean() for the base rolling operators', () => {
    // weights by absolute row, NaN rows keep their place: t4 = (3/16 + 2/8 + 4/4 + 1)/(1/16 + 1/8 + 1/4 + 1)
    const ewm = [3, 3.5 / 1.5, 5.75 / 1.75, 5.75 / 1.75, 2.4375 / 1.4375];
    for (const op of ['Mean', 'Max', 'Std', 'Count', 'Sum', 'Min', 'Var', 'Med']) close(qlib(`${op}($x, 0.5)`, [3, 2, 4, N, 1]), ewm);
    expect(() => parseExpression('Mean($x, 0.5)')).toThrow(/EMA\(x, 0.5\)/);
    expect(() => parseExpressionWith('Quantile($x, 0.5, 0.5)', { mode: 'qlib' })).toThrow(/Quantile/);
    expect(() => parseExpressionWith('IdxMax($x, 0.5)', { mode: 'qlib' })).toThrow(/Qlib itself fails on IdxMax/);
  });

  it('EMA(x, 0) reweights all loaded rows with alpha 2/(L+1)', () => {
    // L=2: a=1/3, w=(1/3, 1): (1 + 2)/(4/3); L=4: a=0.6, w=(.216,.36,.6,1) over all rows, NaN row skipped in the sum
    close(qlib('EMA($x, 0)', [3, 2, 4, N, 1]), [3, 2.25, 3.2857142857, 3.768 / 2.176, 1.5213270142]);
    close(qlib('EMA($x, 0)', [N, N, 5]), [N, N, (5 * 1) / (0.25 + 0.5 + 1)]);
    expect(() => parseExpression('EMA($x, 0)')).toThrow(/EMA/);
  });

  it('IdxMax/IdxMin: a NaN in the window is the extreme (numpy argmax), no value at all is NaN', () => {
    const x = [3, 2, 4, N, 1, 5];
    close(qlib('IdxMax($x, 3)', x), [1, 1, 3, 3, 2, 1]);
    close(dflt('IdxMax($x, 3)', x), [1, 1, 3, 2, 1, 3]);
    close(qlib('IdxMin($x, 3)', x), [1, 2, 2, 3, 2, 1]);
    close(qlib('IdxMax($x, 0)', x), [1, 1, 3, 4, 4, 4]);
    close(qlib('IdxMax($x, 2)', [N, N, 1, 2]), [N, N, 1, 2]);
  });

  it('Rsquare(x, 0) is not masked near a constant window', () => {
    // y = 1,1,1,1+d against x = 1..4: sxy = 1.5d, sxx = 5, syy = 0.75d² -> r² = 0.6
    const y = [1, 1, 1, 1.00001];
    expect(dflt('Rsquare($x, 0)', y)[3]).toBeNaN();
    expect(qlib('Rsquare($x, 0)', y)[3]).toBeCloseTo(0.6, 3);
    expect(qlib('Rsquare($x, 4)', y)[3]).toBeNaN();
  });

  it('Corr/Cov with window 0 are refused, as Qlib fails on them', () => {
    expect(() => parseExpressionWith('Corr($x, $y, 0)', { mode: 'qlib' })).toThrow(/Corr\(x, y, 0\)/);
    expect(() => parseExpression('Corr($x, $y, 0)')).not.toThrow();
  });

  it('computes Qlib\'s left extent and which expressions depend on where loading started', () => {
    expect(qlibLeftExtent(parseExpression('Mean(Ref($x, 2), 5)'))).toBe(6);
    expect(qlibLeftExtent(parseExpression('Delta($x, 1)'))).toBe(0);
    expect(qlibLeftExtent(parseExpression('Ref($x, 0) + Ref($x, 3)'))).toBe(3);
    expect(qlibLeftExtent(parseExpressionWith('Mean($x, 0.5)', { mode: 'qlib' }))).toBe(18);
    expect(qlibLeftExtent(parseExpression('EMA($x, 12)'))).toBe(11);
    expect(qlibStartDependent(parseExpression('Mean(Ref($x, 1), 5) / $x'))).toBe(false);
    for (const e of ['Ref($x, 0)', 'Mean($x, 0)', 'EMA($x, 5)', 'Delta($x, 1)', 'Abs(Max($x, 0))']) {
      expect(qlibStartDependent(parseExpression(e)), e).toBe(true);
    }
  });
});
