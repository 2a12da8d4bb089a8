import { expect } from 'vitest';
import type { SeriesInput } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { rng } from '../../../../helpers/rng.js';
export { rng } from '../../../../helpers/rng.js';

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export function f32(values: number[]): Float32Array {
  return Float32Array.from(values);
}

/** A price-like random walk with leading NaNs, isolated gaps, a long gap and trailing NaNs. */
export function walk(seed: number, n = 120, level = 20): Float32Array {
  const r = rng(seed);
  const out: number[] = [];
  let p = level;
  for (let t = 0; t < n; t++) {
    p *= Math.exp(0.02 * normal(r));
    out.push(p);
  }
  for (const t of [0, 1, 2, 9, 20, 21, n - 1]) if (t < n) out[t] = NaN;
  for (let t = 40; t < Math.min(n, 55); t++) out[t] = NaN;
  return f32(out);
}

/** Small integers with NaNs: many ties. */
export function ties(seed: number, n = 60): Float32Array {
  const r = rng(seed);
  return f32(Array.from({ length: n }, (_, t) => (t % 11 === 3 ? NaN : Math.floor(r() * 4))));
}

/** Runs of identical values (suspension-like), with NaNs inside a run. */
export function flat(n = 50): Float32Array {
  return f32(Array.from({ length: n }, (_, t) => (t === 13 || t === 30 ? NaN : t < 20 ? 7.25 : t < 35 ? 7.5 + (t % 3) * 0.125 : 8)));
}

/** Small values around a spike (and a negative one) and a 1e-3-scale tail: running sums would drift. */
export function spike(big: number, n = 80): Float32Array {
  const r = rng(99);
  return f32(
    Array.from({ length: n }, (_, t) => (t === 10 ? big : t === 12 ? -0.3 * big : t < 40 ? 1 + r() : 1e-3 * (1 + r()))),
  );
}

/** Mean-zero, return-like values. */
export function returns(seed: number, n = 90): Float32Array {
  const r = rng(seed);
  return f32(Array.from({ length: n }, (_, t) => (t === 5 ? NaN : 0.01 * normal(r))));
}

export function input(fields: Record<string, Float32Array>): SeriesInput {
  const length = Object.values(fields)[0]?.length ?? 0;
  return {
    length,
    field(name: string): Float32Array {
      const v = fields[name];
      if (!v) throw new Error(`test input has no field ${name}`);
      return v;
    },
  };
}

/**
 * Asserts `actual` equals float32-rounded `expected` row by row: NaN exactly
 * where expected is NaN, else within relTol of the value plus absTol * scale[t].
 */
export function expectClose(
  actual: Float32Array,
  expected: ArrayLike<number>,
  opts: { what: string; relTol?: number; absTol?: number; scale?: ArrayLike<number> },
): void {
  const relTol = opts.relTol ?? 4e-7;
  const absTol = opts.absTol ?? 0;
  expect(actual.length, `${opts.what}: length`).toBe(expected.length);
  for (let t = 0; t < expected.length; t++) {
    const e = Math.fround(expected[t]!);
    const a = actual[t]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) {
        expect.fail(`${opts.what}: row ${t} expected ${e}, got ${a}`);
      }
      continue;
    }
    if (!Number.isFinite(e)) {
      if (a !== e) expect.fail(`${opts.what}: row ${t} expected ${e}, got ${a}`);
      continue;
    }
    const scale = opts.scale ? opts.scale[t]! : 1;
    const tol = relTol * Math.abs(e) + absTol * (Number.isFinite(scale) ? scale : 0);
    if (!(Math.abs(a - e) <= tol)) {
      expect.fail(`${opts.what}: row ${t} expected ${e}, got ${a} (|diff| ${Math.abs(a - e)} > ${tol})`);
    }
  }
}

/** Per-row scale of the window's values: max |x| or max |x - mean| (non-NaN), NaN-free (0 if empty). */
export function windowScale(x: Float32Array, N: number, kind: 'abs' | 'dev'): number[] {
  return Array.from({ length: x.length }, (_, t) => {
    const start = N === 0 ? 0 : Math.max(0, t - N + 1);
    const v: number[] = [];
    for (let j = start; j <= t; j++) if (!Number.isNaN(x[j]!)) v.push(x[j]!);
    if (!v.length) return 0;
    if (kind === 'abs') return Math.max(...v.map(Math.abs));
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.max(...v.map((a) => Math.abs(a - m)));
  });
}
