import type { HandlerFrame } from '../../../../../core/index.js';
import { rng } from '../../../../helpers/rng.js';
export { rng } from '../../../../helpers/rng.js';

/**
 * A date-major frame from plain rows: `[date, instrument, features, labels]`.
 * Rows must be given in date order.
 */
export function makeFrame(
  featureNames: string[],
  labelNames: string[],
  rows: [date: string, inst: string, features: number[], labels: number[]][],
): HandlerFrame {
  const dates = [...new Set(rows.map((r) => r[0]))].sort();
  const instruments = [...new Set(rows.map((r) => r[1]))].sort();
  return {
    rows: rows.length,
    dates,
    instruments,
    rowDate: Int32Array.from(rows, (r) => dates.indexOf(r[0])),
    rowInst: Int32Array.from(rows, (r) => instruments.indexOf(r[1])),
    featureNames,
    features: Float32Array.from(rows.flatMap((r) => r[2])),
    labelNames,
    labels: Float32Array.from(rows.flatMap((r) => r[3])),
  };
}

/** Column `name` of a frame as plain numbers (feature or label). */
export function column(frame: HandlerFrame, name: string): number[] {
  let idx = frame.featureNames.indexOf(name);
  if (idx >= 0) return Array.from({ length: frame.rows }, (_, r) => frame.features[r * frame.featureNames.length + idx]!);
  idx = frame.labelNames.indexOf(name);
  if (idx < 0) throw new Error(`no column ${name}`);
  return Array.from({ length: frame.rows }, (_, r) => frame.labels[r * frame.labelNames.length + idx]!);
}

/**
 * A random frame: `nDates` dates, up to `nInst` instruments a date (some
 * missing), `nFeat` features and one label, with NaN sprinkled in and a few
 * repeated values so ties occur.
 */
export function randomFrame(seed: number, nDates: number, nInst: number, nFeat: number): HandlerFrame {
  const rand = rng(seed);
  const rows: [string, string, number[], number[]][] = [];
  for (let d = 0; d < nDates; d++) {
    const date = `2020-01-${String(d + 1).padStart(2, '0')}`;
    for (let i = 0; i < nInst; i++) {
      if (rand() < 0.15) continue;
      const value = () => (rand() < 0.1 ? NaN : rand() < 0.1 ? 1.5 : Math.round((rand() * 20 - 5) * 1000) / 100);
      rows.push([date, `I${String(i).padStart(2, '0')}`, Array.from({ length: nFeat }, value), [value()]]);
    }
  }
  return makeFrame(
    Array.from({ length: nFeat }, (_, j) => `F${j}`),
    ['LABEL0'],
    rows,
  );
}

export const f32 = Math.fround;
