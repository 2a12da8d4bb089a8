import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { isQonlineError } from '../../../../../core/index.js';
import {
  readCalendar,
  readInstruments,
  listMarkets,
  readFeature,
  listFields,
  listFeatureCodes,
  listFreqs,
  BinaryDataReader,
  featurePath,
  decodeFeature,
} from '../../../../../plugins/data-qlib/src/storage/index.js';
import { tempDir, writeText, qlibBinBytes } from './helpers.js';

/** A hand-written Qlib data dir, as Qlib's dump_bin would leave it. */
let root: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir: root, cleanup } = tempDir());
  writeText(join(root, 'calendars/day.txt'), '2020-01-02\n2020-01-03\n2020-01-06\n2020-01-07\n2020-01-08\n');
  writeText(join(root, 'calendars/day_future.txt'), '2020-01-02\n');
  writeText(
    join(root, 'instruments/all.txt'),
    // Qlib writes tabs; pandas-style midnight timestamps and extra columns must be accepted.
    'SH600000\t2020-01-02\t2020-01-08\nSZ000001\t2020-01-06 00:00:00\t2020-01-08\textra\n',
  );
  writeText(
    join(root, 'instruments/csi300.txt'),
    // Several spans for one code, out of order in the file.
    'SH600000\t2020-01-07\t2020-01-08\nSH600000\t2020-01-02\t2020-01-03\r\nSZ000001\t2020-01-06\t2020-01-06\n\n',
  );
  // close of SH600000 from calendar index 0, with a NaN (suspension) row.
  writeText(join(root, 'features/sh600000/close.day.bin'), qlibBinBytes(0, [10.5, 10.25, NaN, 11, 11.125]));
  writeText(join(root, 'features/sh600000/volume.day.bin'), qlibBinBytes(0, [1000, 2000, NaN, 1500, 1200]));
  // A late listing: first value says calendar index 2.
  writeText(join(root, 'features/sz000001/close.day.bin'), qlibBinBytes(2, [5, 5.5, 6]));
  // An empty file is what Qlib's FeatureStorage.clear() leaves.
  writeText(join(root, 'features/sz000001/open.day.bin'), new Uint8Array(0));
  writeText(join(root, 'features/sz000001/broken.day.bin'), new Uint8Array(6));
  writeText(join(root, 'features/sz000001/badstart.day.bin'), qlibBinBytes(1.5, [1]));
  // Windows-reserved code: Qlib stores it as _qlib_con.
  writeText(join(root, 'features/_qlib_con/close.day.bin'), qlibBinBytes(4, [7]));
});

afterAll(() => cleanup());

