import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureFrame } from '../../../../../core/index.js';
import { locateFeatureWorker } from '../../../../../plugins/data-qlib/src/parallel/feature-workers.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { readCalendar, readFeature, readInstruments } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { generateSyntheticMarket } from '../../../../../plugins/data-qlib/src/synth/index.js';

let root = '';
let uri = '';
let dates: string[] = [];
let codes: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'qonline-qlibmode-'));
  uri = path.join(root, 'mkt');
  await generateSyntheticMarket(uri, { instruments: 4, start: '2019-01-01', end: '2019-06-30', seed: 3 });
  dates = await readCalendar(uri, 'day');
  codes = [...(await readInstruments(uri, 'all')).keys()].sort();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function column(frame: FeatureFrame, col: number, code: string): Map<string, number> {
  const inst = frame.instruments.indexOf(code);
  const out = new Map<string, number>();
  for (let r = 0; r < frame.rows; r++) if (frame.rowInst[r] === inst) out.set(frame.dates[frame.rowDate[r]!]!, frame.data[col]![r]!);
  return out;
}

/** The stored close of `code` on calendar row `t`, or on its first stored row when it lists later. */
async function closeAt(code: string, t: number): Promise<number> {
  const s = (await readFeature(uri, code, 'close'))!;
  return s.values[Math.max(t, s.start) - s.start]!;
}

/** One row holds NaN: the If keeps close only where it rose. */
const GAPPY = 'If($close > Ref($close, 1), $close, 0/0)';

describe('QlibDataProvider with expressions: qlib', () => {
  it('starts loading where Qlib would: the request start minus Qlib\'s extent', async () => {
    const p = new QlibDataProvider({ id: 't', uri, threads: 1, expressions: 'qlib' });
    const a = 30;
    const f = await p.features({ instruments: codes, fields: ['Ref($close, 0)', 'Mean(Ref($close, 0), 3)', '$close'], start: dates[a]!, end: null });
    for (const code of codes) {
      const first = column(f, 0, code);
      const mean3 = column(f, 1, code);
      const c30 = await closeAt(code, a);
      const c28 = await closeAt(code, a - 2);
      // Ref(x, 0): the first loaded row is the request's first row (or the listing day; one instrument lists at row 45).
      expect([...first.values()].every((v) => v === c30)).toBe(true);
      // Mean(., 3) extends loading by 2 rows: Ref(x, 0) repeats row a-2, so the mean is that value.
      expect([...mean3.values()].every((v) => Math.abs(v - c28) < 1e-4 * Math.abs(c28))).toBe(true);
    }
    expect(new Set(await Promise.all(codes.map((c) => closeAt(c, a)))).size).toBe(codes.length);
    // Another request start gives other values (Qlib's dependence on the query).
    const g = await p.features({ instruments: codes, fields: ['Ref($close, 0)'], start: dates[40]!, end: null });
    expect(column(g, 0, codes[1]!).get(dates[50]!)).toBe(await closeAt(codes[1]!, 40));
    expect(column(g, 0, codes[0]!).get(dates[50]!)).toBe(await closeAt(codes[0]!, 45));
    // The default semantics: Ref(x, 0) is x.
    const d = new QlibDataProvider({ id: 't', uri, threads: 1 });
    const h = await d.features({ instruments: codes, fields: ['Ref($close, 0)'], start: dates[a]!, end: null });
    expect(column(h, 0, codes[1]!).get(dates[50]!)).toBe(await closeAt(codes[1]!, 50));
  });

  it("ends loading where Qlib would: Delta(x, -N) adds no right extent (NaN on the query's last N rows), Ref(x, -N) adds N", async () => {
    const p = new QlibDataProvider({ id: 't', uri, threads: 1, expressions: 'qlib' });
    const d = new QlibDataProvider({ id: 't', uri, threads: 1 });
    const b = 60;
    const req = { instruments: codes, fields: ['Delta($close, -2)', 'Ref($close, -2) - $close'], start: dates[40]!, end: dates[b]! };
    const q = await p.features(req);
    const x = await d.features(req);
    const code = codes[1]!;
    const delta = column(q, 0, code);
    const ref = column(q, 1, code);
    // Hand-computed from the stored closes: the last two rows need rows b+1 and b+2, which Qlib does not load for Delta.
    for (const t of [b - 1, b]) {
      expect(delta.get(dates[t]!), `row ${t}`).toBeNaN();
      expect(ref.get(dates[t]!)).toBe(Math.fround((await closeAt(code, t + 2)) - (await closeAt(code, t))));
      // The default reads the stored rows after the query: x[t] - x[t+2].
      expect(column(x, 0, code).get(dates[t]!)).toBe(-ref.get(dates[t]!)!);
    }
    // Earlier rows: the difference itself (Qlib's Delta computes series - series.shift(-2)).
    expect(delta.get(dates[b - 2]!)).toBe(Math.fround((await closeAt(code, b - 2)) - (await closeAt(code, b))));
    // A longer query then has the value on those rows (the value depends on the query's end, as in Qlib).
    const longer = await p.features({ ...req, end: dates[b + 5]! });
    expect(column(longer, 0, code).get(dates[b]!)).toBe(Math.fround((await closeAt(code, b)) - (await closeAt(code, b + 2))));
  });

  it('keeps the semantics in the feature cache key (memory and disk)', async () => {
    const cacheDir = path.join(root, 'fcache');
    const expr = `IdxMax(${GAPPY}, 5)`;
    const req = { instruments: codes, fields: [expr], start: dates[0]!, end: null };
    const d = new QlibDataProvider({ id: 't', uri, threads: 1, cacheDir });
    const dv = (await d.features(req)).data[0]!;
    await d.close();
    const q = new QlibDataProvider({ id: 't', uri, threads: 1, cacheDir, expressions: 'qlib' });
    const qv = (await q.features(req)).data[0]!;
    await q.close();
    expect(q.evaluations).toBeGreaterThan(0);
    // Windows holding a NaN differ: Qlib points at the first NaN row.
    let differ = 0;
    for (let i = 0; i < dv.length; i++) if (!(Number.isNaN(dv[i]!) && Number.isNaN(qv[i]!)) && dv[i] !== qv[i]) differ++;
    expect(differ).toBeGreaterThan(10);
    const again = new QlibDataProvider({ id: 't', uri, threads: 1, cacheDir, expressions: 'qlib' });
    expect(Array.from((await again.features(req)).data[0]!)).toEqual(Array.from(qv));
    expect(again.evaluations).toBe(0);
  });

  it('refuses an unknown semantics', () => {
    expect(() => new QlibDataProvider({ id: 't', uri, expressions: 'pandas' as never })).toThrow(/expressions must be default or qlib/);
  });
});

