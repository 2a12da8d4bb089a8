import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isQonlineError } from '../../../../../core/index.js';
import { importCsv, recoverInterruptedImport, parseCsvNumber, parseCsvDate, JOURNAL_FILE, LOCK_FILE } from '../../../../../plugins/data-qlib/src/csv/index.js';
import { tempDir, writeText, decodeQlibBin, snapshot, qlibBinBytes } from './helpers.js';

const cleanups: Array<() => void> = [];
function fresh(): string {
  const t = tempDir('qonline-csv-');
  cleanups.push(t.cleanup);
  return t.dir;
}
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const HEADER = 'date,open,high,low,close,volume';

function bin(root: string, code: string, field: string): { start: number; values: number[] } {
  return decodeQlibBin(readFileSync(join(root, 'features', code, `${field}.day.bin`)));
}
function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
}
const f32 = (x: number): number => Math.fround(x);

/** Two instruments: A every day, B listed later with a missing day (a suspension). */
function writeBaseCsvs(src: string): void {
  writeText(
    join(src, 'SH600000.csv'),
    [
      `${HEADER},vwap,factor,symbol`,
      '2021-01-04,10,10.5,9.9,10.2,1000,10.1,1,SH600000',
      '2021-01-05,10.2,10.4,10,10.3,1100,10.2,1,SH600000',
      '2021-01-06,10.3,10.9,10.3,10.8,1500,10.6,1,SH600000',
      '2021-01-07,10.8,11,10.5,10.6,900,10.7,1,SH600000',
    ].join('\n') + '\n',
  );
  writeText(
    join(src, 'sz000001.csv'),
    [HEADER, '2021-01-05,20,21,19.5,20.5,500', '2021-01-07,20.5,20.6,20,20.1,700'].join('\r\n') + '\r\n',
  );
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string; location?: { file?: string; line?: number } }> {
  return p.then(
    () => {
      throw new Error('expected the import to fail');
    },
    (e: Error & { code?: string }) => e,
  );
}

