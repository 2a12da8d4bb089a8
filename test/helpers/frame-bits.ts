import { expect } from 'vitest';
import type { FeatureFrame } from '../../core/index.js';

/** Row (date, instrument) -> values from `fromDate` on, for exact comparison (NaN equals NaN, -0 differs from 0). */
export function frameRowsFrom(frame: FeatureFrame, fromDate: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let r = 0; r < frame.rows; r++) {
    const date = frame.dates[frame.rowDate[r]!]!;
    if (date < fromDate) continue;
    out.set(`${date} ${frame.instruments[frame.rowInst[r]!]}`, frame.data.map((col) => col[r]!));
  }
  return out;
}

/** The same rows with the same bits (Object.is per value); mismatches are named by row key and column name. */
export function expectSameBits(got: Map<string, number[]>, want: Map<string, number[]>, columns: readonly string[], label = ''): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  const bad: string[] = [];
  for (const [key, w] of want) {
    const g = got.get(key)!;
    w.forEach((v, c) => {
      if (!Object.is(v, g[c])) bad.push(`${label}${key} ${columns[c]}: ${g[c]} vs ${v}`);
    });
  }
  expect(bad.slice(0, 10)).toEqual([]);
}
