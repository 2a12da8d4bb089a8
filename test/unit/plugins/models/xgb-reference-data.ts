import type { MatrixDataset } from '../../../../core/index.js';

/**
 * The data sets of test/fixtures/xgb-train/make_xgb_train_refs.py, generated
 * from the same 32-bit xorshift stream with the same float64 operations, so
 * both sides hold identical float32 matrices.
 */
export interface RefDataSpec {
  seed: number;
  rows: number;
  cols: number;
  levels: number;
  nan_rate: number;
  scale: number;
  /** Row weights 0.25..1, drawn after each label. */
  weighted?: boolean;
  /** Columns overwritten after the labels: constant 1.5, all missing, or -1 / 2 (x > 3 / else, missing kept). */
  constant_cols?: number[];
  missing_cols?: number[];
  binary_cols?: number[];
}

function stream(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function makeData(seed: number, rows: number, cols: number, levels: number, nanRate: number, scale: number, weighted: boolean): MatrixDataset {
  const next = stream(seed);
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  const weights = new Float32Array(rows).fill(1);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const u = next();
      const k = next() % levels;
      features[r * cols + j] = u < nanRate * 4294967296 ? NaN : k / scale;
    }
    const z = Array.from(features.subarray(r * cols, r * cols + 6), (v) => (Number.isNaN(v) ? 2.0 : v));
    const noise = next() / 4294967296 - 0.5;
    labels[r] = 0.8 * z[0]! - 0.5 * z[1]! * (z[2]! > 3 ? 1.0 : 0.0) + 0.3 * z[3]! + (z[4]! > 5 ? 0.2 : -0.2) + 0.1 * z[5]! * z[0]! + noise;
    if (weighted) weights[r] = ((next() % 4) + 1) / 4;
  }
  return { features, labels, rows, cols, ...(weighted ? { weights } : {}) };
}

function slice(d: MatrixDataset, from: number, to: number): MatrixDataset {
  const part: MatrixDataset = { features: d.features.slice(from * d.cols, to * d.cols), labels: d.labels.slice(from, to), rows: to - from, cols: d.cols };
  if (d.weights) part.weights = d.weights.slice(from, to);
  return part;
}

/** Train (spec.rows), valid (800) and test (200) rows, as the fixture script splits them. */
export function referenceSplit(spec: RefDataSpec): { train: MatrixDataset; valid: MatrixDataset; test: MatrixDataset } {
  const n = spec.rows;
  const all = makeData(spec.seed, n + 1000, spec.cols, spec.levels, spec.nan_rate, spec.scale, spec.weighted ?? false);
  const { cols } = spec;
  for (let r = 0; r < all.rows; r++) {
    for (const j of spec.constant_cols ?? []) all.features[r * cols + j] = 1.5;
    for (const j of spec.missing_cols ?? []) all.features[r * cols + j] = NaN;
    for (const j of spec.binary_cols ?? []) {
      const v = all.features[r * cols + j]!;
      if (!Number.isNaN(v)) all.features[r * cols + j] = v > 3 ? -1 : 2;
    }
  }
  return { train: slice(all, 0, n), valid: slice(all, n, n + 800), test: slice(all, n + 800, n + 1000) };
}
