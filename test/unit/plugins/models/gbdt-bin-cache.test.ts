import { describe, expect, it } from 'vitest';
import { GBDTModel } from '../../../../plugins/models/index.js';
import { computeBinMapper, type BinMapper } from '../../../../plugins/models/src/gbdt/bin-mapper.js';
import { BinSampleCache, processBinCache } from '../../../../plugins/models/src/gbdt/bin-sample-cache.js';
import { gaussian, rng } from './helpers.js';

const COLS = 9;

/**
 * A "market" of rows in date order: continuous, discrete (many ties), signed
 * zeros, missing values, a constant column and repeated identical rows, so a
 * merge has every kind of value to get wrong.
 */
function market(rows: number, seed: number): Float32Array {
  const u = rng(seed);
  const g = gaussian(u);
  const x = new Float32Array(rows * COLS);
  for (let r = 0; r < rows; r++) {
    const o = r * COLS;
    if (r % 97 === 5) {
      x.copyWithin(o, o - COLS, o); // a duplicate of the previous row
      continue;
    }
    x[o] = g();
    x[o + 1] = Math.round(g() * 2);
    x[o + 2] = u() < 0.5 ? -0 : 0;
    x[o + 3] = u() < 0.2 ? NaN : g() * 1e6;
    x[o + 4] = 7;
    x[o + 5] = NaN;
    x[o + 6] = u() < 0.01 ? Infinity : u() < 0.01 ? -Infinity : g();
    x[o + 7] = Math.round(u() * 600) / 3;
    x[o + 8] = Math.fround(g() * 1e-30);
  }
  return x;
}

function window(all: Float32Array, first: number, rows: number): Float32Array {
  return all.slice(first * COLS, (first + rows) * COLS);
}

function shuffledRows(x: Float32Array, seed: number): Float32Array {
  const u = rng(seed);
  const rows = x.length / COLS;
  const perm = Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const out = new Float32Array(x.length);
  perm.forEach((p, i) => out.set(x.subarray(p * COLS, (p + 1) * COLS), i * COLS));
  return out;
}

/**
 * The bins from scratch, written plainly: each feature's non-NaN values
 * sorted by TypedArray#sort (-0 before +0), runs of equal values, then one
 * bin per value or greedy equal-count bins. Independent of the radix sort,
 * the keys and the merge the library uses.
 */
function referenceBins(x: Float32Array, rows: number, cols: number, maxBin: number): { numBins: number[]; upper: number[] } {
  const numBins: number[] = [];
  const upper: number[] = [];
  for (let f = 0; f < cols; f++) {
    const values: number[] = [];
    for (let r = 0; r < rows; r++) if (!Number.isNaN(x[r * cols + f]!)) values.push(x[r * cols + f]!);
    const sorted = Float32Array.from(values).sort();
    // Runs: [first value, count].
    const runs: [number, number][] = [];
    for (const v of sorted) {
      if (runs.length > 0 && runs[runs.length - 1]![0] === v) runs[runs.length - 1]![1]++;
      else runs.push([v, 1]);
    }
    const between = (a: number, b: number) => (Number.isFinite((a + b) / 2) ? (a + b) / 2 : a);
    const bounds: number[] = [];
    if (runs.length <= maxBin) {
      for (let i = 1; i < runs.length; i++) bounds.push(between(runs[i - 1]![0], runs[i]![0]));
    } else {
      let remaining = sorted.length;
      let binsLeft = maxBin;
      let acc = 0;
      for (let i = 0; i < runs.length && binsLeft > 1; i++) {
        const [v, c] = runs[i]!;
        if (acc > 0 && acc + c > remaining / binsLeft && acc + c - remaining / binsLeft > remaining / binsLeft - acc) {
          bounds.push(between(runs[i - 1]![0], v));
          remaining -= acc;
          binsLeft--;
          acc = 0;
        }
        acc += c;
        if (binsLeft > 1 && i + 1 < runs.length && acc >= remaining / binsLeft) {
          bounds.push(between(v, runs[i + 1]![0]));
          remaining -= acc;
          binsLeft--;
          acc = 0;
        }
      }
    }
    numBins.push(bounds.length + 1);
    upper.push(...bounds);
  }
  return { numBins, upper };
}

