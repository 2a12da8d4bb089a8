import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inFeatureCacheShare } from '../../../../../core/index.js';
import { digestOfField, digestsOfFieldPrefix, FeatureDiskCache, inputHash } from '../../../../../plugins/data-qlib/src/provider/feature-disk-cache.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { readFeatureSync, writeCalendar, writeFeature, writeInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';

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

/** A request as one process makes it: the provider writes its disk cache changes when it closes. */
async function requestOnce(p: QlibDataProvider, req: Parameters<QlibDataProvider['features']>[0]): ReturnType<QlibDataProvider['features']> {
  try {
    return await p.features(req);
  } finally {
    await p.close();
  }
}

describe('feature disk cache', () => {
  it('a new process reuses cached features, and one appended day recomputes only the tail', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const dates = await makeData(uri, 300);

    const first = new QlibDataProvider({ id: 't', uri, cacheDir });
    const a = await first.features({ instruments: ['AAA'], fields: EXPRS, start: dates[0]!, end: null });
    // Small changes reach the file when the provider closes (the end of a process).
    await first.close();
    expect(first.evaluations).toBe(EXPRS.length);

    // A fresh provider (another process) evaluates nothing.
    const second = new QlibDataProvider({ id: 't', uri, cacheDir });
    const b = await second.features({ instruments: ['AAA'], fields: EXPRS, start: dates[0]!, end: null });
    await second.close();
    expect(second.rowsEvaluated).toBe(0);
    b.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(a.data[c]!)));

    // One more day of data: the same seed regenerates identical history plus a day.
    const dates2 = await makeData(uri, 301);
    const third = new QlibDataProvider({ id: 't', uri, cacheDir });
    const c3 = await third.features({ instruments: ['AAA'], fields: EXPRS, start: dates2[0]!, end: null });
    await third.close();
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
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), req(EXPRS.slice(0, 2)));
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), req(EXPRS.slice(2)));
    expect(readdirSync(cacheDir)).toEqual(['aaa.qofc']);
    const all = new QlibDataProvider({ id: 't', uri, cacheDir });
    const a = await requestOnce(all, req(EXPRS));
    expect(all.rowsEvaluated).toBe(0);
    // A torn file (a crash mid-write cannot leave one: files are renamed into place; a disk error could) is ignored and rewritten.
    const file = path.join(cacheDir, 'aaa.qofc');
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    const again = new QlibDataProvider({ id: 't', uri, cacheDir });
    const b = await requestOnce(again, req(EXPRS));
    expect(again.evaluations).toBe(EXPRS.length);
    b.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(a.data[c]!)));
    const third = new QlibDataProvider({ id: 't', uri, cacheDir });
    await requestOnce(third, req(EXPRS));
    expect(third.rowsEvaluated).toBe(0);
  });
});

