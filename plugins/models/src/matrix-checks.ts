import type { MatrixDataset, MatrixInput } from '../../../core/index.js';
import { modelInputError } from './model-error.js';

function isWholeCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Shape checks shared by fit and predict: typed arrays whose lengths match rows x cols. */
export function checkMatrixInput(input: MatrixInput, what: string, expectedCols?: number): void {
  if (!input || typeof input !== 'object') throw modelInputError(`${what}: expected {features, rows, cols}, found ${String(input)}`);
  const { features, rows, cols } = input;
  if (!(features instanceof Float32Array)) {
    throw modelInputError(`${what}: features must be a Float32Array (row-major), found ${describe(features)}`);
  }
  if (!isWholeCount(rows)) throw modelInputError(`${what}: rows must be a whole number >= 0, found ${String(rows)}`);
  if (!isWholeCount(cols) || cols === 0) throw modelInputError(`${what}: cols must be a whole number >= 1, found ${String(cols)}`);
  if (features.length !== rows * cols) {
    throw modelInputError(`${what}: features has ${features.length} values but rows x cols = ${rows} x ${cols} = ${rows * cols}`);
  }
  if (expectedCols !== undefined && cols !== expectedCols) {
    throw modelInputError(`${what}: the model was fitted on ${expectedCols} columns, found ${cols}`);
  }
}

/** Fit-time checks: at least one row, finite labels, non-negative finite weights. */
export function checkMatrixDataset(ds: MatrixDataset, what: string, expectedCols?: number): void {
  checkMatrixInput(ds, what, expectedCols);
  if (ds.rows === 0) throw modelInputError(`${what}: zero rows; a model needs at least one row to fit or evaluate`);
  if (!(ds.labels instanceof Float32Array)) throw modelInputError(`${what}: labels must be a Float32Array, found ${describe(ds.labels)}`);
  if (ds.labels.length !== ds.rows) throw modelInputError(`${what}: labels has ${ds.labels.length} values but rows = ${ds.rows}`);
  const labels = ds.labels;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isFinite(y)) {
      throw modelInputError(`${what}: label at row ${i} is ${y}; labels must be finite (drop rows with missing labels before fitting)`);
    }
  }
  if (ds.weights !== undefined) {
    const w = ds.weights;
    if (!(w instanceof Float32Array)) throw modelInputError(`${what}: weights must be a Float32Array, found ${describe(w)}`);
    if (w.length !== ds.rows) throw modelInputError(`${what}: weights has ${w.length} values but rows = ${ds.rows}`);
    let total = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (!(v >= 0) || v === Infinity) throw modelInputError(`${what}: weight at row ${i} is ${v}; weights must be finite and >= 0`);
      total += v;
    }
    if (!(total > 0)) throw modelInputError(`${what}: all weights are zero`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
