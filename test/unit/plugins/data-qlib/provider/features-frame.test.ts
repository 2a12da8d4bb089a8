import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureFrame } from '../../../../../core/index.js';
import { compileExpression } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { locateFeatureWorker } from '../../../../../plugins/data-qlib/src/parallel/feature-workers.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { featurePath, readCalendar, readFeature, readInstruments, writeCalendar, writeFeature, writeInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { generateSyntheticMarket } from '../../../../../plugins/data-qlib/src/synth/index.js';

const EXPRS = [
  '$close',
  'Ref($close, 1)/$close - 1',
  'Mean($volume, 5)/($volume+1e-12)',
  'Corr($close, Log($volume+1), 10)',
  'Rank($close, 20)',
  'Ref($close, -2)/Ref($close, -1) - 1',
  'EMA($high - $low, 8)',
  'Quantile($close, 60, 0.8)/$close',
];

let root = '';
let uri = '';
let dates: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'qonline-frame-'));
  uri = path.join(root, 'mkt');
  await generateSyntheticMarket(uri, { instruments: 14, start: '2019-01-01', end: '2019-12-31', seed: 5 });
  dates = await readCalendar(uri, 'day');
  // A market whose members leave and come back (several spans per code).
  const all = await readInstruments(uri, 'all');
  const codes = [...all.keys()].sort();
  const spans = new Map(
    codes.slice(0, 6).map((c, i) => [
      c,
      [
        { start: dates[10 + i]!, end: dates[60 + 3 * i]! },
        { start: dates[100 + i]!, end: dates[140]! },
      ],
    ]),
  );
  await writeInstruments(uri, 'gappy', spans);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The frame computed the plain way: per instrument, the union of its fields'
 * stored ranges, each expression evaluated alone over it, then rows for
 * every (date, instrument) the series covers and the market spans include,
 * dates first.
 */
async function naiveFrame(instruments: string | string[], exprs: string[], start: string, end: string): Promise<FeatureFrame> {
  const market = typeof instruments === 'string' ? await readInstruments(uri, instruments) : null;
  const codes = market ? [...market.keys()].sort() : [...instruments].sort();
  const a = dates.findIndex((d) => d >= start);
  let b = dates.length - 1;
  while (dates[b]! > end) b--;
  const compiled = exprs.map((e) => compileExpression(e));
  const perCode = new Map<string, { start: number; length: number; cols: Float32Array[] }>();
  for (const code of codes) {
    const names = [...new Set(compiled.flatMap((c) => c.fields))];
    const raw = new Map<string, { start: number; values: Float32Array } | null>();
    for (const n of names) raw.set(n, await readFeature(uri, code, n));
    const present = [...raw.values()].filter((v): v is { start: number; values: Float32Array } => !!v && v.values.length > 0);
    if (!present.length) continue;
    const s0 = Math.min(...present.map((v) => v.start));
    const s1 = Math.max(...present.map((v) => v.start + v.values.length));
    const field = (n: string): Float32Array => {
      const out = new Float32Array(s1 - s0).fill(NaN);
      const v = raw.get(n);
      if (v) for (let i = 0; i < v.values.length; i++) out[v.start - s0 + i] = v.values[i]!;
      return out;
    };
    perCode.set(code, { start: s0, length: s1 - s0, cols: compiled.map((c) => c.evaluate({ length: s1 - s0, field })) });
  }
  const rowDate: number[] = [];
  const rowInst: number[] = [];
  const data: number[][] = exprs.map(() => []);
  const used = codes.filter((c) => {
    const p = perCode.get(c);
    return p && p.start <= b && p.start + p.length - 1 >= a;
  });
  for (let t = a; t <= b; t++) {
    used.forEach((code, k) => {
      const p = perCode.get(code)!;
      if (t < p.start || t >= p.start + p.length) return;
      if (market && !market.get(code)!.some((sp) => sp.start <= dates[t]! && dates[t]! <= sp.end)) return;
      rowDate.push(t - a);
      rowInst.push(k);
      p.cols.forEach((col, c) => data[c]!.push(col[t - p.start]!));
    });
  }
  return {
    rows: rowDate.length,
    dates: dates.slice(a, b + 1),
    instruments: used,
    rowDate: Int32Array.from(rowDate),
    rowInst: Int32Array.from(rowInst),
    columns: exprs,
    data: data.map((d) => Float32Array.from(d)),
  };
}