describe('feature disk cache: training threads of one batch', () => {
  it('each writes only its share of the instruments; together they write every entry once, values unchanged', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const dates = await makeData(uri, 120);
    // The same series under more codes: instruments of both shares.
    const codes = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH'];
    for (const code of codes.slice(1)) {
      for (const f of ['close', 'volume']) {
        const { start, values } = readFeatureSync(uri, 'AAA', f)!;
        await writeFeature(uri, code, f, start, values);
      }
    }
    await writeInstruments(uri, 'all', new Map(codes.map((c) => [c, [{ start: dates[0]!, end: dates[dates.length - 1]! }]])));
    const shares = [0, 1].map((index) => ({ index, count: 2 }));
    const mine = shares.map((share) => codes.filter((c) => inFeatureCacheShare(c, share)));
    // A hash split: every code in exactly one share, neither share empty here.
    expect(mine[0]!.length + mine[1]!.length).toBe(codes.length);
    expect(mine.every((m) => m.length > 0)).toBe(true);
    const req = { instruments: codes, fields: EXPRS, start: dates[0]!, end: null };
    const plain = await new QlibDataProvider({ id: 't', uri }).features(req);

    const cacheDir = path.join(root, 'cache');
    const first = new QlibDataProvider({ id: 't', uri, cacheDir, diskWriteShare: shares[0] });
    const a = await requestOnce(first, req);
    expect(readdirSync(cacheDir).sort()).toEqual(mine[0]!.map((c) => `${c.toLowerCase()}.qofc`));
    // The other thread reads the first one's share and computes (and writes) its own.
    const second = new QlibDataProvider({ id: 't', uri, cacheDir, diskWriteShare: shares[1] });
    const b = await requestOnce(second, req);
    expect(second.evaluations).toBe(mine[1]!.length * EXPRS.length);
    expect(readdirSync(cacheDir).sort()).toEqual(codes.map((c) => `${c.toLowerCase()}.qofc`));
    const later = new QlibDataProvider({ id: 't', uri, cacheDir });
    const c = await requestOnce(later, req);
    expect(later.rowsEvaluated).toBe(0);
    for (const got of [a, b, c]) got.data.forEach((col, k) => expect(Buffer.from(col.buffer, col.byteOffset, col.byteLength).equals(Buffer.from(plain.data[k]!.buffer, plain.data[k]!.byteOffset, plain.data[k]!.byteLength))).toBe(true));
  });
});