describe('importCsv', () => {
  it('builds calendar, instruments and bins from CSVs', async () => {
    const src = fresh();
    const out = join(fresh(), 'qlib');
    writeBaseCsvs(src);
    const report = await importCsv({ src, out });
    expect(lines(join(out, 'calendars/day.txt'))).toEqual(['2021-01-04', '2021-01-05', '2021-01-06', '2021-01-07']);
    expect(lines(join(out, 'instruments/all.txt'))).toEqual(['SH600000\t2021-01-04\t2021-01-07', 'SZ000001\t2021-01-05\t2021-01-07']);
    expect(bin(out, 'sh600000', 'close')).toEqual({ start: 0, values: [10.2, 10.3, 10.8, 10.6].map(f32) });
    expect(bin(out, 'sh600000', 'vwap')).toEqual({ start: 0, values: [10.1, 10.2, 10.6, 10.7].map(f32) });
    expect(bin(out, 'sh600000', 'factor').values).toEqual([1, 1, 1, 1]);
    // B starts at calendar index 1; 2021-01-06 has no row: NaN.
    expect(bin(out, 'sz000001', 'close')).toEqual({ start: 1, values: [20.5, NaN, 20.1].map(f32) });
    expect(bin(out, 'sz000001', 'volume')).toEqual({ start: 1, values: [500, NaN, 700] });
    expect(existsSync(join(out, 'features/sh600000/symbol.day.bin'))).toBe(false);
    expect(existsSync(join(out, 'features/sz000001/vwap.day.bin'))).toBe(false);
    expect(report).toMatchObject({
      files: 2,
      rows: 6,
      instruments: { added: ['SH600000', 'SZ000001'], updated: [], unchanged: [] },
      calendar: { first: '2021-01-04', last: '2021-01-07', days: 4, added: 4 },
      fields: ['close', 'factor', 'high', 'low', 'open', 'volume', 'vwap'],
    });
    // The bytes are Qlib's: a hand-built file equals what was written.
    expect(readFileSync(join(out, 'features/sz000001/open.day.bin')).equals(Buffer.from(qlibBinBytes(1, [20, NaN, 20.5])))).toBe(true);
  });

  it('re-import appends new rows, keeps history byte for byte, and is a no-op when nothing is new', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    const before = snapshot(out);
    const again = await importCsv({ src, out });
    expect(again.filesWritten).toBe(0);
    expect(snapshot(out)).toEqual(before);

    // A: the whole file again plus two days; B: only the new rows (an incremental file), skipping 01-08.
    writeText(join(src, 'SH600000.csv'), readFileSync(join(src, 'SH600000.csv'), 'utf8') + '2021-01-08,10.6,10.7,10.1,10.2,800,10.4,1,SH600000\n2021-01-11,10.2,10.3,10,10.1,700,10.2,2,SH600000\n');
    writeText(join(src, 'sz000001.csv'), `${HEADER}\n2021-01-11,20.1,20.2,19,19.5,900\n`);
    const rep = await importCsv({ src, out });
    expect(rep.instruments.updated).toEqual(['SH600000', 'SZ000001']);
    expect(rep.calendar).toEqual({ first: '2021-01-04', last: '2021-01-11', days: 6, added: 2 });
    expect(lines(join(out, 'calendars/day.txt')).slice(4)).toEqual(['2021-01-08', '2021-01-11']);
    const oldClose = before.get('features/sh600000/close.day.bin')!;
    const newClose = readFileSync(join(out, 'features/sh600000/close.day.bin')).toString('hex');
    expect(newClose.startsWith(oldClose)).toBe(true);
    expect(bin(out, 'sh600000', 'close').values).toEqual([10.2, 10.3, 10.8, 10.6, 10.2, 10.1].map(f32));
    expect(bin(out, 'sh600000', 'factor').values).toEqual([1, 1, 1, 1, 1, 2]);
    // B: 2021-01-08 had no row, so NaN between the stored end and the new row.
    expect(bin(out, 'sz000001', 'close')).toEqual({ start: 1, values: [20.5, NaN, 20.1, NaN, 19.5].map(f32) });
    expect(lines(join(out, 'instruments/all.txt'))).toEqual(['SH600000\t2021-01-04\t2021-01-11', 'SZ000001\t2021-01-05\t2021-01-11']);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('adds a new instrument and extends stored fields the CSV lacks with NaN', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    const src2 = fresh();
    // A without vwap/factor columns this time; a brand new instrument C.
    writeText(join(src2, 'SH600000.csv'), `${HEADER}\n2021-01-08,10.6,10.7,10.1,10.2,800\n`);
    writeText(join(src2, 'SH600004.csv'), `${HEADER},amount\n2021-01-08,5,5.1,4.9,5,100,500\n`);
    const rep = await importCsv({ src: src2, out });
    expect(rep.instruments.added).toEqual(['SH600004']);
    expect(bin(out, 'sh600000', 'vwap').values).toEqual([10.1, 10.2, 10.6, 10.7, NaN].map(f32));
    expect(bin(out, 'sh600004', 'amount')).toEqual({ start: 4, values: [500] });
    expect(lines(join(out, 'instruments/all.txt'))).toEqual([
      'SH600000\t2021-01-04\t2021-01-08',
      'SZ000001\t2021-01-05\t2021-01-07',
      'SH600004\t2021-01-08\t2021-01-08',
    ]);
  });

  it('refuses to change history unless overwrite is set', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    const before = snapshot(out);
    const text = readFileSync(join(src, 'SH600000.csv'), 'utf8').replace('2021-01-05,10.2,10.4,10,10.3,', '2021-01-05,10.2,10.4,10,10.35,');
    writeText(join(src, 'SH600000.csv'), text + '2021-01-08,10.6,10.7,10.1,10.2,800,10.4,1,SH600000\n');
    const e = await failure(importCsv({ src, out }));
    expect(e.code).toBe('QONLINE_INPUT_INVALID');
    expect(e.message).toMatch(/^close on 2021-01-05 is 10\.35 but the stored value is 10\.3/);
    expect(e.location).toMatchObject({ file: join(src, 'SH600000.csv'), line: 3 });
    expect(snapshot(out)).toEqual(before);

    const rep = await importCsv({ src, out, overwrite: true });
    expect(rep.overwrittenValues).toBe(1);
    expect(bin(out, 'sh600000', 'close').values).toEqual([10.2, 10.35, 10.8, 10.6, 10.2].map(f32));
  });

  it('refuses dates inside the stored calendar that it does not have, and rows before a stored series', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    const before = snapshot(out);
    const src2 = fresh();
    // 2021-01-02 is a Saturday before the calendar start: inserting it would shift every index.
    writeText(join(src2, 'SH600005.csv'), `${HEADER}\n2021-01-02,1,1,1,1,1\n`);
    const e = await failure(importCsv({ src: src2, out }));
    expect(e.message).toMatch(/^2021-01-02 is not a trading day of the existing calendar/);
    expect(e.location).toMatchObject({ file: join(src2, 'SH600005.csv'), line: 2 });
    // B had no data on 2021-01-04 (a trading day); adding it in front of the stored series is refused.
    writeText(join(src2, 'SH600005.csv'), `${HEADER}\n2021-01-04,1,1,1,1,1\n`);
    writeText(join(src2, 'SZ000001.csv'), `${HEADER}\n2021-01-04,20,21,19.5,20.5,500\n`);
    const e2 = await failure(importCsv({ src: src2, out }));
    expect(e2.message).toMatch(/^SZ000001 2021-01-04 lies before the stored \w+ series/);
    expect(e2.location).toMatchObject({ file: join(src2, 'SZ000001.csv'), line: 2 });
    expect(snapshot(out)).toEqual(before);
  });

  describe('bad CSVs fail with file:line and write nothing', () => {
    const cases: Array<[string, string, RegExp, number]> = [
      ['missing column', 'date,open,high,low,close\n2021-01-04,1,1,1,1\n', /missing required column volume/, 1],
      ['unparsable number', `${HEADER}\n2021-01-04,1,1,1,1,1\n2021-01-05,1,1,abc,1,1\n`, /column low: expected a number, found "abc"/, 3],
      ['dates out of order', `${HEADER}\n2021-01-05,1,1,1,1,1\n2021-01-04,1,1,1,1,1\n`, /dates out of order: 2021-01-04 comes after 2021-01-05/, 3],
      ['duplicate date', `${HEADER}\n2021-01-04,1,1,1,1,1\n\n2021-01-04,1,1,1,1,1\n`, /duplicate date 2021-01-04 \(also on line 2\)/, 4],
      ['bad date', `${HEADER}\n2021-02-30,1,1,1,1,1\n`, /column date: expected a real calendar date YYYY-MM-DD, found "2021-02-30"/, 2],
      ['year 0000', `${HEADER}\n2021-01-04,1,1,1,1,1\n0000-01-01,1,1,1,1,1\n`, /column date: expected a real calendar date YYYY-MM-DD, found "0000-01-01"/, 3],
      ['float32 overflow', `${HEADER}\n2021-01-04,1,1,1,1e39,1\n`, /column close: "1e39" is not a finite number a float32 can hold/, 2],
      ['infinity', `${HEADER}\n2021-01-04,1,1,1,1,inf\n`, /column volume: "inf" is not a finite number/, 2],
      ['5-million-digit number', `${HEADER}\n2021-01-04,1,${'9'.repeat(5_000_000)},1,1,1\n`, /column high: "9{20}\.\.\.\(5000000 characters\)" is not a finite number/, 2],
      ['negative price', `${HEADER}\n2021-01-04,1,1,-0.5,1,1\n`, /column low: a price or volume cannot be negative, found -0\.5/, 2],
      ['negative volume', `${HEADER}\n2021-01-04,1,1,1,1,1\n2021-01-05,1,1,1,1,-3\n`, /column volume: a price or volume cannot be negative/, 3],
      ['CR-only line endings', `${HEADER}\r2021-01-04,1,1,1,1,1\r`, /lone CR \(classic Mac line endings\)/, 1],
      ['one lone CR after CRLF lines', `${HEADER}\r\n2021-01-04,1,1,1,1,1\r\n2021-01-05,1,1,1,1,1\r2021-01-06,1,1,1,1,1\r\n`, /lone CR/, 3],
      ['cell count', `${HEADER}\n2021-01-04,1,1,1,1\n`, /expected 6 cells like the header, found 5/, 2],
      ['bad field name', 'date,open,high,low,close,volume,adj close\n2021-01-04,1,1,1,1,1,1\n', /column name "adj close" cannot be a field name/, 1],
    ];
    for (const [name, text, pattern, line] of cases) {
      it(name, async () => {
        const src = fresh();
        const out = fresh();
        // A good file sorts first, so a half-done import would have written it.
        writeBaseCsvs(src);
        await importCsv({ src, out });
        const before = snapshot(out);
        writeText(join(src, 'SZ000002.csv'), text);
        const e = await failure(importCsv({ src, out }));
        expect(isQonlineError(e)).toBe(true);
        expect(e.code).toBe('QONLINE_INPUT_INVALID');
        // The location names the file; the message does not repeat it.
        expect(e.message).not.toContain('SZ000002.csv');
        expect(e.message).toMatch(pattern);
        expect(e.location).toMatchObject({ file: join(src, 'SZ000002.csv'), line });
        expect(snapshot(out)).toEqual(before);
        // Into a new folder, a failed import creates nothing at all.
        const newOut = join(fresh(), 'new');
        await failure(importCsv({ src, out: newOut }));
        expect(existsSync(newOut)).toBe(false);
      });
    }
  });

  it('finishes an import that was killed after its commit point', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    // Simulate a process killed after writing the journal, with one file already moved.
    const staging = join(out, '.qonline-staging-dead');
    mkdirSync(join(staging, 'features/sz000001'), { recursive: true });
    writeFileSync(join(staging, 'features/sz000001/close.day.bin'), qlibBinBytes(1, [1, 2, 3]));
    writeFileSync(join(out, JOURNAL_FILE), JSON.stringify({ staging: '.qonline-staging-dead', moves: ['features/sh600000/close.day.bin', 'features/sz000001/close.day.bin'] }));
    mkdirSync(join(out, '.qonline-staging-orphan'));
    expect(await recoverInterruptedImport(out)).toBe('rolled-forward');
    expect(bin(out, 'sz000001', 'close').values).toEqual([1, 2, 3]);
    expect(existsSync(join(out, JOURNAL_FILE))).toBe(false);
    expect(existsSync(staging)).toBe(false);
    expect(existsSync(join(out, '.qonline-staging-orphan'))).toBe(false);
  });

  it('refuses to run while another live import holds the lock, and takes over a stale lock', async () => {
    const src = fresh();
    const out = fresh();
    writeBaseCsvs(src);
    await importCsv({ src, out });
    writeFileSync(join(out, LOCK_FILE), String(process.pid));
    const e = await failure(importCsv({ src, out }));
    expect(e.code).toBe('QONLINE_STORE_LOCKED');
    // A pid far above Linux's pid_max cannot be alive.
    writeFileSync(join(out, LOCK_FILE), '99999999');
    await importCsv({ src, out });
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('reports a source without CSV files', async () => {
    const e = await failure(importCsv({ src: fresh(), out: join(fresh(), 'o') }));
    expect(e.message).toMatch(/no \.csv files/);
  });
});