async function expectDataError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isQonlineError(e), `expected a QonlineError, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe('QONLINE_DATA_INVALID');
  expect((e as Error).message).toMatch(pattern);
}

describe('reading a hand-written Qlib layout', () => {
  it('reads the calendar', async () => {
    expect(await readCalendar(root)).toEqual(['2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07', '2020-01-08']);
    expect(await listFreqs(root)).toEqual(['day']);
  });

  it('reads a calendar again as it is now: a copy of the same dates, or the changed file parsed anew', async () => {
    const { dir, cleanup: done } = tempDir();
    try {
      writeText(join(dir, 'calendars/day.txt'), '2020-01-02\n2020-01-03\n');
      const first = await readCalendar(dir);
      first.push('mutated by a caller');
      const again = await readCalendar(dir);
      expect(again).toEqual(['2020-01-02', '2020-01-03']);
      expect(again).not.toBe(first);
      // Same length, other dates; then a bad line: never the remembered dates.
      writeText(join(dir, 'calendars/day.txt'), '2020-01-06\n2020-01-07\n');
      expect(await readCalendar(dir)).toEqual(['2020-01-06', '2020-01-07']);
      writeText(join(dir, 'calendars/day.txt'), '2020-01-06\n2020-01-0x\n');
      await expectDataError(readCalendar(dir), /day\.txt:2: expected a date/);
      expect(await readCalendar(root)).toEqual(['2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07', '2020-01-08']);
    } finally {
      done();
    }
  });

  it('reports a missing calendar and bad calendar lines with file:line', async () => {
    await expectDataError(readCalendar(root, '1min'), /1min\.txt does not exist/);
    const { dir, cleanup: done } = tempDir();
    try {
      writeText(join(dir, 'calendars/day.txt'), '2020-01-02\n2020-13-01\n');
      await expectDataError(readCalendar(dir), /day\.txt:2: expected a date/);
      writeText(join(dir, 'calendars/day.txt'), '2020-01-03\n2020-01-02\n');
      await expectDataError(readCalendar(dir), /day\.txt:2: calendar dates must increase/);
    } finally {
      done();
    }
  });

  it('reads instruments with several spans per code, sorted', async () => {
    const all = await readInstruments(root, 'all');
    expect([...all.entries()]).toEqual([
      ['SH600000', [{ start: '2020-01-02', end: '2020-01-08' }]],
      ['SZ000001', [{ start: '2020-01-06', end: '2020-01-08' }]],
    ]);
    const csi = await readInstruments(root, 'CSI300');
    expect(csi.get('SH600000')).toEqual([
      { start: '2020-01-02', end: '2020-01-03' },
      { start: '2020-01-07', end: '2020-01-08' },
    ]);
    expect(csi.get('SZ000001')).toEqual([{ start: '2020-01-06', end: '2020-01-06' }]);
    expect(await listMarkets(root)).toEqual(['all', 'csi300']);
  });

  it('reports malformed instrument lines with file:line', async () => {
    const { dir, cleanup: done } = tempDir();
    try {
      writeText(join(dir, 'instruments/bad.txt'), 'A\t2020-01-02\t2020-01-03\nB\t2020-01-02\n');
      await expectDataError(readInstruments(dir, 'bad'), /bad\.txt:2: expected CODE<TAB>start<TAB>end/);
      writeText(join(dir, 'instruments/bad.txt'), 'A\t2020-01-02\tlater\n');
      await expectDataError(readInstruments(dir, 'bad'), /bad\.txt:1: expected dates YYYY-MM-DD, found "later"/);
      writeText(join(dir, 'instruments/bad.txt'), '\nA\t2020-01-05\t2020-01-02\n');
      await expectDataError(readInstruments(dir, 'bad'), /bad\.txt:2: span of A ends \(2020-01-02\) before it starts/);
      await expectDataError(readInstruments(dir, 'nope'), /no market "nope"/);
    } finally {
      done();
    }
  });

  it('reads feature files value by value', async () => {
    const close = await readFeature(root, 'SH600000', 'close');
    expect(close).not.toBeNull();
    expect(close!.start).toBe(0);
    expect(close!.values).toBeInstanceOf(Float32Array);
    expect(Array.from(close!.values)).toEqual([10.5, 10.25, NaN, 11, 11.125]);
    const late = await readFeature(root, 'sz000001', '$close');
    expect(late!.start).toBe(2);
    expect(Array.from(late!.values)).toEqual([5, 5.5, 6]);
    expect((await readFeature(root, 'CON', 'close'))!.start).toBe(4);
  });

  it('returns null for absent or empty files and rejects malformed ones', async () => {
    expect(await readFeature(root, 'SH600000', 'vwap')).toBeNull();
    expect(await readFeature(root, 'NOPE', 'close')).toBeNull();
    expect(await readFeature(root, 'SZ000001', 'open')).toBeNull();
    await expectDataError(readFeature(root, 'SZ000001', 'broken'), /size 6 bytes is not a multiple of 4/);
    await expectDataError(readFeature(root, 'SZ000001', 'badstart'), /first value must be a calendar index/);
    // Names never leave their folder.
    await expectDataError(readFeature(root, '..', 'close'), /instrument code ".." cannot name a file/);
    await expectDataError(readFeature(root, 'SH600000', '../../calendars/day'), /field .* cannot name a file/);
    await expectDataError(readInstruments(root, '../calendars/day'), /market .* cannot name a file/);
  });

  it('decodes bytes that are not 4-byte aligned in their buffer (pooled Node buffers)', () => {
    const bytes = qlibBinBytes(3, [1.5, -2, NaN]);
    const pool = Buffer.alloc(bytes.length + 1, 0xff);
    pool.set(bytes, 1);
    const decoded = decodeFeature(pool.subarray(1), 'x.bin');
    expect(decoded!.start).toBe(3);
    expect(Array.from(decoded!.values)).toEqual([1.5, -2, NaN]);
  });

  it('lists fields and instruments', async () => {
    expect(await listFields(root, 'SH600000')).toEqual(['close', 'volume']);
    expect(await listFields(root, 'SH600000', '1min')).toEqual([]);
    expect(await listFields(root, 'NOPE')).toEqual([]);
    expect(await listFeatureCodes(root)).toEqual(['CON', 'SH600000', 'SZ000001']);
    expect(featurePath('/d', 'CON', '$Close')).toBe('/d/features/_qlib_con/close.day.bin');
  });

  it('BinaryDataReader caches and aligns', () => {
    const r = new BinaryDataReader(root);
    expect(r.calendar().dates.length).toBe(5);
    expect(r.calendar()).toBe(r.calendar());
    expect(r.instruments('csi300').get('SH600000')!.length).toBe(2);
    const a = r.feature('SZ000001', 'close');
    expect(r.feature('sz000001', '$close')).toBe(a);
    expect(r.feature('SZ000001', 'vwap')).toBeNull();
    // Indices 1..4: before listing is NaN, then 5, 5.5, 6.
    expect(Array.from(r.featureRange('SZ000001', 'close', 1, 5))).toEqual([NaN, 5, 5.5, 6, NaN]);
    r.clear();
    expect(r.feature('SZ000001', 'close')).not.toBe(a);
  });
});