describe('feature disk cache: appended records', () => {
  const hash = (n: number): Buffer => Buffer.alloc(32, n);
  const series = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i));

  it('appends the new days as a record, reads base + records back, and ignores a torn or corrupt record', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const cache = new FeatureDiskCache(dir);
    const file = path.join(dir, 'aaa.qofc');
    const a1000 = series(1000, 1);
    const p1 = cache.open('AAA');
    p1.put('A', { start: 0, inputHash: hash(1), values: a1000 });
    p1.put('B', { start: 3, inputHash: hash(2), values: series(97, 2) });
    p1.flush();
    expect(cache.rewrites).toBe(1);
    const base = readFileSync(file);

    // Extend A by 3 rows (the last 2 recomputed) and add C: one record appended after the untouched base.
    const a1003 = series(1003, 1);
    a1003[998] = 42;
    const p2 = cache.open('AAA');
    expect(Array.from(p2.get('A')!.read()!)).toEqual(Array.from(a1000));
    p2.put('A', { start: 0, inputHash: hash(3), values: a1003.subarray(998), keep: 998 });
    p2.put('C', { start: 0, inputHash: hash(4), values: series(10, 3) });
    p2.flush();
    expect(cache.appends).toBe(1);
    const appended = readFileSync(file);
    expect(appended.subarray(0, base.byteLength).equals(base)).toBe(true);
    // The record holds the index (a descriptor per entry: A, B, C) and the new values only (5 of A, 10 of C), header and trailer.
    expect(appended.byteLength - base.byteLength).toBe(40 + 3 * 80 + (5 + 10) * 4 + 16);
    // The pack that appended serves its own record (its index parsed from the bytes it wrote, on first use).
    expect(Array.from(p2.get('A')!.read(1000)!)).toEqual(Array.from(a1003.subarray(1000)));
    expect(Array.from(p2.get('A')!.read(990)!)).toEqual(Array.from(a1003.subarray(990)));
    expect(p2.get('C')!.hasInputs(hash(4))).toBe(true);
    expect(p2.get('B')!.hasInputs(hash(2))).toBe(true);

    const p3 = cache.open('AAA');
    expect(Array.from(p3.get('A')!.read()!)).toEqual(Array.from(a1003));
    expect(p3.get('A')!.inputHash.equals(hash(3))).toBe(true);
    expect(Array.from(p3.get('B')!.read()!)).toEqual(Array.from(series(97, 2)));
    expect(Array.from(p3.get('C')!.read()!)).toEqual(Array.from(series(10, 3)));

    // A second append on top of the first.
    const a1004 = series(1004, 1);
    a1004[998] = 42;
    p3.put('A', { start: 0, inputHash: hash(5), values: a1004.subarray(1003), keep: 1003 });
    p3.flush();
    expect(cache.appends).toBe(2);
    const two = readFileSync(file);
    expect(Array.from(cache.open('AAA').get('A')!.read()!)).toEqual(Array.from(a1004));

    // Torn second record (a crash mid-append): the first record still applies, the torn one is ignored.
    writeFileSync(file, two.subarray(0, two.byteLength - 3));
    const torn = cache.open('AAA');
    expect(Array.from(torn.get('A')!.read()!)).toEqual(Array.from(a1003));
    expect(torn.get('C')).not.toBeNull();
    // The next write replaces the damaged file whole (nothing is appended after garbage).
    torn.put('A', { start: 0, inputHash: hash(5), values: a1004.subarray(1003), keep: 1003 });
    torn.flush();
    expect(cache.rewrites).toBe(2);
    expect(Array.from(cache.open('AAA').get('A')!.read()!)).toEqual(Array.from(a1004));

    // A corrupt record (a flipped value byte) fails its checksum: base only.
    const bad = Buffer.from(appended);
    bad[bad.byteLength - 17] ^= 0xff;
    writeFileSync(file, bad);
    const corrupt = cache.open('AAA');
    expect(Array.from(corrupt.get('A')!.read()!)).toEqual(Array.from(a1000));
    expect(corrupt.get('C')).toBeNull();
  });

  it("matches a stored entry's input hash only when all its 32 bytes are equal (base and appended record)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const cache = new FeatureDiskCache(dir);
    const stored = createHash('sha256').update('inputs').digest();
    const p = cache.open('H');
    p.put('A', { start: 0, inputHash: stored, values: series(20, 1) });
    p.flush();
    const q = cache.open('H');
    q.put('A', { start: 0, inputHash: stored, values: series(2, 2), keep: 20, length: 22 });
    q.put('B', { start: 0, inputHash: stored, values: series(5, 3) });
    q.flush();
    for (const entry of [cache.open('H').get('A')!, cache.open('H').get('B')!]) {
      expect(entry.hasInputs(Buffer.from(stored))).toBe(true);
      // Any one byte different, a prefix or a longer buffer: not the same inputs.
      for (let i = 0; i < 32; i++) {
        const other = Buffer.from(stored);
        other[i]! ^= 1;
        expect(entry.hasInputs(other)).toBe(false);
      }
      expect(entry.hasInputs(stored.subarray(0, 31))).toBe(false);
      expect(entry.hasInputs(Buffer.concat([stored, Buffer.alloc(1)]))).toBe(false);
    }
  });

  it('skips a record entry whose base changed meanwhile, and compacts records into a new base', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const cache = new FeatureDiskCache(dir);
    const p = cache.open('X');
    p.put('A', { start: 0, inputHash: hash(1), values: series(50, 1) });
    p.flush();
    // Two processes read the same file; both extend A from length 50.
    const one = cache.open('X');
    const other = cache.open('X');
    one.put('A', { start: 0, inputHash: hash(2), values: series(52, 1).subarray(50), keep: 50 });
    one.flush();
    // `other` sees a file that grew since it read: it rewrites whole with what it knows.
    other.put('A', { start: 0, inputHash: hash(3), values: series(51, 1).subarray(50), keep: 50 });
    other.flush();
    expect(cache.rewrites).toBe(2);
    expect(cache.open('X').get('A')!.length).toBe(51);

    // Many small appends: the file is compacted before its records outgrow half the base.
    let n = 51;
    const before = cache.rewrites;
    for (let day = 0; day < 40; day++) {
      const q = cache.open('X');
      q.put('A', { start: 0, inputHash: hash(10 + day), values: series(n + 1, 1).subarray(n), keep: n });
      q.flush();
      n++;
    }
    expect(cache.rewrites).toBeGreaterThan(before);
    expect(cache.appends).toBeGreaterThan(15);
    const last = cache.open('X').get('A')!;
    expect(last.length).toBe(n);
    expect(Array.from(last.read()!)).toEqual(Array.from(series(n, 1)));
  });
});