describe('CSV cells', () => {
  it('parses numbers exactly as Number() does and refuses what is not a number', () => {
    // Deterministic pseudo-random decimals of many shapes (an LCG, not the code under test).
    let state = 12345;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (let k = 0; k < 5000; k++) {
      const intPart = String(next() % 100000);
      const frac = String(next()).slice(0, next() % 12);
      const text = (next() % 4 === 0 ? '-' : '') + intPart + (frac ? '.' + frac : '');
      expect(parseCsvNumber(text)).toBe(Number(text));
    }
    for (const text of ['1e5', '-2.5E-3', '.5', '5.', '+7', '123456789012345678', '0.1234567890123456789']) {
      expect(parseCsvNumber(text)).toBe(Number(text));
    }
    for (const text of ['', 'nan', 'NaN', 'NA', 'null', 'None']) expect(parseCsvNumber(text)).toBeNaN();
    expect(parseCsvNumber('inf')).toBe(Infinity);
    expect(parseCsvNumber('-inf')).toBe(-Infinity);
    for (const text of ['abc', '0x10', '0b1', '1e', '--1', '1.2.3', '1,5', '12abc']) expect(parseCsvNumber(text)).toBeUndefined();
  });

  it('parses the usual date forms', () => {
    expect(parseCsvDate('2021-01-04')).toBe('2021-01-04');
    expect(parseCsvDate('2021/01/04')).toBe('2021-01-04');
    expect(parseCsvDate('20210104')).toBe('2021-01-04');
    expect(parseCsvDate('2021-01-04 00:00:00')).toBe('2021-01-04');
    expect(parseCsvDate('2020-02-29')).toBe('2020-02-29');
    for (const bad of ['2021-02-29', '2021-13-01', '2021-1-4', '2021-01-04 09:30:00', 'x021-01-04', '202x-01-04', '2021-01-0x']) expect(parseCsvDate(bad)).toBeNull();
  });
});
