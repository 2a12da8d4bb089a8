import { describe, expect, it } from 'vitest';
import { LinearModel } from '../../../../plugins/models/index.js';
import { LinearKernel } from '../../../../plugins/models/src/linear/linear-kernel.js';
import { rng } from './helpers.js';

/** NumPy's solve on the problem below: output of test/fixtures/linear/ridge_numpy.py (python3 with NumPy). */
const NUMPY = {"numpy": "1.24.2", "unweighted": {"coef": [-0.49210791439014623, -0.1508950351906148, 0.023537863770734663, 0.1890274398134721, 0.48575664474195435, -0.4706601997162058, -0.2291307132379322, -0.0030831655339640484, 0.17400068553174614, 0.4891731471910376, -0.4111927369441433, -0.20928143658800424, 0.002813565028039184], "intercept": 0.7482049986515878}, "weighted": {"coef": [-0.4971018100487321, -0.16391654951473547, 0.018803985118288555, 0.17237436865766437, 0.5015735933966122, -0.4409426886965701, -0.2219263899293187, -0.004729862761629758, 0.1730744093430587, 0.49799329188358443, -0.4069474870800834, -0.2278748948566608, -0.0285438573151372], "intercept": 0.7457445110061066}} as const;

/** The fixture script's problem, from the same integer formulas (exact in both languages). */
function numpyProblem(): { features: Float32Array; labels: Float32Array; weights: Float32Array; rows: number; cols: number } {
  const rows = 1000;
  const cols = 13;
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  const weights = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.fround((((i * 7919 + j * 104729 + ((i * j) % 97)) % 2003) / 1000) - 1);
      const missing = (i * 13 + j * 7) % 211 === 0;
      features[i * cols + j] = missing ? NaN : v;
      dot += (missing ? 0 : v) * (((j % 5) - 2) * 0.25);
    }
    labels[i] = dot + (((i * 31337) % 1009) / 1009 - 0.5) + 0.75;
    weights[i] = ((i * 48271) % 101) / 50 + 0.1;
  }
  return { features, labels, weights, rows, cols };
}

describe('Linear normal equations: WebAssembly SIMD kernel', () => {
  it('runs here (Node 20 has WebAssembly SIMD), so the tests below compare two real paths', () => {
    expect(LinearKernel.create(3)).not.toBeNull();
  });

  it('gives bit-identical models to the scalar loops: odd and even column counts, partial blocks, NaN and infinities, weights, with and without intercept', async () => {
    const next = rng(11);
    for (const cols of [1, 2, 3, 8, 13, 40, 41, 158]) {
      for (const rows of [1, 7, 127, 128, 129, 300]) {
        const features = Float32Array.from({ length: rows * cols }, () => {
          const u = next();
          return u < 0.05 ? NaN : u < 0.06 ? Infinity : (next() - 0.5) * 8 + (u < 0.5 ? 100 : 0);
        });
        const labels = Float32Array.from({ length: rows }, () => next() * 3 - 1);
        const weights = Float32Array.from({ length: rows }, () => next() * 2 + 0.01);
        for (const [kwargs, w] of [
          [{ alpha: 0.5 }, undefined],
          [{ alpha: 0.5, fit_intercept: false }, weights],
          [{ alpha: 2 }, weights],
        ] as const) {
          const ds = { features, labels, rows, cols, ...(w ? { weights: w } : {}) };
          const simd = new LinearModel(kwargs);
          const scalar = new LinearModel(kwargs, { simd: false });
          const a = await simd.fit(ds);
          const b = await scalar.fit(ds);
          const label = `cols ${cols} rows ${rows} ${JSON.stringify(kwargs)} weights ${!!w}`;
          expect(simd.toJSON().state, label).toEqual(scalar.toJSON().state);
          expect(a.trainLoss, label).toEqual(b.trainLoss);
        }
      }
    }
  });

  it("matches NumPy's normal-equation solve on a seeded problem (NaN filled with column means), unweighted and weighted", async () => {
    const p = numpyProblem();
    for (const [name, ds] of [
      ['unweighted', { features: p.features, labels: p.labels, rows: p.rows, cols: p.cols }],
      ['weighted', { features: p.features, labels: p.labels, weights: p.weights, rows: p.rows, cols: p.cols }],
    ] as const) {
      const m = new LinearModel({ alpha: 2.5 });
      await m.fit(ds);
      const { coef, intercept } = m.coefficients;
      const ref = NUMPY[name];
      ref.coef.forEach((c, j) => expect(Math.abs(coef[j]! - c), `${name} coef ${j}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(c))));
      expect(Math.abs(intercept - ref.intercept)).toBeLessThan(1e-12);
    }
  });

  it('predict equals the plain column-order sum with fills, rows with and without missing values or infinities', async () => {
    const next = rng(3);
    const cols = 9;
    const train = { features: Float32Array.from({ length: 50 * cols }, () => next() * 4 - 2), labels: Float32Array.from({ length: 50 }, () => next()), rows: 50, cols };
    const m = new LinearModel({ alpha: 0.1 });
    await m.fit(train);
    const { coef, intercept } = m.coefficients;
    const fill = (m.toJSON().state as { fill: number[] }).fill;
    const rows = 37;
    const x = Float32Array.from({ length: rows * cols }, () => {
      const u = next();
      return u < 0.04 ? NaN : u < 0.06 ? Infinity : u < 0.08 ? -Infinity : next() * 6 - 3;
    });
    const got = m.predict({ features: x, rows, cols });
    for (let r = 0; r < rows; r++) {
      let acc = intercept;
      for (let j = 0; j < cols; j++) {
        const v = x[r * cols + j]!;
        acc += coef[j]! * (Number.isFinite(v) ? v : fill[j]!);
      }
      expect(got[r], `row ${r}`).toBe(Math.fround(acc));
    }
  });
});

