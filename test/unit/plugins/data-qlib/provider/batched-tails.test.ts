import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alpha158Fields } from '../../../../../plugins/data-qlib/src/alpha/alpha158.js';
import { alpha360Fields } from '../../../../../plugins/data-qlib/src/alpha/alpha360.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { writeCalendar, writeFeature, writeInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { expectSameBits, frameRowsFrom } from '../../../../helpers/frame-bits.js';

const FIELDS = [
  ...new Set([
    ...alpha158Fields().fields,
    ...alpha360Fields().fields.filter((_, i) => i % 7 === 0),
    'Ref($close, -2)/Ref($close, -1) - 1',
    'EMA($close, 12)/$close',
    'WMA($volume, 9)/($volume + 1)',
    'Count($volume, 30)',
  ]),
];

/**
 * Eleven instruments: most with a long history, one listed 3 days and one 30
 * days before the first cached day (their tails' windows are cut by the
 * listing), one listed after it (nothing cached: computed whole), one with a
 * long suspension (NaN rows) across the new days.
 */
const FIRST_DAY = [0, 0, 0, 0, 0, 0, 0, 117, 90, 125, 0];
const CODES = FIRST_DAY.map((_, i) => `I${String(i).padStart(2, '0')}`);

async function writeMarket(uri: string, n: number): Promise<string[]> {
  const dates: string[] = [];
  const d = new Date(Date.UTC(2020, 0, 1));
  while (dates.length < n) {
    if (d.getUTCDay() % 6 !== 0) dates.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  await writeCalendar(uri, dates);
  await writeInstruments(uri, 'all', new Map(CODES.map((c, i) => [c, [{ start: dates[Math.min(FIRST_DAY[i]!, n - 1)]!, end: dates[n - 1]! }]])));
  for (const [i, code] of CODES.entries()) {
    const first = FIRST_DAY[i]!;
    if (first >= n) continue;
    let s = 11 + i;
    const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
    const cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[], vwap: [] as number[] };
    let p = 20 + i;
    for (let t = 0; t < 200; t++) {
      p *= 1 + 0.04 * (rnd() - 0.5);
      const o = p * (1 + 0.01 * (rnd() - 0.5));
      const gap = i === 10 && t >= 110 && t < 126;
      cols.open.push(gap ? NaN : o);
      cols.close.push(gap || t % 41 === 7 ? NaN : p);
      cols.high.push(gap ? NaN : Math.max(o, p) * (1 + 0.01 * rnd()));
      cols.low.push(gap ? NaN : Math.min(o, p) * (1 - 0.01 * rnd()));
      cols.volume.push(gap ? NaN : t % 23 === 4 ? 0 : 500 + 1000 * rnd());
      cols.vwap.push(gap ? NaN : (o + p) / 2);
    }
    for (const [f, v] of Object.entries(cols)) await writeFeature(uri, code, f, first, Float32Array.from(v.slice(0, n - first)));
  }
  return dates;
}

describe('feature disk cache: the new days of all instruments extended together', () => {
  it('give the bits of a fresh computation per instrument, with short histories, late listings and suspensions', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-batched-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    let dates = await writeMarket(uri, 120);
    const first = new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 });
    await first.features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
    await first.close();
    for (const n of [121, 123, 128]) {
      dates = await writeMarket(uri, n);
      const from = dates[120]!;
      const routine = new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 });
      const got = await routine.features({ instruments: 'all', fields: FIELDS, start: from, end: null });
      // Tails were extended (EMA and late listings are computed whole): under half the rows of whole series.
      expect(routine.rowsEvaluated).toBeLessThan((FIELDS.length * CODES.length * n) / 2);
      await routine.close();
      const fresh = await new QlibDataProvider({ id: 't', uri, threads: 1 }).features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
      expectSameBits(frameRowsFrom(got, from), frameRowsFrom(fresh, from), FIELDS, `${n} days, `);
    }
  });
});

describe('feature disk cache: tails of instruments with different cached expressions', () => {
  it('are not evaluated as one batch when only their rows agree', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-batched-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    let dates = await writeMarket(uri, 120);
    const base = ['Mean($close, 5)/$close', 'Std($close, 10)', 'Max($high, 5)/$close'];
    // Cached for one instrument each (I00, I03): their groups of tails have as many expressions but not the same
    // (same rows), and one more than the others'.
    const extra = ['Min($low, 5)/$close', 'Mean($volume, 5)/($volume + 1)'];
    const first = new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 });
    await first.features({ instruments: 'all', fields: base, start: dates[0]!, end: null });
    await first.features({ instruments: ['I00'], fields: [extra[0]!], start: dates[0]!, end: null });
    await first.features({ instruments: ['I03'], fields: [extra[1]!], start: dates[0]!, end: null });
    await first.close();
    dates = await writeMarket(uri, 121);
    const from = dates[120]!;
    // The extra expressions first in one request and last in the other: each instrument's group order differs too.
    for (const [i, fields] of [[...extra, ...base], [...base, ...extra]].entries()) {
      // Each from the same cache (a routine writes what it computed).
      const copy = path.join(root, `cache-${i}`);
      cpSync(cacheDir, copy, { recursive: true });
      const routine = new QlibDataProvider({ id: 't', uri, cacheDir: copy, threads: 1 });
      const got = await routine.features({ instruments: 'all', fields, start: from, end: null });
      const fresh = await new QlibDataProvider({ id: 't', uri, threads: 1 }).features({ instruments: 'all', fields, start: dates[0]!, end: null });
      expectSameBits(frameRowsFrom(got, from), frameRowsFrom(fresh, from), fields, 'mixed groups, ');
    }
  });
});
