import { describe, expect, it } from 'vitest';
import { CSRankNorm, CSZFillna, CSZScoreNorm, ProcessInf } from '../../../../../plugins/data-qlib/src/processors/index.js';
import { column, f32, makeFrame, randomFrame } from './make-frame.js';

/** Feature A over dates: each inner list is one date's instruments. */
function byDate(days: number[][], labels?: number[][]) {
  const rows: [string, string, number[], number[]][] = [];
  days.forEach((vals, d) =>
    vals.forEach((v, i) => rows.push([`2020-02-${String(d + 10)}`, `I${i}`, [v], [labels ? labels[d]![i]! : 0]])),
  );
  return makeFrame(['A'], ['LABEL0'], rows);
}

/** pandas rank(pct=True), average ties, NaN kept: O(n^2) on purpose. */
function naiveRankNorm(xs: number[]): number[] {
  const valid = xs.filter((x) => !Number.isNaN(x));
  return xs.map((x) => {
    if (Number.isNaN(x)) return NaN;
    const below = valid.filter((y) => y < x).length;
    const equal = valid.filter((y) => y === x).length;
    const avgRank = below + (equal + 1) / 2;
    return (avgRank / valid.length - 0.5) * 3.46;
  });
}

function naiveZ(xs: number[]): number[] {
  const v = xs.filter((x) => !Number.isNaN(x));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return xs.map((x) => (x - mean) / std);
}

/** Splits a column into per-date groups of values. */
function groups(frame: ReturnType<typeof byDate>, name: string): number[][] {
  const col = column(frame, name);
  const out: number[][] = [];
  col.forEach((v, r) => (out[frame.rowDate[r]!] ??= []).push(v));
  return out.filter(Boolean);
}

describe('CSRankNorm', () => {
  it('ranks within each date with average ties and keeps NaN', () => {
    const frame = byDate([
      [3, 1, 3, NaN, 2],
      [5, 7],
    ]);
    const out = column(new CSRankNorm({ fields_group: 'feature' }).apply(frame), 'A');
    // date 1: four values, ranks 1 -> 1, 2 -> 2, the two 3s -> 3.5
    const n = (r: number, count: number) => f32((r / count - 0.5) * 3.46);
    expect(out).toEqual([n(3.5, 4), n(1, 4), n(3.5, 4), NaN, n(2, 4), n(1, 2), n(2, 2)]);
    // labels untouched with fields_group feature
    expect(column(frame, 'LABEL0')).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('matches a naive rank on a random frame, every column when fields_group is null', () => {
    const frame = randomFrame(11, 6, 80, 2);
    const out = new CSRankNorm().apply(frame);
    for (const name of ['F0', 'F1', 'LABEL0']) {
      const expected = groups(frame, name).flatMap(naiveRankNorm).map(f32);
      expect(column(out, name)).toEqual(expected);
    }
  });
});

describe('CSZScoreNorm', () => {
  it('zscore uses the per-date sample std (ddof 1)', () => {
    const frame = byDate(
      [[1, 2, 3], [10, NaN, 14, 12], [7]],
      [[0, 0, 0], [0, 0, 0, 0], [0]],
    );
    const out = column(new CSZScoreNorm({ fields_group: 'feature' }).apply(frame), 'A');
    // [10, 12, 14]: mean 12, std 2
    expect(out.slice(0, 7)).toEqual([-1, 0, 1, -1, NaN, 1, 0]);
    expect(out[7]).toBeNaN(); // one value: no sample std
  });

  it('zscore of a date whose values are all equal is NaN, as pandas gives', () => {
    const out = column(new CSZScoreNorm({ fields_group: 'feature' }).apply(byDate([[0.1, 0.1, 0.1]])), 'A');
    expect(out.every(Number.isNaN)).toBe(true);
  });

  it('matches a naive z-score on a random frame for the label group', () => {
    const frame = randomFrame(5, 6, 25, 2);
    const out = new CSZScoreNorm({ fields_group: 'label' }).apply(frame);
    const expected = groups(frame, 'LABEL0').flatMap(naiveZ);
    column(out, 'LABEL0').forEach((v, i) => {
      if (Number.isNaN(expected[i]!)) expect(v).toBeNaN();
      else expect(v).toBeCloseTo(expected[i]!, 5);
    });
    expect(Array.from(out.features)).toEqual(Array.from(frame.features));
  });

  it('accepts a list of groups', () => {
    const frame = byDate([[1, 2, 3]], [[2, 4, 6]]);
    const out = new CSZScoreNorm({ fields_group: ['feature', 'label'] }).apply(frame);
    expect(column(out, 'A')).toEqual([-1, 0, 1]);
    expect(column(out, 'LABEL0')).toEqual([-1, 0, 1]);
  });

  it('robust uses median and MAD * 1.4826 per date, clipped, without epsilon', () => {
    const frame = byDate([
      [1, 2, 3, 4, 100],
      [5, 5, 5],
    ]);
    const out = column(new CSZScoreNorm({ fields_group: 'feature', method: 'robust' }).apply(frame), 'A');
    // date 1: median 3, MAD 1
    expect(out.slice(0, 5)).toEqual([-2, -1, 0, 1].map((d) => f32(d / 1.4826)).concat([3]));
    // date 2: MAD 0 -> 0 / 0 is NaN
    expect(out.slice(5).every(Number.isNaN)).toBe(true);
  });
});

describe('ProcessInf', () => {
  it('replaces infinities by the date mean of the finite values of the column', () => {
    const frame = byDate(
      [
        [1, Infinity, 3, NaN],
        [-Infinity, Infinity],
      ],
      [
        [Infinity, 2, 4, 0],
        [1, 1],
      ],
    );
    const out = new ProcessInf().apply(frame);
    expect(column(out, 'A')).toEqual([1, 2, 3, NaN, NaN, NaN]);
    expect(column(out, 'LABEL0')).toEqual([2, 2, 4, 0, 1, 1]);
  });
});

describe('CSZFillna', () => {
  it('fills NaN with the date mean of the column', () => {
    const out = column(new CSZFillna().apply(byDate([[1, NaN, 3], [NaN, NaN]])), 'A');
    expect(out).toEqual([1, 2, 3, NaN, NaN]);
  });
});

describe('cross-sectional input checks', () => {
  it('refuses a frame that is not date-major', () => {
    const frame = byDate([[1, 2], [3]]);
    const reversed = { ...frame, rowDate: Int32Array.from([1, 0, 0]) };
    expect(() => new CSRankNorm().apply(reversed)).toThrow(/date-major/);
  });
});