describe('feature disk cache: index and tail reads', () => {
  const hash = (n: number): Buffer => Buffer.alloc(32, n);
  const series = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.cos(seed * 1000 + i));

  it('reads the last rows with positioned reads, older rows through the chain of pieces, and never through a replaced file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const cache = new FeatureDiskCache(dir);
    const file = path.join(dir, 'aaa.qofc');
    const p = cache.open('AAA');
    p.put('A', { start: 0, inputHash: hash(1), values: series(2000, 1) });
    p.put('B', { start: 5, inputHash: hash(2), values: series(1990, 2) });
    p.flush();
    // Three daily appends of A (the last row recomputed each time, as a label would be); B unchanged.
    let n = 2000;
    for (let day = 0; day < 3; day++) {
      const q = cache.open('AAA');
      q.put('A', { start: 0, inputHash: hash(10 + day), values: series(n + 1, 1).subarray(n - 1), keep: n - 1 });
      q.flush();
      n++;
    }
    expect(cache.appends).toBe(3);
    const reader = new FeatureDiskCache(dir);
    const r = reader.open('AAA');
    const a = r.get('A')!;
    expect(a.length).toBe(2003);
    expect(a.hasInputs(hash(12))).toBe(true);
    expect(a.hasInputs(hash(11))).toBe(false);
    // The index: header, the last record (two descriptors, A's 2 new values) and its trailer; no history.
    expect(reader.bytesRead).toBe(16 + 40 + 2 * 80 + 2 * 4 + 16);
    expect(Array.from(a.read(2001)!)).toEqual(Array.from(series(2003, 1).subarray(2001)));
    expect(reader.wholeReads).toBe(0);
    // Rows of older pieces: the file is read once and the chain followed.
    expect(Array.from(a.read(0)!)).toEqual(Array.from(series(2003, 1)));
    expect(Array.from(r.get('B')!.read(0)!)).toEqual(Array.from(series(1990, 2)));
    expect(reader.wholeReads).toBe(1);

    // A file replaced after its index was read (another process compacted it): its offsets are not trusted.
    const stale = new FeatureDiskCache(dir).open('AAA');
    const other = new FeatureDiskCache(dir);
    const o = other.open('AAA');
    o.put('C', { start: 0, inputHash: hash(3), values: series(3000, 3) });
    o.put('A', { start: 0, inputHash: hash(13), values: series(2004, 1).subarray(2003), keep: 2003 });
    // Past half the base: rewritten whole under a new inode.
    o.flush();
    expect(other.rewrites).toBe(1);
    expect(stale.get('A')!.read(2002)).toBeNull();
    // The stale pack's own write neither appends to the new file's offsets nor replaces it: its change is dropped.
    stale.put('A', { start: 0, inputHash: hash(14), values: series(2004, 1).subarray(2003), keep: 2003 });
    stale.flush();
    const after = new FeatureDiskCache(dir).open('AAA');
    expect(after.get('A')!.hasInputs(hash(13))).toBe(true);
    expect(Array.from(after.get('A')!.read(0)!)).toEqual(Array.from(series(2004, 1)));
    expect(Array.from(after.get('C')!.read(2990)!)).toEqual(Array.from(series(3000, 3).subarray(2990)));
    // A damaged trailer: the file is scanned from the start and the last whole record serves.
    const fresh = new FeatureDiskCache(dir);
    const f = fresh.open('BBB');
    f.put('A', { start: 0, inputHash: hash(1), values: series(2000, 1) });
    f.flush();
    const g = fresh.open('BBB');
    g.put('A', { start: 0, inputHash: hash(2), values: series(2001, 1).subarray(2000), keep: 2000 });
    g.flush();
    const bfile = path.join(dir, 'bbb.qofc');
    const bytes = readFileSync(bfile);
    writeFileSync(bfile, Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
    const scanned = new FeatureDiskCache(dir);
    const e = scanned.open('BBB').get('A')!;
    expect(scanned.wholeReads).toBe(1);
    expect(e.length).toBe(2001);
    expect(Array.from(e.read(0)!)).toEqual(Array.from(series(2001, 1)));
    expect(readFileSync(file).byteLength).toBeGreaterThan(0);
  });
});

