import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSyntheticMarket,
  syntheticCalendar,
  SYNTH_FIELDS,
} from '../../../../../plugins/data-qlib/src/synth/index.js';
import { tempDir, decodeQlibBin, snapshot } from './helpers.js';

/** Naive readers, independent of the storage module. */
function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
}
function readSpans(path: string): Map<string, Array<[string, string]>> {
  const out = new Map<string, Array<[string, string]>>();
  for (const line of readLines(path)) {
    const [code, s, e] = line.split('\t');
    if (!out.has(code!)) out.set(code!, []);
    out.get(code!)!.push([s!, e!]);
  }
  return out;
}
function readBin(root: string, code: string, field: string): { start: number; values: number[] } {
  return decodeQlibBin(readFileSync(join(root, 'features', code.toLowerCase(), `${field}.day.bin`)));
}

/** Average ranks (ties share the mean rank). */
function ranks(a: number[]): number[] {
  const order = a.map((_, i) => i).sort((x, y) => a[x]! - a[y]!);
  const r = new Array<number>(a.length);
  for (let k = 0; k < order.length; ) {
    let j = k;
    while (j + 1 < order.length && a[order[j + 1]!] === a[order[k]!]) j++;
    for (let q = k; q <= j; q++) r[order[q]!] = (k + j) / 2;
    k = j + 1;
  }
  return r;
}
function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('syntheticCalendar', () => {
  it('is weekdays minus fixed holidays, the same on every call', () => {
    const cal = syntheticCalendar('2020-01-01', '2022-12-31');
    expect(syntheticCalendar('2020-01-01', '2022-12-31')).toEqual(cal);
    for (const d of cal) {
      const dow = new Date(d + 'T00:00:00Z').getUTCDay();
      expect(dow === 0 || dow === 6).toBe(false);
      expect(d.endsWith('-01-01')).toBe(false);
      expect(d.slice(5) >= '10-01' && d.slice(5) <= '10-07').toBe(false);
      expect(d.slice(5) >= '05-01' && d.slice(5) <= '05-03').toBe(false);
    }
    for (const y of ['2020', '2021', '2022']) {
      const n = cal.filter((d) => d.startsWith(y)).length;
      expect(n).toBeGreaterThanOrEqual(240);
      expect(n).toBeLessThanOrEqual(252);
    }
    // A sub-range is a slice of the longer calendar.
    const part = syntheticCalendar('2021-03-03', '2021-07-20');
    const a = cal.indexOf(part[0]!);
    expect(cal.slice(a, a + part.length)).toEqual(part);
  });
});

