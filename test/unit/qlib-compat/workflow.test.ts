import { describe, expect, it } from 'vitest';
import { isWorkflowConfig, qlibLabel, signalAnalysis } from '../../../core/index.js';

describe('Qlib workflow helpers', () => {
  it('tells a workflow file from a pipeline config', () => {
    expect(isWorkflowConfig({ qlib_init: {}, task: {} })).toBe(true);
    expect(isWorkflowConfig({ task: {}, manager: { name: 'x' } })).toBe(false);
    expect(isWorkflowConfig({ manager: { name: 'x' }, strategies: [] })).toBe(false);
  });

  it("reads Qlib's label forms", () => {
    expect(qlibLabel(['Ref($close, -1)', '$close'])).toEqual({ LABEL0: 'Ref($close, -1)', LABEL1: '$close' });
    expect(qlibLabel([['Ref($close, -2)'], ['RET']])).toEqual({ RET: 'Ref($close, -2)' });
    expect(qlibLabel({ A: '$close' })).toEqual({ A: '$close' });
  });

  it("computes SigAnaRecord's figures as Qlib does (hand-computed)", () => {
    // Two days, five instruments each; day 1 labels follow the predictions exactly, day 2 reversed.
    const dates = ['d1', 'd1', 'd1', 'd1', 'd1', 'd2', 'd2', 'd2', 'd2', 'd2'];
    const instruments = ['a', 'b', 'c', 'd', 'e', 'a', 'b', 'c', 'd', 'e'];
    const pred = { dates, instruments, scores: Float64Array.from([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]) };
    const label = { dates, instruments, scores: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.4, 0.3, 0.2, 0.0]) };
    const r = signalAnalysis(pred, label, { ana_long_short: true, ann_scaler: 252 });
    // Daily IC: +1 and -1 (day 2 labels are linear in -pred except e; Pearson computed below).
    const y2 = [0.5, 0.4, 0.3, 0.2, 0.0];
    const mx = 3;
    const my = y2.reduce((a, b) => a + b) / 5;
    const cov = [1, 2, 3, 4, 5].reduce((a, x, i) => a + (x - mx) * (y2[i]! - my), 0);
    const ic2 = cov / Math.sqrt(10 * y2.reduce((a, v) => a + (v - my) ** 2, 0));
    expect(r['IC']).toBeCloseTo((1 + ic2) / 2, 12);
    expect(r['Rank IC']).toBeCloseTo(0, 12);
    const sd = Math.abs(1 - ic2) / Math.SQRT2;
    expect(r['ICIR']).toBeCloseTo((1 + ic2) / 2 / sd, 10);
    // Top/bottom 20% = one instrument: day 1 (0.5 - 0.1)/2 = 0.2, day 2 (0.0 - 0.5)/2 = -0.25.
    expect(r['Long-Short Ann Return']).toBeCloseTo(((0.2 - 0.25) / 2) * 252, 10);
    const lsSd = Math.abs(0.2 + 0.25) / Math.SQRT2;
    expect(r['Long-Short Ann Sharpe']).toBeCloseTo(((0.2 - 0.25) / 2 / lsSd) * Math.sqrt(252), 10);
    expect(r['Long-Avg Ann Return']).toBeCloseTo(((0.3 + 0.28) / 2) * 252, 10);
  });
});
