import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { writeCalendar, writeFeature, writeInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';

/** A tiny Qlib folder: one instrument with `n` closes and volumes. */
async function makeData(uri: string, n: number, seed = 1): Promise<string[]> {
  const dates: string[] = [];
  const d = new Date(Date.UTC(2020, 0, 1));
  while (dates.length < n) {
    if (d.getUTCDay() % 6 !== 0) dates.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  let s = seed;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  const close = new Float32Array(n);
  const volume = new Float32Array(n);
  let p = 10;
  for (let i = 0; i < n; i++) {
    p *= 1 + 0.02 * (rnd() - 0.5);
    close[i] = i === 7 ? NaN : p;
    volume[i] = 1000 + 1000 * rnd();
  }
  await writeCalendar(uri, dates);
  await writeInstruments(uri, 'all', new Map([['AAA', [{ start: dates[0]!, end: dates[n - 1]! }]]]));
  await writeFeature(uri, 'AAA', 'close', 0, close);
  await writeFeature(uri, 'AAA', 'volume', 0, volume);
  return dates;
}

const EXPRS = ['Mean($close, 5)/$close', 'Corr($close, Log($volume+1), 10)', 'Ref($close, -2)/Ref($close, -1) - 1', 'EMA($close, 10)', 'Std($close/Ref($close, 1) - 1, 20)'];

describe('feature disk cache', () => {
  it('a new process reuses cached features, and one appended day recomputes only the tail', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const dates = await makeData(uri, 300);

    const first = new QlibDataProvider({ id: 't', uri, cacheDir });
    const a = await first.features({ instruments: ['AAA'], fields: EXPRS, start: dates[0]!, end: null });
    expect(first.evaluations).toBe(EXPRS.length);

    // A fresh provider (another process) evaluates nothing.
    const second = new QlibDataProvider({ id: 't', uri, cacheDir });
    const b = await second.features({ instruments: ['AAA'], fields: EXPRS, start: dates[0]!, end: null });
    expect(second.rowsEvaluated).toBe(0);
    b.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(a.data[c]!)));

    // One more day of data: the same seed regenerates identical history plus a day.
    const dates2 = await makeData(uri, 301);
    const third = new QlibDataProvider({ id: 't', uri, cacheDir });
    const c3 = await third.features({ instruments: ['AAA'], fields: EXPRS, start: dates2[0]!, end: null });
    // EMA (unbounded window) is recomputed in full; the others only over their window plus the new day.
    expect(third.rowsEvaluated).toBeLessThan(301 + 4 * 40);
    expect(third.rowsEvaluated).toBeGreaterThan(301);
    const fresh = new QlibDataProvider({ id: 't', uri });
    const f = await fresh.features({ instruments: ['AAA'], fields: EXPRS, start: dates2[0]!, end: null });
    expect(c3.rows).toBe(301);
    f.data.forEach((col, c) => {
      for (let i = 0; i < col.length; i++) {
        const x = c3.data[c]![i]!;
        const y = col[i]!;
        if (Number.isNaN(y)) expect(x, `${EXPRS[c]} row ${i}`).toBeNaN();
        else expect(Math.abs(x - y), `${EXPRS[c]} row ${i}`).toBeLessThanOrEqual(Math.abs(y) * 2e-6 + 1e-9);
      }
    });

    // History rewritten (not an append): the input hash differs, so everything is recomputed.
    await makeData(uri, 301, 99);
    const fourth = new QlibDataProvider({ id: 't', uri, cacheDir });
    await fourth.features({ instruments: ['AAA'], fields: EXPRS, start: dates2[0]!, end: null });
    expect(fourth.rowsEvaluated).toBe(EXPRS.length * 301);
  });

  it('keeps one file per instrument holding every expression asked for, and ignores a damaged file', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const dates = await makeData(uri, 120);
    const req = (fields: string[]) => ({ instruments: ['AAA'], fields, start: dates[0]!, end: null });
    // Two requests with different expressions: the second adds to the instrument's file.
    await new QlibDataProvider({ id: 't', uri, cacheDir }).features(req(EXPRS.slice(0, 2)));
    await new QlibDataProvider({ id: 't', uri, cacheDir }).features(req(EXPRS.slice(2)));
    expect(readdirSync(cacheDir)).toEqual(['aaa.qofc']);
    const all = new QlibDataProvider({ id: 't', uri, cacheDir });
    const a = await all.features(req(EXPRS));
    expect(all.rowsEvaluated).toBe(0);
    // A torn file (a crash mid-write cannot leave one: files are renamed into place; a disk error could) is ignored and rewritten.
    const file = path.join(cacheDir, 'aaa.qofc');
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    const again = new QlibDataProvider({ id: 't', uri, cacheDir });
    const b = await again.features(req(EXPRS));
    expect(again.evaluations).toBe(EXPRS.length);
    b.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(a.data[c]!)));
    const third = new QlibDataProvider({ id: 't', uri, cacheDir });
    await third.features(req(EXPRS));
    expect(third.rowsEvaluated).toBe(0);
  });
});