describe('generateSyntheticMarket', () => {
  let root: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir: root, cleanup } = tempDir('qonline-synth-'));
  });
  afterAll(() => cleanup());

  it('is deterministic in the seed, and a second call with the same options is a no-op', async () => {
    const opts = { instruments: 12, start: '2021-01-01', end: '2021-12-31', seed: 7 };
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    const ma = await generateSyntheticMarket(a, opts);
    const mb = await generateSyntheticMarket(b, opts);
    const mc = await generateSyntheticMarket(c, { ...opts, seed: 8 });
    expect(snapshot(a)).toEqual(snapshot(b));
    expect(ma.hash).toBe(mb.hash);
    expect(mc.hash).not.toBe(ma.hash);
    const sa = snapshot(a);
    const sc = snapshot(c);
    expect(sc.get('calendars/day.txt')).toBe(sa.get('calendars/day.txt'));
    expect(sc.get('features/sh600000/close.day.bin')).not.toBe(sa.get('features/sh600000/close.day.bin'));

    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ generator: 'qonline-synth', options: { ...opts, freq: 'day' }, hash: ma.hash });
    // No-op: a marker file survives and no temp folders are left next to it.
    writeFileSync(join(a, 'marker'), 'x');
    expect((await generateSyntheticMarket(a, opts)).hash).toBe(ma.hash);
    expect(existsSync(join(a, 'marker'))).toBe(true);
    // Different options replace an older synthetic market.
    await generateSyntheticMarket(a, { ...opts, instruments: 5 });
    expect(existsSync(join(a, 'marker'))).toBe(false);
    expect(readLines(join(a, 'instruments/all.txt')).length).toBe(5);
    expect(readdirSync(root).sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses to replace a folder that is not a synthetic market', async () => {
    const d = join(root, 'mine');
    mkdirSync(d);
    writeFileSync(join(d, 'precious.txt'), 'keep');
    await expect(generateSyntheticMarket(d, { instruments: 3, start: '2021-01-01', end: '2021-02-01', seed: 1 })).rejects.toMatchObject({
      code: 'QONLINE_DATA_INVALID',
    });
    expect(readdirSync(d)).toEqual(['precious.txt']);
    await expect(generateSyntheticMarket(join(root, 'x'), { instruments: 0, start: '2021-01-01', end: '2021-02-01', seed: 1 })).rejects.toMatchObject({
      code: 'QONLINE_DATA_INVALID',
    });
  });

  describe('a realistic market', () => {
    const N = 160;
    let dir: string;
    let calendar: string[];
    let all: Map<string, Array<[string, string]>>;
    beforeAll(async () => {
      dir = join(root, 'big');
      await generateSyntheticMarket(dir, { instruments: N, start: '2018-01-01', end: '2022-12-31', seed: 2024 });
      calendar = readLines(join(dir, 'calendars/day.txt'));
      all = readSpans(join(dir, 'instruments/all.txt'));
    });

    it('has consistent prices, volumes, factors and changes on every row', () => {
      expect(all.size).toBe(N);
      let gaps = 0;
      let splits = 0;
      const bad: string[] = [];
      for (const [code, spans] of all) {
        expect(spans.length).toBe(1);
        const f = Object.fromEntries(SYNTH_FIELDS.map((name) => [name, readBin(dir, code, name)]));
        const close = f.close!;
        // The span is exactly the stored range.
        expect(calendar[close.start]).toBe(spans[0]![0]);
        expect(calendar[close.start + close.values.length - 1]).toBe(spans[0]![1]);
        expect(Number.isNaN(close.values[0]!)).toBe(false);
        expect(Number.isNaN(close.values[close.values.length - 1]!)).toBe(false);
        for (const name of SYNTH_FIELDS) expect(f[name]!.start).toBe(close.start);
        // Per-row checks count violations (one expect per row would be slow).
        let prevClose = NaN;
        for (let k = 0; k < close.values.length; k++) {
          const [o, c, h, l, v, w, fa, ch] = SYNTH_FIELDS.map((name) => f[name]!.values[k]!) as number[];
          if (Number.isNaN(c!)) {
            gaps++;
            // A suspension: every field is missing.
            if (![o, h, l, v, w, fa, ch].every((x) => Number.isNaN(x!))) bad.push(`${code}@${k}: partial NaN row`);
            continue;
          }
          if (!(l! <= o! && o! <= h! && l! <= c! && c! <= h! && l! <= w! && w! <= h! && l! > 0)) bad.push(`${code}@${k}: OHLC/vwap order`);
          if (!(v! > 0) || !(fa! >= 1)) bad.push(`${code}@${k}: volume ${v} factor ${fa}`);
          if (k > 0 && fa! > f.factor!.values[k - 1]!) splits++;
          const resumed = k > 0 && Number.isNaN(close.values[k - 1]!);
          if (Number.isNaN(prevClose)) {
            if (!Number.isNaN(ch!)) bad.push(`${code}@${k}: change on the first row`);
          } else {
            if (!(Math.abs(ch! - (c! / prevClose - 1)) < 1e-5)) bad.push(`${code}@${k}: change ${ch} vs ${c! / prevClose - 1}`);
            // A-share style limit on the close-to-close move (not across a suspension).
            if (!resumed && !(Math.abs(ch!) < 0.1 + 1e-5)) bad.push(`${code}@${k}: move ${ch} beyond the limit`);
          }
          prevClose = c!;
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(gaps).toBeGreaterThan(0);
      expect(splits).toBeGreaterThan(0);
    });

    it('has late listings, delistings and a changing csi300', () => {
      const first = calendar[0]!;
      const last = calendar[calendar.length - 1]!;
      const late = [...all.values()].filter((s) => s[0]![0] > first).length;
      const delisted = [...all.values()].filter((s) => s[0]![1] < last).length;
      expect(late).toBeGreaterThan(N * 0.15);
      expect(delisted).toBeGreaterThan(N * 0.03);
      const csi = readSpans(join(dir, 'instruments/csi300.txt'));
      expect([...csi.values()].some((s) => s.length >= 2)).toBe(true);
      for (const [code, spans] of csi) {
        const life = all.get(code)![0]!;
        for (const [s, e] of spans) {
          expect(s <= e).toBe(true);
          expect(s >= life[0] && e <= life[1]).toBe(true);
        }
        for (let k = 1; k < spans.length; k++) expect(spans[k]![0] > spans[k - 1]![1]).toBe(true);
      }
      // Membership size: never above ceil(N/2), and close to it on most days.
      const target = Math.ceil(N / 2);
      const counts = calendar.map((d) => [...csi.values()].filter((s) => s.some(([a, b]) => a <= d && d <= b)).length);
      expect(Math.max(...counts)).toBeLessThanOrEqual(target);
      expect(counts.filter((c) => c >= target * 0.9).length).toBeGreaterThan(calendar.length * 0.9);
      // Membership changes over time.
      const firstMembers = [...csi.entries()].filter(([, s]) => s[0]![0] === first).length;
      expect(firstMembers).toBeLessThan(csi.size);
    });

    it('carries the SH000300 index: every calendar day, in no market list, a weighted average of its members\' returns', () => {
      expect(all.has('SH000300')).toBe(false);
      const csi = readSpans(join(dir, 'instruments/csi300.txt'));
      expect(csi.has('SH000300')).toBe(false);
      const idx = Object.fromEntries(SYNTH_FIELDS.map((name) => [name, readBin(dir, 'SH000300', name)]));
      expect(idx.close!.start).toBe(0);
      expect(idx.close!.values.length).toBe(calendar.length);
      expect(idx.close!.values[0]).toBe(1000);
      const closes = new Map([...csi.keys()].map((code) => [code, readBin(dir, code, 'close')]));
      const at = (code: string, t: number): number => {
        const b = closes.get(code)!;
        return t >= b.start && t < b.start + b.values.length ? b.values[t - b.start]! : NaN;
      };
      const bad: string[] = [];
      const idxRet: number[] = [];
      const eqRet: number[] = [];
      for (let t = 1; t < calendar.length; t++) {
        const d = calendar[t]!;
        const rets: number[] = [];
        for (const [code, spans] of csi) {
          if (!spans.some(([a, b]) => a <= d && d <= b)) continue;
          const r = at(code, t) / at(code, t - 1) - 1;
          if (Number.isFinite(r)) rets.push(r);
        }
        const c = idx.close!.values[t]!;
        const p = idx.close!.values[t - 1]!;
        const r = c / p - 1;
        // A weighted average lies between the smallest and largest member return.
        if (rets.length && !(r >= Math.min(...rets) - 1e-6 && r <= Math.max(...rets) + 1e-6)) bad.push(`${d}: ${r} outside [${Math.min(...rets)}, ${Math.max(...rets)}]`);
        if (!(idx.open!.values[t] === p && idx.high!.values[t]! >= Math.max(p, c) && idx.low!.values[t]! <= Math.min(p, c) && idx.factor!.values[t] === 1)) bad.push(`${d}: OHLC/factor`);
        if (rets.length) {
          idxRet.push(r);
          eqRet.push(rets.reduce((a, x) => a + x, 0) / rets.length);
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(pearson(idxRet, eqRet)).toBeGreaterThan(0.9);
    });

    it('volume is correlated with absolute returns (pooled rank correlation)', () => {
      const absRet: number[] = [];
      const logVolChange: number[] = [];
      for (const code of all.keys()) {
        const c = readBin(dir, code, 'close').values;
        const v = readBin(dir, code, 'volume').values;
        const fa = readBin(dir, code, 'factor').values;
        for (let k = 1; k < c.length; k++) {
          if (Number.isNaN(c[k]!) || Number.isNaN(c[k - 1]!)) continue;
          absRet.push(Math.abs(c[k]! / c[k - 1]! - 1));
          // Raw volume (adjusted volume x factor), as a change so instrument size cancels.
          logVolChange.push(Math.log((v[k]! * fa[k]!) / (v[k - 1]! * fa[k - 1]!)));
        }
      }
      expect(pearson(ranks(absRet), ranks(logVolChange))).toBeGreaterThan(0.1);
    });

    it('has a weak predictable component: a linear model on 5- and 20-day returns has positive rank IC out of sample', () => {
      const T = calendar.length;
      // Dense close matrix over the calendar (NaN outside spans and on suspensions).
      const closes: number[][] = [];
      for (const code of all.keys()) {
        const { start, values } = readBin(dir, code, 'close');
        const row = new Array<number>(T).fill(NaN);
        values.forEach((v, k) => (row[start + k] = v));
        closes.push(row);
      }
      // Features at t and Qlib's default label Ref($close,-2)/Ref($close,-1)-1.
      type Obs = { t: number; x1: number; x2: number; y: number };
      const obs: Obs[] = [];
      for (const c of closes) {
        for (let t = 20; t < T - 2; t++) {
          const x1 = c[t]! / c[t - 5]! - 1;
          const x2 = c[t - 5]! / c[t - 20]! - 1;
          const y = c[t + 2]! / c[t + 1]! - 1;
          if (Number.isFinite(x1) && Number.isFinite(x2) && Number.isFinite(y)) obs.push({ t, x1, x2, y });
        }
      }
      const split = Math.floor(T / 2);
      // OLS y ~ 1 + x1 + x2 on the first half (3x3 normal equations, Cramer's rule).
      const train = obs.filter((o) => o.t < split - 2);
      const S = [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ];
      const r = [0, 0, 0];
      for (const o of train) {
        const x = [1, o.x1, o.x2];
        for (let i = 0; i < 3; i++) {
          r[i]! += x[i]! * o.y;
          for (let j = 0; j < 3; j++) S[i]![j]! += x[i]! * x[j]!;
        }
      }
      const det = (m: number[][]): number =>
        m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
        m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
        m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
      const D = det(S);
      const coef = [0, 1, 2].map((k) => det(S.map((row, i) => row.map((v, j) => (j === k ? r[i]! : v)))) / D);
      // Reversal loads negatively, momentum positively.
      expect(coef[1]!).toBeLessThan(0);
      expect(coef[2]!).toBeGreaterThan(0);
      // Daily Spearman IC of the fitted score on the second half.
      const byDay = new Map<number, Obs[]>();
      for (const o of obs) if (o.t >= split) (byDay.get(o.t) ?? byDay.set(o.t, []).get(o.t)!).push(o);
      const ics: number[] = [];
      for (const day of byDay.values()) {
        if (day.length < 30) continue;
        const score = day.map((o) => coef[1]! * o.x1 + coef[2]! * o.x2);
        ics.push(pearson(ranks(score), ranks(day.map((o) => o.y))));
      }
      const mean = ics.reduce((s, x) => s + x, 0) / ics.length;
      const sd = Math.sqrt(ics.reduce((s, x) => s + (x - mean) ** 2, 0) / (ics.length - 1));
      const tStat = (mean / sd) * Math.sqrt(ics.length);
      expect(mean).toBeGreaterThan(0.015);
      expect(mean).toBeLessThan(0.08);
      expect(tStat).toBeGreaterThan(4);
    });
  });
});