describe('feature disk cache: daily appends through the provider', () => {
  it('appends each new day to the instrument file and serves what a fresh computation gives, also after a torn append', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const file = path.join(cacheDir, 'aaa.qofc');
    // Bounded windows only (EMA would be recomputed whole and written whole).
    const exprs = EXPRS.filter((e) => !e.startsWith('EMA'));
    let dates = await makeData(uri, 300);
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), { instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
    const check = async (n: number): Promise<QlibDataProvider> => {
      const p = new QlibDataProvider({ id: 't', uri, cacheDir });
      const got = await requestOnce(p, { instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
      const f = await new QlibDataProvider({ id: 't', uri }).features({ instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
      expect(got.rows).toBe(n);
      f.data.forEach((col, c) => {
        for (let i = 0; i < col.length; i++) {
          const x = got.data[c]![i]!;
          const y = col[i]!;
          if (Number.isNaN(y)) expect(x, `${exprs[c]} row ${i}`).toBeNaN();
          else expect(Math.abs(x - y), `${exprs[c]} row ${i}`).toBeLessThanOrEqual(Math.abs(y) * 2e-6 + 1e-9);
        }
      });
      return p;
    };
    for (let n = 301; n <= 303; n++) {
      const before = readFileSync(file);
      dates = await makeData(uri, n);
      const p = await check(n);
      expect(p.rowsEvaluated).toBeLessThan(4 * 41);
      const after = readFileSync(file);
      // The old bytes are untouched; the record is small (new days and each expression's recomputed tail).
      expect(after.subarray(0, before.byteLength).equals(before)).toBe(true);
      expect(after.byteLength - before.byteLength).toBeLessThan(40 + exprs.length * (80 + 4 * 4));
    }
    // A torn append: the last record is cut short and ignored; values are recomputed from the day before and still right.
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.byteLength - 5));
    const p = await check(303);
    expect(p.rowsEvaluated).toBeGreaterThan(0);
    expect(p.rowsEvaluated).toBeLessThan(4 * 41);
    // ...and the file was replaced by a whole, valid one.
    const q = await check(303);
    expect(q.rowsEvaluated).toBe(0);
  });
});

describe('feature disk cache: one record per instrument per process', () => {
  it('writes the new days of two requests (two datasets of a routine) as one record at close, and loses only cache without close', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const file = path.join(cacheDir, 'aaa.qofc');
    const first = EXPRS.slice(0, 2);
    const second = EXPRS.slice(2).filter((e) => !e.startsWith('EMA'));
    let dates = await makeData(uri, 300);
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), { instruments: ['AAA'], fields: [...first, ...second], start: dates[0]!, end: null });
    dates = await makeData(uri, 301);
    const before = readFileSync(file);
    const day = { instruments: ['AAA'], start: dates[300]!, end: null };

    // A process that ends without close() (a crash): the file is as it was, and the next one computes the tails again.
    const crashed = new QlibDataProvider({ id: 't', uri, cacheDir });
    const lost = [await crashed.features({ ...day, fields: first }), await crashed.features({ ...day, fields: second })];
    expect(readFileSync(file).equals(before)).toBe(true);

    const p = new QlibDataProvider({ id: 't', uri, cacheDir });
    const got = [await p.features({ ...day, fields: first }), await p.features({ ...day, fields: second })];
    expect(p.rowsEvaluated).toBe(crashed.rowsEvaluated);
    got.forEach((g, i) => g.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(lost[i]!.data[c]!))));
    const disk = (p as unknown as { disk: FeatureDiskCache }).disk;
    expect(disk.appends).toBe(0);
    await p.close();
    expect(disk.appends).toBe(1);
    expect(disk.rewrites).toBe(0);
    const after = readFileSync(file);
    expect(after.subarray(0, before.byteLength).equals(before)).toBe(true);
    expect(after.byteLength - before.byteLength).toBeLessThan(40 + 16 + first.length * (80 + 4 * 12) + second.length * (80 + 4 * 22));

    // Both requests' tails are in that record: the next process evaluates nothing and reads the same bits.
    const next = new QlibDataProvider({ id: 't', uri, cacheDir });
    const again = [await next.features({ ...day, fields: first }), await next.features({ ...day, fields: second })];
    expect(next.rowsEvaluated).toBe(0);
    again.forEach((g, i) => g.data.forEach((col, c) => expect(Array.from(col)).toEqual(Array.from(got[i]!.data[c]!))));
    await next.close();
    expect(readFileSync(file).equals(after)).toBe(true);
  });
});