const distIndex = path.resolve(__dirname, '../../../../../dist/index.js');
const built = existsSync(distIndex) && locateFeatureWorker() !== null;

describe.skipIf(!built)('expressions: qlib on worker threads (dist/, after npx tsup)', () => {
  it('gives the single-threaded values', async () => {
    const dist = (await import(distIndex)) as { QlibDataProvider: typeof QlibDataProvider };
    const fields = [`IdxMax(${GAPPY}, 5)`, `IdxMin(${GAPPY}, 4)`, 'Ref($close, 0)', 'Mean($close, 0.5)'];
    const req = { instruments: 'all', fields, start: dates[20]!, end: null };
    const one = new dist.QlibDataProvider({ id: 't', uri, threads: 1, expressions: 'qlib' });
    const two = new dist.QlibDataProvider({ id: 't', uri, threads: 2, expressions: 'qlib' });
    const dflt = new dist.QlibDataProvider({ id: 't', uri, threads: 2 });
    try {
      const a = await one.features(req);
      const b = await two.features(req);
      expect(two.lastThreads).toBe(2);
      expect(b.data.map((x) => Array.from(x))).toEqual(a.data.map((x) => Array.from(x)));
      const c = await dflt.features({ ...req, fields: fields.slice(0, 2) });
      expect(c.data.map((x) => Array.from(x))).not.toEqual(a.data.slice(0, 2).map((x) => Array.from(x)));
    } finally {
      await Promise.all([one.close(), two.close(), dflt.close()]);
    }
  });
});
