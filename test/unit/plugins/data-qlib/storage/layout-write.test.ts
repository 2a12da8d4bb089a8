import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isQonlineError, type InstrumentSpans } from '../../../../../core/index.js';
import {
  writeCalendar,
  readCalendar,
  writeInstruments,
  readInstruments,
  writeFeature,
  readFeature,
  appendFeature,
  listFields,
  computeDataVersion,
} from '../../../../../plugins/data-qlib/src/storage/index.js';
import { tempDir, qlibBinBytes, decodeQlibBin } from './helpers.js';

const cleanups: Array<() => void> = [];
function fresh(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function thrown(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error & { code?: string }) => e,
  );
}

describe('writing the Qlib layout', () => {
  it('writes the calendar as one date a line and reads it back', async () => {
    const root = fresh();
    const dates = ['2021-03-01', '2021-03-02', '2021-03-04'];
    await writeCalendar(root, dates);
    expect(readFileSync(join(root, 'calendars/day.txt'), 'utf8')).toBe('2021-03-01\n2021-03-02\n2021-03-04\n');
    expect(await readCalendar(root)).toEqual(dates);
    const e = await thrown(writeCalendar(root, ['2021-03-02', '2021-03-01']));
    expect(isQonlineError(e) && e.code).toBe('QONLINE_DATA_INVALID');
    // The failed write left the old calendar in place.
    expect(await readCalendar(root)).toEqual(dates);
  });

  it('writes instruments with several spans per code, tab separated', async () => {
    const root = fresh();
    const spans: InstrumentSpans = new Map([
      ['SH600000', [{ start: '2021-06-01', end: '2021-12-31' }, { start: '2020-01-02', end: '2020-05-29' }]],
      ['SZ000002', [{ start: '2020-01-02', end: '2021-12-31' }]],
    ]);
    await writeInstruments(root, 'CSI300', spans);
    expect(readFileSync(join(root, 'instruments/csi300.txt'), 'utf8')).toBe(
      'SH600000\t2020-01-02\t2020-05-29\nSH600000\t2021-06-01\t2021-12-31\nSZ000002\t2020-01-02\t2021-12-31\n',
    );
    const back = await readInstruments(root, 'csi300');
    expect(back.get('SH600000')).toEqual([
      { start: '2020-01-02', end: '2020-05-29' },
      { start: '2021-06-01', end: '2021-12-31' },
    ]);
    const bad = await thrown(writeInstruments(root, 'x', new Map([['A', [{ start: '2021-02-01', end: '2021-01-01' }]]])));
    expect(bad.code).toBe('QONLINE_DATA_INVALID');
  });

  it('writes feature bytes exactly as Qlib lays them out', async () => {
    const root = fresh();
    const values = Float32Array.from([1.5, NaN, -2.25, 1e-7, 3e9]);
    await writeFeature(root, 'SH600000', 'Close', 7, values);
    const bytes = readFileSync(join(root, 'features/sh600000/close.day.bin'));
    expect(Buffer.from(bytes).equals(Buffer.from(qlibBinBytes(7, Array.from(values))))).toBe(true);
    const back = await readFeature(root, 'SH600000', 'close');
    expect(back!.start).toBe(7);
    expect(Array.from(back!.values)).toEqual(Array.from(values));
    expect(await listFields(root, 'sh600000')).toEqual(['close']);
    // Only the final file remains: the temp file was renamed.
    expect(readdirSync(join(root, 'features/sh600000'))).toEqual(['close.day.bin']);
    const e = await thrown(writeFeature(root, 'SH600000', 'close', -1, values));
    expect(e.code).toBe('QONLINE_DATA_INVALID');
    const e2 = await thrown(writeFeature(root, 'SH600000', 'close', 2.5, values));
    expect(e2.code).toBe('QONLINE_DATA_INVALID');
  });

  it('appendFeature continues a series and fills skipped days with NaN', async () => {
    const root = fresh();
    await appendFeature(root, 'A', 'close', 3, Float32Array.from([1, 2]));
    await appendFeature(root, 'A', 'close', 5, Float32Array.from([3]));
    // Index 6 and 7 skipped: NaN rows.
    await appendFeature(root, 'A', 'close', 8, Float32Array.from([4, 5]));
    const raw = decodeQlibBin(readFileSync(join(root, 'features/a/close.day.bin')));
    expect(raw.start).toBe(3);
    expect(raw.values).toEqual([1, 2, 3, NaN, NaN, 4, 5]);
    const overlap = await thrown(appendFeature(root, 'A', 'close', 9, Float32Array.from([6])));
    expect(overlap.code).toBe('QONLINE_DATA_INVALID');
    expect(overlap.message).toMatch(/cannot append at calendar index 9: stored data already covers indices 3\.\.9/);
    expect(decodeQlibBin(readFileSync(join(root, 'features/a/close.day.bin'))).values.length).toBe(7);
  });

  it('the data version changes when data changes', async () => {
    const root = fresh();
    await writeCalendar(root, ['2021-03-01', '2021-03-02']);
    await writeFeature(root, 'A', 'close', 0, Float32Array.from([1]));
    const v1 = await computeDataVersion(root);
    expect(await computeDataVersion(root)).toBe(v1);
    await appendFeature(root, 'A', 'close', 1, Float32Array.from([2]));
    const v2 = await computeDataVersion(root);
    expect(v2).not.toBe(v1);
    await writeCalendar(root, ['2021-03-01', '2021-03-02', '2021-03-03']);
    expect(await computeDataVersion(root)).not.toBe(v2);
  });
});
