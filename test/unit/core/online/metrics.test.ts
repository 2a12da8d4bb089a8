import { describe, expect, it } from 'vitest';
import { dailyIc, pearson, ranks } from '../../../../core/online/metrics.js';

/** Average ranks by the definition: 1 + (values below) + (other values equal) / 2. */
function ranksByDefinition(x: number[]): number[] {
  return x.map((v) => {
    let below = 0;
    let equal = 0;
    for (const w of x) {
      if (w < v) below++;
      else if (w === v) equal++;
    }
    return 1 + below + (equal - 1) / 2;
  });
}

describe('ranks', () => {
  it('gives 1-based average ranks, ties sharing their mean rank', () => {
    expect(ranks([30, 10, 20, 10])).toEqual([4, 1.5, 3, 1.5]);
    expect(ranks([0, -0, 5])).toEqual([1.5, 1.5, 3]);
    expect(ranks([])).toEqual([]);
  });

  it('equals the definition bit for bit on random values with many ties', () => {
    let s = 3;
    const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
    for (const n of [1, 2, 7, 300, 1001]) {
      const x = Array.from({ length: n }, () => (rnd() < 0.3 ? Math.round(rnd() * 5) - 2 : rnd() * 10 - 5));
      const got = ranks(x);
      const want = ranksByDefinition(x);
      expect(got.every((g, i) => Object.is(g, want[i]))).toBe(true);
    }
  });

  it('keeps ranking values that are not finite (infinities sort to the ends)', () => {
    expect(ranks([Infinity, 1, -Infinity, 2])).toEqual([4, 2, 1, 3]);
  });

  it('feeds the daily rank IC: one date of perfectly ordered predictions has rank IC 1', () => {
    const dates = ['d1', 'd1', 'd1', 'd1', 'd2', 'd2', 'd2'];
    const pred = [1, 2, 3, 4, 3, 2, 1];
    const label = [0.1, 0.5, 0.6, 9, 1, 2, 3];
    const r = dailyIc(dates, pred, label);
    expect(r.series.map((d) => d.rankIc)).toEqual([1, -1]);
    expect(r.series[0]!.ic).toBeCloseTo(pearson([1, 2, 3, 4], [0.1, 0.5, 0.6, 9]), 12);
  });
});