describe('feature disk cache: input hashes', () => {
  it('are the sha256 construction the files hold (hashing in one call changed no byte: existing caches stay valid)', () => {
    const close = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const volume = Float32Array.from({ length: 50 }, (_, i) => 1000 + i);
    const fields = new Map([
      ['close', close],
      ['volume', volume],
    ]);
    const rows = (v: Float32Array, n: number): Uint8Array => new Uint8Array(v.buffer, 0, n * 4);
    const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
    expect(digestOfField(fields, 'close', 40)!.equals(sha(rows(close, 40)))).toBe(true);
    expect(digestOfField(fields, 'open', 40)).toBeNull();
    // Names in order, each followed by its field's digest (none for a field the instrument lacks).
    const streamed = createHash('sha256').update('close').update(sha(rows(close, 40))).update('open').update('volume').update(sha(rows(volume, 40))).digest();
    expect(inputHash(fields, ['volume', 'open', 'close'], 40).equals(streamed)).toBe(true);
    expect(inputHash(fields, ['close'], 40).equals(createHash('sha256').update('close').update(sha(rows(close, 40))).digest())).toBe(true);
    expect(inputHash(fields, ['close', 'open', 'volume'], 40).equals(streamed)).toBe(true);
    // A routine's two digests (the cached rows, the whole grown series) from one pass are the same bytes.
    for (const n of [0, 1, 40, 49, 50]) {
      const both = digestsOfFieldPrefix(fields, 'close', n)!;
      expect(both.prefix.equals(sha(rows(close, n)))).toBe(true);
      expect(both.whole.equals(sha(rows(close, 50)))).toBe(true);
    }
    expect(digestsOfFieldPrefix(fields, 'open', 40)).toBeNull();
  });

  it('see a revision of one old row when a day is appended: every entry reading that field is recomputed whole', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const exprs = ['Mean($close, 5)/$close', 'Std($close/Ref($close, 1) - 1, 20)', 'Mean($volume, 5)'];
    let dates = await makeData(uri, 200);
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), { instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
    // One more day, and row 30 of $close revised (far outside any window of the new day).
    dates = await makeData(uri, 201);
    const close = readFeatureSync(uri, 'AAA', 'close')!.values.slice();
    close[30] = close[30]! * 1.01;
    await writeFeature(uri, 'AAA', 'close', 0, close);
    const p = new QlibDataProvider({ id: 't', uri, cacheDir });
    const got = await requestOnce(p, { instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
    // The two $close entries are evaluated over all 201 rows; the $volume one only over its tail.
    expect(p.rowsEvaluated).toBeGreaterThanOrEqual(2 * 201);
    expect(p.rowsEvaluated).toBeLessThan(2 * 201 + 20);
    const fresh = await new QlibDataProvider({ id: 't', uri }).features({ instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
    fresh.data.forEach((col, c) => expect(Array.from(got.data[c]!)).toEqual(Array.from(col)));
  });
});

describe('feature disk cache: record bytes and routine bookkeeping', () => {
  const hash = (n: number): Buffer => Buffer.alloc(32, n);
  const series = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.tan(seed * 100 + i / 7));
  const sha1 = (text: string): Buffer => createHash('sha1').update(text).digest();

  it('writes records as the format says (checksum over the first 16 bytes and the payload, index order, then new entries), over many appends and a torn one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const cache = new FeatureDiskCache(dir);
    const file = path.join(dir, 'aaa.qofc');
    const names = ['E0', 'E1', 'E2', 'E3'];
    const p = cache.open('AAA');
    names.forEach((e, i) => p.put(e, { start: i, inputHash: hash(i), values: series(400, i) }));
    p.flush();
    // Day by day: every entry grows by one row (its last 2 recomputed), one entry (E2) is left alone on odd days, and day 3 adds E4.
    const want = new Map(names.map((e, i) => [e, { start: i, hash: hash(i), values: series(400, i) }]));
    for (let day = 1; day <= 6; day++) {
      const before = readFileSync(file);
      const q = cache.open('AAA');
      const changed: string[] = [];
      for (const [e, w] of want) {
        if (e === 'E2' && day % 2) continue;
        const n = w.values.length;
        // Rows before the recomputed two are the stored ones.
        const grown = new Float32Array(n + 1);
        grown.set(w.values);
        grown[n - 1] = day;
        grown[n] = -day;
        q.put(e, { start: w.start, inputHash: hash(10 * day + Number(e.slice(1))), values: grown.subarray(n - 1), keep: n - 1, length: n + 1 });
        want.set(e, { start: w.start, hash: hash(10 * day + Number(e.slice(1))), values: grown });
        changed.push(e);
      }
      if (day === 3) {
        q.put('E4', { start: 7, inputHash: hash(99), values: series(30, 4) });
        want.set('E4', { start: 7, hash: hash(99), values: series(30, 4) });
        changed.push('E4');
      }
      q.flush();
      expect(cache.appends).toBe(day);
      // The record as a reference reader sees it.
      const after = readFileSync(file);
      expect(after.subarray(0, before.byteLength).equals(before)).toBe(true);
      const rec = after.subarray(before.byteLength);
      const payload = rec.readUInt32LE(4);
      const count = rec.readUInt32LE(8);
      expect(rec.byteLength).toBe(40 + payload + 16);
      expect(count).toBe(want.size);
      expect(rec.readUInt32LE(12)).toBe(day);
      const sum = createHash('sha1').update(rec.subarray(0, 16)).update(rec.subarray(40, 40 + payload)).digest();
      expect(rec.subarray(16, 36).equals(sum)).toBe(true);
      expect(rec.readUInt32LE(36)).toBe(0);
      expect(rec.readUInt32LE(40 + payload)).toBe(0x4546_4f51);
      expect(rec.readUInt32LE(40 + payload + 4)).toBe(before.byteLength);
      // Descriptors: the entries in the order the file had them, the new one last; each changed entry's values where its piece says.
      const order = [...want.keys()];
      let values = 0;
      order.forEach((e, i) => {
        const d = rec.subarray(40 + i * 80, 40 + (i + 1) * 80);
        expect(d.subarray(0, 20).equals(sha1(e)), `descriptor ${i}`).toBe(true);
        expect(d.readInt32LE(24)).toBe(want.get(e)!.start);
        expect(d.readUInt32LE(28)).toBe(want.get(e)!.values.length);
        expect(d.subarray(48, 80).equals(want.get(e)!.hash)).toBe(true);
        if (!changed.includes(e)) return;
        const keep = d.readUInt32LE(32);
        const piece = d.readUInt32LE(36) - before.byteLength;
        const n = want.get(e)!.values.length - keep;
        values += n;
        expect(Array.from(new Float32Array(rec.buffer.slice(rec.byteOffset + piece, rec.byteOffset + piece + n * 4)))).toEqual(Array.from(want.get(e)!.values.subarray(keep)));
      });
      expect(payload).toBe(order.length * 80 + values * 4);
      // A fresh reader: every entry, whole, with its input hash.
      const r = new FeatureDiskCache(dir).open('AAA');
      for (const [e, w] of want) {
        const got = r.get(e)!;
        expect(got.start).toBe(w.start);
        expect(got.hasInputs(w.hash)).toBe(true);
        expect(Array.from(got.read()!)).toEqual(Array.from(w.values));
      }
    }
    expect(cache.rewrites).toBe(1);
    // The last append torn at any byte: the record before it serves, never a mix.
    const whole = readFileSync(file);
    const last = whole.byteLength - (40 + whole.readUInt32LE(whole.byteLength - 8) + 16);
    const prev = new FeatureDiskCache(dir);
    writeFileSync(file, whole.subarray(0, last));
    const five = new Map([...want].map(([e]) => [e, Array.from(prev.open('AAA').get(e)!.read()!)]));
    for (const cut of [last + 1, last + 40, last + 41 + 80, whole.byteLength - 17, whole.byteLength - 1]) {
      writeFileSync(file, whole.subarray(0, cut));
      const torn = new FeatureDiskCache(dir).open('AAA');
      for (const [e, v] of five) expect(Array.from(torn.get(e)!.read()!), `${e} cut at ${cut}`).toEqual(v);
    }
  });

  it('serves a later request of the same process from the tails the pack holds (not the memory cache), before and after the flush', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-fcache-'));
    const uri = path.join(root, 'data');
    const cacheDir = path.join(root, 'cache');
    const exprs = EXPRS.filter((e) => !e.startsWith('EMA'));
    let dates = await makeData(uri, 300);
    await requestOnce(new QlibDataProvider({ id: 't', uri, cacheDir }), { instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
    for (let n = 301; n <= 304; n++) {
      dates = await makeData(uri, n);
      const fresh = await new QlibDataProvider({ id: 't', uri }).features({ instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
      const p = new QlibDataProvider({ id: 't', uri, cacheDir });
      // A routine's request: the new day only.
      const day = await p.features({ instruments: ['AAA'], fields: exprs, start: dates[n - 1]!, end: null });
      const evaluated = p.rowsEvaluated;
      expect(evaluated).toBeGreaterThan(0);
      const lru = (p as unknown as { cache: { size: number } }).cache;
      expect(lru.size).toBe(0);
      // Then the same day, a longer span, the whole series: nothing is evaluated again, and the values are a fresh computation's.
      const again = await p.features({ instruments: ['AAA'], fields: exprs, start: dates[n - 1]!, end: null });
      const span = await p.features({ instruments: ['AAA'], fields: exprs, start: dates[n - 30]!, end: null });
      const all = await p.features({ instruments: ['AAA'], fields: exprs, start: dates[0]!, end: null });
      expect(p.rowsEvaluated).toBe(evaluated);
      exprs.forEach((e, c) => {
        const col = Array.from(fresh.data[c]!);
        expect(Array.from(day.data[c]!), e).toEqual(col.slice(n - 1));
        expect(Array.from(again.data[c]!), e).toEqual(col.slice(n - 1));
        expect(Array.from(span.data[c]!), e).toEqual(col.slice(n - 30));
        expect(Array.from(all.data[c]!), e).toEqual(col);
      });
      await p.close();
    }
    // One append per routine on the first base: the trailer's record number is 4.
    const bytes = readFileSync(path.join(cacheDir, 'aaa.qofc'));
    expect(bytes.readUInt32LE(bytes.byteLength - 4)).toBe(4);
  });
});
