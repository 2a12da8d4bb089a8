import { describe, expect, it } from 'vitest';
import { riskAnalysis } from '../../../../core/report/risk.js';
import { PyRandom } from '../../../../plugins/backtest/index.js';
import { pyFloorDiv } from '../../../../plugins/backtest/src/py-math.js';

describe('riskAnalysis (Qlib risk_analysis), hand-computed', () => {
  it('sum mode: NaN skipped, ddof 1, drawdown of the cumulated sum from its running peak', () => {
    const r = [-0.01, 0.02, NaN, -0.03, 0.01];
    const res = riskAnalysis(r);
    const mean = (-0.01 + 0.02 - 0.03 + 0.01) / 4; // -0.0025
    const std = Math.sqrt((0.0075 ** 2 + 0.0225 ** 2 + 0.0275 ** 2 + 0.0125 ** 2) / 3);
    expect(res.mean).toBeCloseTo(mean, 15);
    expect(res.std).toBeCloseTo(std, 15);
    expect(res.annualized_return).toBeCloseTo(mean * 238, 13);
    expect(res.information_ratio).toBeCloseTo((mean / std) * Math.sqrt(238), 12);
    // cumsum -0.01, 0.01, -0.02, -0.01; peak 0.01 -> worst -0.03
    expect(res.max_drawdown).toBeCloseTo(-0.03, 15);
  });

  it('a first-day loss is not a drawdown (no implicit 0 / 1 before the curve)', () => {
    expect(riskAnalysis([-0.05, 0.01]).max_drawdown).toBe(0);
    expect(riskAnalysis([-0.05, 0.01], { mode: 'product' }).max_drawdown).toBe(0);
  });

  it('N overrides the frequency scaler; week and month scalers', () => {
    const r = [0.01, 0.03];
    expect(riskAnalysis(r, { N: 12 }).annualized_return).toBeCloseTo(0.02 * 12, 14);
    expect(riskAnalysis(r, { freq: 'week' }).annualized_return).toBeCloseTo(0.02 * 50, 14);
    expect(riskAnalysis(r, { freq: 'month' }).information_ratio).toBeCloseTo((0.02 / Math.sqrt(0.0002)) * Math.sqrt(12), 12);
  });

  it('product mode: geometric mean over len(r) including NaN days, std of log returns, compounded drawdown', () => {
    const r = [-0.05, 0.1, NaN, -0.02];
    const res = riskAnalysis(r, { mode: 'product' });
    const last = 0.95 * 1.1 * 0.98; // 1.0241
    expect(res.mean).toBeCloseTo(last ** (1 / 4) - 1, 15);
    expect(res.annualized_return).toBeCloseTo(last ** (238 / 4) - 1, 12);
    const logs = [Math.log(0.95), Math.log(1.1), Math.log(0.98)];
    const lm = (logs[0]! + logs[1]! + logs[2]!) / 3;
    expect(res.std).toBeCloseTo(Math.sqrt(logs.reduce((a, x) => a + (x - lm) ** 2, 0) / 2), 15);
    // peak 1.045 then 1.0241: 1.0241 / 1.045 - 1 = -0.02
    expect(res.max_drawdown).toBeCloseTo(-0.02, 14);
    expect(res.information_ratio).toBeCloseTo((res.mean / res.std) * Math.sqrt(238), 12);
  });

  it('product mode: a NaN last day makes the compounded end NaN, as pandas cumprod', () => {
    expect(riskAnalysis([0.01, NaN], { mode: 'product' }).mean).toBeNaN();
  });
});

describe('Python semantics', () => {
  it('random.seed(0); random.shuffle(range(n)) as CPython 3 (values printed by python3)', () => {
    const expected: Record<number, number[]> = {
      1: [0],
      2: [0, 1],
      3: [0, 2, 1],
      5: [2, 1, 0, 4, 3],
      10: [7, 8, 1, 5, 3, 4, 2, 0, 9, 6],
      30: [3, 10, 18, 17, 5, 0, 7, 26, 29, 14, 20, 25, 21, 2, 19, 4, 23, 6, 11, 22, 9, 28, 15, 16, 8, 1, 13, 24, 12, 27],
    };
    for (const [n, want] of Object.entries(expected)) {
      const a = Array.from({ length: Number(n) }, (_, i) => i);
      expect(new PyRandom(0).shuffle(a)).toEqual(want);
    }
  });

  it('float floor division', () => {
    expect(pyFloorDiv(199.7, 100)).toBe(1);
    expect(pyFloorDiv(-0.5, 100)).toBe(-1);
    expect(pyFloorDiv(300.1, 100)).toBe(3);
    expect(pyFloorDiv(99.99999999, 100)).toBe(0);
  });
});
