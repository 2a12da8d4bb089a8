import { describe, expect, it } from 'vitest';
import { AverageEnsemble } from '../../../../plugins/ensemble/index.js';

/** Naive reference: pandas' concat(axis=1) -> groupby(date) z-score (ddof 1) -> mean(axis=1, skipna). */
function reference(models: Record<string, Record<string, number>>[]): Map<string, number> {
  const keys = new Set(models.flatMap((m) => Object.entries(m).flatMap(([d, row]) => Object.keys(row).map((i) => `${d}|${i}`))));
  const z: Map<string, number>[] = models.map((m) => {
    const out = new Map<string, number>();
    for (const [d, row] of Object.entries(m)) {
      const vals = Object.values(row).filter((v) => !Number.isNaN(v));
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
      for (const [i, v] of Object.entries(row)) out.set(`${d}|${i}`, (v - mean) / sd);
    }
    return out;
  });
  const res = new Map<string, number>();
  for (const k of keys) {
    const xs = z.map((m) => m.get(k)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (xs.length) res.set(k, xs.reduce((a, b) => a + b, 0) / xs.length);
  }
  return res;
}

function rows(m: Record<string, Record<string, number>>) {
  const dates: string[] = [];
  const instruments: string[] = [];
  const scores: number[] = [];
  for (const d of Object.keys(m).sort()) for (const i of Object.keys(m[d]!).sort()) {
    dates.push(d);
    instruments.push(i);
    scores.push(m[d]![i]!);
  }
  return { dates, instruments, scores: Float64Array.from(scores) };
}

describe('AverageEnsemble', () => {
  it('z-scores each model per date (ddof 1) and averages, ignoring missing values, like Qlib', () => {
    const a = { '2020-01-02': { A: 1, B: 2, C: 4 }, '2020-01-03': { A: 3, B: 3.5, C: NaN, D: 1 } };
    const b = { '2020-01-02': { A: 10, C: 30, D: 20 }, '2020-01-03': { B: -1, D: 2 } };
    const got = new AverageEnsemble().combine([rows(a), rows(b)]);
    const want = reference([a, b]);
    expect(got.dates.length).toBe(want.size);
    got.dates.forEach((d, k) => expect(got.scores[k]).toBeCloseTo(want.get(`${d}|${got.instruments[k]}`)!, 12));
    // Spot value by hand: 2020-01-02 A: model a z = (1 - 7/3)/sd(1,2,4); model b z = (10-20)/10 = -1.
    const sdA = Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2);
    const k = got.dates.findIndex((d, i) => d === '2020-01-02' && got.instruments[i] === 'A');
    expect(got.scores[k]).toBeCloseTo(((1 - 7 / 3) / sdA + -1) / 2, 12);
  });
});