function plain(f: FeatureFrame) {
  return { rows: f.rows, dates: f.dates, instruments: f.instruments, rowDate: Array.from(f.rowDate), rowInst: Array.from(f.rowInst), columns: f.columns, data: f.data.map((d) => Array.from(d)) };
}

describe('QlibDataProvider.features', () => {
  it('equals a plain per-instrument evaluation and date-major assembly (markets with several spans, lists, date ranges)', async () => {
    const p = new QlibDataProvider({ id: 't', uri, threads: 1 });
    for (const [instruments, start, end] of [
      ['all', dates[0]!, dates[dates.length - 1]!],
      ['gappy', dates[30]!, dates[120]!],
      [['SZ000001', 'SH600003', 'SH600001'], dates[5]!, dates[200]!],
    ] as const) {
      const got = await p.features({ instruments: typeof instruments === 'string' ? instruments : [...instruments], fields: EXPRS, start, end });
      const expected = await naiveFrame(typeof instruments === 'string' ? instruments : [...instruments], EXPRS, start, end);
      expect(got.rows).toBeGreaterThan(0);
      expect(plain(got)).toEqual(plain(expected));
    }
    expect(p.lastThreads).toBe(1);
  });

  it('featureRows gives the same rows as row-major blocks of the requested widths', async () => {
    const p = new QlibDataProvider({ id: 't', uri, threads: 1 });
    for (const [instruments, start, end] of [
      ['all', dates[0]!, dates[dates.length - 1]!],
      ['gappy', dates[30]!, dates[120]!],
    ] as const) {
      const expected = await naiveFrame(instruments, EXPRS, start, end);
      for (const widths of [[EXPRS.length - 1, 1], [3, 0, 5], [EXPRS.length]]) {
        const got = await p.featureRows({ instruments, fields: EXPRS, start, end }, widths);
        expect(got.widths).toEqual(widths);
        expect({ rows: got.rows, dates: got.dates, instruments: got.instruments, rowDate: Array.from(got.rowDate), rowInst: Array.from(got.rowInst), columns: got.columns }).toEqual({
          rows: expected.rows,
          dates: expected.dates,
          instruments: expected.instruments,
          rowDate: Array.from(expected.rowDate),
          rowInst: Array.from(expected.rowInst),
          columns: EXPRS,
        });
        let first = 0;
        widths.forEach((w, g) => {
          const block = got.blocks[g]!;
          expect(block.length).toBe(expected.rows * w);
          for (let c = 0; c < w; c++) {
            const col = Array.from({ length: expected.rows }, (_, r) => block[r * w + c]!);
            expect(col, `${instruments} block ${g} column ${c}`).toEqual(Array.from(expected.data[first + c]!));
          }
          first += w;
        });
      }
    }
    await expect(p.featureRows({ instruments: 'all', fields: EXPRS, start: dates[0]!, end: null }, [2, 2])).rejects.toThrow(/widths \[2, 2\]/);
    const none = await p.featureRows({ instruments: 'all', fields: EXPRS, start: '2030-01-01', end: '2030-02-01' }, [EXPRS.length]);
    expect(none.rows).toBe(0);
    expect(none.blocks).toEqual([new Float32Array(0)]);
  });

  it('keeps small requests on the calling thread by default', async () => {
    const p = new QlibDataProvider({ id: 't', uri });
    await p.features({ instruments: 'all', fields: EXPRS, start: dates[0]!, end: null });
    expect(p.lastThreads).toBe(1);
    await p.close();
  });

  it('refuses a bad thread count', () => {
    expect(() => new QlibDataProvider({ id: 't', uri, threads: -1 })).toThrow(/threads must be a whole number/);
  });
});

// The worker is its own tsup entry (dist/data-worker.js): the threaded path is tested on the build.
const distIndex = path.resolve(__dirname, '../../../../../dist/index.js');
const built = existsSync(distIndex) && locateFeatureWorker() !== null;