/** Bit-for-bit equality of the bounds (Object.is: -0 differs from +0). */
function expectSameBins(got: BinMapper, want: { numBins: number[]; upper: number[] }, label: string): void {
  expect([...got.numBins], label).toEqual(want.numBins);
  expect(got.upper.length, label).toBe(want.upper.length);
  const bits = (a: ArrayLike<number>) => Buffer.from(Float64Array.from(a).buffer).toString('hex');
  expect(bits(got.upper), label).toBe(bits(want.upper));
}

/** Random rows with every awkward value: heavy ties, NaN, infinities, both zeros, constants, tiny and huge values. */
function awkwardRows(rows: number, cols: number, seed: number): Float32Array {
  const u = rng(seed);
  const g = gaussian(u);
  const x = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) {
      const kind = f % 10;
      const p = u();
      let v: number;
      if (kind === 0) v = g();
      else if (kind === 1) v = Math.round(g() * 3); // few distinct values, many -0/+0 neighbours
      else if (kind === 2) v = p < 0.3 ? -0 : p < 0.6 ? 0 : p < 0.7 ? NaN : p < 0.8 ? Infinity : p < 0.9 ? -Infinity : g();
      else if (kind === 3) v = 5; // constant
      else if (kind === 4) v = p < 0.5 ? NaN : g() * 1e30;
      else if (kind === 5) v = Math.round(u() * 400) / 4; // ~400 distinct: greedy bins with ties
      else if (kind === 6) v = p < 0.9 ? 0 : g(); // one value dominating
      else if (kind === 7) v = p < 0.02 ? -Infinity : p < 0.04 ? Infinity : p < 0.05 ? -0 : Math.fround(g() * 1e-38);
      // Zeros next to +Infinity: a bound between them is the zero run's first value (-0), bit for bit.
      else if (kind === 8) v = p < 0.1 ? -Infinity : p < 0.35 ? -0 : p < 0.6 ? 0 : Infinity;
      else v = p < 0.1 ? -Infinity : p < 0.25 ? -0 : p < 0.45 ? 0 : Infinity;
      x[r * cols + f] = v;
    }
    if (r % 53 === 7 && r > 0) x.copyWithin(r * cols, (r - 1) * cols, r * cols); // repeated rows
  }
  return x;
}

