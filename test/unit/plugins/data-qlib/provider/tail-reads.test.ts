import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alpha158Fields } from '../../../../../plugins/data-qlib/src/alpha/alpha158.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { writeCalendar, writeFeature, writeInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { expectSameBits, frameRowsFrom } from '../../../../helpers/frame-bits.js';

const CODES = ['AAA', 'BBB', 'CCC'];
const FIELDS = [...alpha158Fields().fields, 'Mean($close, 5)/$close', 'Std($close/Ref($close, 1) - 1, 20)', 'Ref($close, -2)/Ref($close, -1) - 1'];

/** The first `n` days of a fixed market (the same history for every n): OHLCV + vwap for three instruments, BBB listed later. */
async function writeMarket(uri: string, n: number): Promise<string[]> {
  const dates: string[] = [];
  const d = new Date(Date.UTC(2019, 0, 1));
  while (dates.length < n) {
    if (d.getUTCDay() % 6 !== 0) dates.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  await writeCalendar(uri, dates);
  const spans = new Map(CODES.map((c, i) => [c, [{ start: dates[i === 1 ? 40 : 0]!, end: dates[n - 1]! }]]));
  await writeInstruments(uri, 'all', spans);
  for (const [i, code] of CODES.entries()) {
    const first = i === 1 ? 40 : 0;
    let s = 7 + i;
    const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
    const cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[], vwap: [] as number[] };
    let p = 10 + i;
    for (let t = 0; t < 400; t++) {
      p *= 1 + 0.03 * (rnd() - 0.5);
      const o = p * (1 + 0.01 * (rnd() - 0.5));
      cols.open.push(o);
      cols.close.push(t === 90 ? NaN : p);
      cols.high.push(Math.max(o, p) * (1 + 0.01 * rnd()));
      cols.low.push(Math.min(o, p) * (1 - 0.01 * rnd()));
      cols.volume.push(t % 37 === 5 ? 0 : 1000 + 1000 * rnd());
      cols.vwap.push((o + p) / 2);
    }
    for (const [f, v] of Object.entries(cols)) await writeFeature(uri, code, f, first, Float32Array.from(v.slice(0, n - first)));
  }
  return dates;
}

describe('feature disk cache: a request for the new days reads only their rows', () => {
  it('gives the same bits as the whole-history path and as a fresh computation, for 1 and 5 new days', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-tail-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    let dates = await writeMarket(uri, 300);
    const first = new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 });
    await first.features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
    // The provider writes small cache changes when it closes (the end of a process).
    await first.close();
    for (const n of [301, 306]) {
      const before = path.join(root, `cache-before-${n}`);
      cpSync(cacheDir, before, { recursive: true });
      dates = await writeMarket(uri, n);
      const newDay = dates[n === 301 ? 300 : 301]!;
      // The routine's request: the new days only.
      const tail = new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 });
      const got = await tail.features({ instruments: 'all', fields: FIELDS, start: newDay, end: null });
      await tail.close();
      const disk = (tail as unknown as { disk: { wholeReads: number; bytesRead: number } }).disk;
      expect(disk.wholeReads).toBe(0);
      // Per instrument: the index (a descriptor per expression) and no history.
      expect(disk.bytesRead).toBeLessThan(CODES.length * (FIELDS.length * 100 + 200));
      // The same cache state read whole (a request over all history) gives the same bits for those days.
      const whole = await new QlibDataProvider({ id: 't', uri, cacheDir: before, threads: 1 }).features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
      expectSameBits(frameRowsFrom(got, newDay), frameRowsFrom(whole, newDay), FIELDS);
      // ...and so does a fresh computation without any cache.
      const fresh = await new QlibDataProvider({ id: 't', uri, threads: 1 }).features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
      expectSameBits(frameRowsFrom(got, newDay), frameRowsFrom(fresh, newDay), FIELDS);
      // The appended cache serves the whole history too (what a new model's training reads).
      const again = await new QlibDataProvider({ id: 't', uri, cacheDir, threads: 1 }).features({ instruments: 'all', fields: FIELDS, start: dates[0]!, end: null });
      expectSameBits(frameRowsFrom(again, dates[0]!), frameRowsFrom(whole, dates[0]!), FIELDS);
    }
  });
});