describe.skipIf(!built)('QlibDataProvider worker threads (dist/, after npx tsup)', () => {
  it('gives exactly the single-threaded frames, through the memory and disk caches', async () => {
    const dist = (await import(distIndex)) as { QlibDataProvider: typeof QlibDataProvider };
    const cacheDir = path.join(root, 'fcache');
    const one = new dist.QlibDataProvider({ id: 't', uri, threads: 1 });
    const two = new dist.QlibDataProvider({ id: 't', uri, threads: 2 });
    const cached = new dist.QlibDataProvider({ id: 't', uri, threads: 2, cacheDir });
    const again = new dist.QlibDataProvider({ id: 't', uri, threads: 2, cacheDir });
    try {
      const req = { instruments: 'all', fields: EXPRS, start: dates[0]!, end: null };
      const a = await one.features(req);
      // Nothing loaded yet: the workers read the .bin files themselves.
      const b = await two.features(req);
      expect(two.lastThreads).toBe(2);
      expect(plain(b)).toEqual(plain(a));

      // Memory cache: nothing is evaluated again.
      const evaluations = two.evaluations;
      expect(plain(await two.features(req))).toEqual(plain(a));
      expect(two.evaluations).toBe(evaluations);

      // More expressions (and a new field) for instruments already loaded: the workers get this thread's rows.
      const more = [...EXPRS, 'Std($vwap, 7)', 'Max($high, 30)/$close'];
      const c1 = await one.features({ ...req, instruments: 'gappy', fields: more });
      const c2 = await two.features({ ...req, instruments: 'gappy', fields: more });
      expect(two.lastThreads).toBe(2);
      expect(plain(c2)).toEqual(plain(c1));

      // Row-major blocks, each instrument written as its worker delivers it: the same as on one thread.
      const fresh = new dist.QlibDataProvider({ id: 't', uri, threads: 2 });
      try {
        const widths = [3, EXPRS.length - 3];
        const rowsOne = await one.featureRows({ ...req, instruments: 'gappy' }, widths);
        const rowsTwo = await fresh.featureRows({ ...req, instruments: 'gappy' }, widths);
        expect(fresh.lastThreads).toBe(2);
        expect({ ...rowsTwo, rowDate: Array.from(rowsTwo.rowDate), blocks: rowsTwo.blocks.map((x) => Array.from(x)) }).toEqual({
          ...rowsOne,
          rowDate: Array.from(rowsOne.rowDate),
          blocks: rowsOne.blocks.map((x) => Array.from(x)),
        });
      } finally {
        await fresh.close();
      }

      // With a disk cache, this thread reads and hashes the rows; a new provider (another process) reuses what was written.
      expect(plain(await cached.features(req))).toEqual(plain(a));
      expect(cached.lastThreads).toBe(2);
      expect(plain(await again.features(req))).toEqual(plain(a));
      expect(again.rowsEvaluated).toBe(0);
    } finally {
      await Promise.all([one, two, cached, again].map((p) => p.close()));
    }
  });

  it("reports a worker's data error as the single thread does, and recovers once the data is fixed", async () => {
    const dist = (await import(distIndex)) as { QlibDataProvider: typeof QlibDataProvider };
    const dir = path.join(root, 'broken');
    const days = dates.slice(0, 50);
    await writeCalendar(dir, days);
    const codes = ['AAA', 'BBB', 'CCC'];
    await writeInstruments(dir, 'all', new Map(codes.map((c) => [c, [{ start: days[0]!, end: days[49]! }]])));
    for (const c of codes) await writeFeature(dir, c, 'close', 0, Float32Array.from({ length: 50 }, (_, i) => 10 + i + c.charCodeAt(0)));
    const file = featurePath(dir, 'BBB', 'close');
    const good = readFileSync(file);
    writeFileSync(file, Buffer.concat([good, Buffer.from([1, 2])]));
    const req = { instruments: 'all', fields: ['Mean($close, 3)'], start: days[0]!, end: null };
    const one = new dist.QlibDataProvider({ id: 'b', uri: dir, threads: 1 });
    const two = new dist.QlibDataProvider({ id: 'b', uri: dir, threads: 2 });
    try {
      const single = await one.features(req).catch((e: unknown) => e as { code: string; message: string });
      const threaded = await two.features(req).catch((e: unknown) => e as { code: string; message: string });
      expect(single).toMatchObject({ code: 'QONLINE_DATA_INVALID' });
      expect(threaded).toMatchObject({ code: 'QONLINE_DATA_INVALID', message: (single as { message: string }).message });
      writeFileSync(file, good);
      // A new expression, so every instrument is evaluated again (the failed run may have cached some before the error).
      const again = { ...req, fields: ['Mean($close, 3)', 'Std($close, 4)'] };
      const fixed = await two.features(again);
      expect(two.lastThreads).toBe(2);
      expect(plain(fixed)).toEqual(plain(await new dist.QlibDataProvider({ id: 'b', uri: dir, threads: 1 }).features(again)));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