describe('GBDT bins of overlapping windows (BinSampleCache)', () => {
  it('gives the from-scratch bins for windows overlapping by much, little or nothing', () => {
    const cols = 20;
    const all = awkwardRows(4000, cols, 21);
    const rowsOf = (first: number, n: number) => all.slice(first * cols, (first + n) * cols);
    const cache = new BinSampleCache();
    const windows: [string, Float32Array][] = [
      ['first', rowsOf(0, 1500)],
      ['rolled by 50', rowsOf(50, 1500)],
      ['rolled by 50, grown', rowsOf(100, 1700)],
      ['rolled by 700 (1000 of 1400 rows shared)', rowsOf(800, 1400)],
      ['rolled by 1300 (100 of 1400 rows shared)', rowsOf(2100, 1400)],
      ['no overlap', rowsOf(0, 600)],
      ['same rows again', rowsOf(0, 600)],
      ['shrunk to a middle part', rowsOf(200, 300)],
      ['no rows', rowsOf(0, 0)],
      ['back to a big window', rowsOf(100, 2000)],
    ];
    // A row in the middle that no earlier window has: the shared block of rows ends there.
    windows.push(['rolled with a new row inside', rowsOf(150, 2000)]);
    windows[windows.length - 1]![1][900 * cols + 2] = 0.125;
    const sources: string[] = [];
    for (const [label, w] of windows) {
      const n = w.length / cols;
      for (const maxBin of [255, 7, 2]) {
        const want = referenceBins(w, n, cols, maxBin);
        expectSameBins(computeBinMapper(w, n, cols, maxBin, 200_000, 1, cache), want, `${label}, max_bin ${maxBin}, cached`);
        sources.push(cache.lastSource);
        expectSameBins(computeBinMapper(w, n, cols, maxBin, 200_000, 1), want, `${label}, max_bin ${maxBin}, no cache`);
      }
    }
    // Merged where at least half the rows are shared (each window's later max_bins always merge).
    expect(sources.filter((s, i) => i % 3 === 0)).toEqual(['sorted', 'merged', 'merged', 'merged', 'sorted', 'sorted', 'merged', 'merged', 'merged', 'sorted', 'merged']);
    expect(sources.filter((s, i) => i % 3 !== 0).every((s) => s === 'merged')).toBe(true);
  });


  it('matches a window rolled back (a thread taking the newest window first) as one block, with the from-scratch bins', () => {
    const cols = 20;
    const all = awkwardRows(3000, cols, 5);
    const rowsOf = (first: number, n: number) => all.slice(first * cols, (first + n) * cols);
    const cache = new BinSampleCache();
    const windows: [string, Float32Array, number][] = [
      ['newest', rowsOf(1000, 1500), 0],
      ['rolled forward by 50', rowsOf(1050, 1500), 1450],
      ['rolled back by 100', rowsOf(950, 1500), 1400],
      ['rolled back by 50, shrunk', rowsOf(900, 1400), 1350],
      ['rolled back by 20, grown', rowsOf(880, 1600), 1400],
    ];
    for (const [label, w, block] of windows) {
      const n = w.length / cols;
      expectSameBins(computeBinMapper(w, n, cols, 255, 200_000, 1, cache), referenceBins(w, n, cols, 255), label);
      expect(cache.lastSource, label).toBe(block ? 'merged' : 'sorted');
      expect(cache.lastBlockRows, label).toBe(block);
    }
  });

  it('merges the previous window into exactly the bins the window computes alone', () => {
    const all = market(6000, 3);
    const cache = new BinSampleCache();
    const rows = 3000;
    const windows = [
      window(all, 0, rows),
      window(all, 400, rows), // rolled forward
      window(all, 800, rows - 150), // rolled and shorter
      shuffledRows(window(all, 1000, rows), 9), // same content in another row order
      window(all, 3000, rows), // no overlap
    ];
    windows[2]![17 * COLS + 3] = 123.5; // one row differs from every earlier one
    const sources: string[] = [];
    for (const [i, w] of windows.entries()) {
      const n = w.length / COLS;
      for (const maxBin of [255, 15]) {
        const fresh = computeBinMapper(w, n, COLS, maxBin, 200_000, 1);
        const cached = computeBinMapper(w, n, COLS, maxBin, 200_000, 1, cache);
        sources.push(cache.lastSource);
        expect(cached.numBins, `window ${i}, max_bin ${maxBin}`).toEqual(fresh.numBins);
        expect(cached.upperOffset).toEqual(fresh.upperOffset);
        expect(Buffer.from(cached.upper.buffer).equals(Buffer.from(fresh.upper.buffer))).toBe(true);
      }
    }
    // Each window is binned twice (two max_bin values): the second time it fully overlaps itself.
    expect(sources).toEqual(['sorted', 'merged', 'merged', 'merged', 'merged', 'merged', 'merged', 'merged', 'sorted', 'merged']);
  });

  it('leaves sampled windows alone (more rows than bin_construct_sample_cnt)', () => {
    const all = market(3000, 4);
    const cache = new BinSampleCache();
    const fresh = computeBinMapper(all, 3000, COLS, 255, 1000, 5);
    const cached = computeBinMapper(all, 3000, COLS, 255, 1000, 5, cache);
    expect(cached).toEqual(fresh);
    expect(cache.lastSource).toBe('sorted');
  });

  it('gives a rolled-forward model bit-identical to one trained without the previous window', async () => {
    const all = market(5000, 6);
    const u = rng(8);
    const labels = Float32Array.from({ length: 5000 }, (_, r) => Math.sin(all[r * COLS]!) + 0.2 * (all[r * COLS + 1]! > 0 ? 1 : 0) + 0.3 * u());
    const ds = (first: number) => ({ features: window(all, first, 3000), labels: labels.slice(first, first + 3000), rows: 3000, cols: COLS });
    const fit = async () => {
      const m = new GBDTModel({ num_boost_round: 15, num_leaves: 15, min_data_in_leaf: 20 });
      await m.fit(ds(500));
      return m;
    };
    processBinCache.clear();
    const alone = await fit();
    expect(processBinCache.lastSource).toBe('sorted');
    await new GBDTModel({ num_boost_round: 2 }).fit(ds(0));
    const rolled = await fit();
    expect(processBinCache.lastSource).toBe('merged');
    expect(JSON.stringify(rolled.toJSON())).toBe(JSON.stringify(alone.toJSON()));
    const test = { features: window(all, 3500, 1500), rows: 1500, cols: COLS };
    expect(Buffer.from(rolled.predict(test).buffer)).toEqual(Buffer.from(alone.predict(test).buffer));
    processBinCache.clear();
  });
});
