import { describe, expect, it } from 'vitest';
import { GBDTModel } from '../../../../plugins/models/index.js';
import { computeBinMapper } from '../../../../plugins/models/src/gbdt/bin-mapper.js';
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

describe('GBDT bins of overlapping windows (BinSampleCache)', () => {
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
