import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, type FrameParts } from './base-processor.js';
import { blockOf, type ColumnBlock, type FieldsGroup } from './fields-group.js';
import { dateBlockStarts } from './frame-rows.js';
import { medianInPlace } from './nan-stats.js';

export type CSZScoreMethod = 'zscore' | 'robust';

export interface CSZScoreNormOptions {
  /** One group, null (every column) or a list of groups, as Qlib accepts. */
  fields_group?: FieldsGroup | FieldsGroup[];
  method?: CSZScoreMethod;
}

const MAD_TO_STD = 1.4826;

/**
 * Per date and column. `zscore`: (x - mean) / std with the sample std
 * (ddof 1), NaN ignored; a date with fewer than two values, or with all
 * values equal, gives NaN (pandas divides by a NaN or zero std). `robust`:
 * (x - median) / (MAD * 1.4826) clipped to [-3, 3], with no epsilon, as
 * Qlib's `robust_zscore`.
 */
export class CSZScoreNorm extends BaseProcessor {
  readonly name = 'CSZScoreNorm';
  readonly fieldsGroups: FieldsGroup[];
  readonly method: CSZScoreMethod;

  constructor(options: CSZScoreNormOptions = {}) {
    super();
    const g = options.fields_group ?? null;
    this.fieldsGroups = Array.isArray(g) ? g : [g];
    this.method = options.method ?? 'zscore';
  }

  override writes(): FrameParts {
    return { rows: false, features: this.fieldsGroups.some((g) => g !== 'label'), labels: this.fieldsGroups.some((g) => g !== 'feature') };
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const starts = dateBlockStarts(frame);
    let maxBlock = 0;
    for (let b = 0; b + 1 < starts.length; b++) maxBlock = Math.max(maxBlock, starts[b + 1]! - starts[b]!);
    const buf = new Float64Array(maxBlock);
    for (const block of this.blocks(frame)) {
      for (let b = 0; b + 1 < starts.length; b++) {
        for (let col = 0; col < block.width; col++) {
          const from = starts[b]! * block.width + col;
          const to = starts[b + 1]! * block.width;
          if (this.method === 'zscore') zscoreSpan(block.data, from, to, block.width);
          else robustSpan(block.data, from, to, block.width, buf);
        }
      }
    }
    return frame;
  }

  /** The distinct blocks the groups cover (a group listed twice is processed once). */
  private blocks(frame: HandlerFrame): ColumnBlock[] {
    const wantFeature = this.fieldsGroups.some((g) => g === null || g === 'feature');
    const wantLabel = this.fieldsGroups.some((g) => g === null || g === 'label');
    return [...(wantFeature ? [blockOf(frame, 'feature')] : []), ...(wantLabel ? [blockOf(frame, 'label')] : [])];
  }
}

function zscoreSpan(data: Float32Array, from: number, to: number, step: number): void {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let p = from; p < to; p += step) {
    const v = data[p]!;
    if (v !== v) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return;
  const mean = sum / n;
  let ss = 0;
  for (let p = from; p < to; p += step) {
    const v = data[p]!;
    if (v === v) ss += (v - mean) * (v - mean);
  }
  // Equal values: exactly zero spread, whatever rounding the mean had.
  const std = n < 2 || min === max ? NaN : Math.sqrt(ss / (n - 1));
  for (let p = from; p < to; p += step) data[p] = (data[p]! - mean) / std;
}

function robustSpan(data: Float32Array, from: number, to: number, step: number, buf: Float64Array): void {
  const fround = Math.fround;
  let n = 0;
  for (let p = from; p < to; p += step) {
    const v = data[p]!;
    if (v === v) buf[n++] = v;
  }
  if (n === 0) return;
  const median = fround(medianInPlace(buf, n));
  let m = 0;
  for (let p = from; p < to; p += step) {
    const d = Math.abs(fround(data[p]! - median));
    if (d === d) buf[m++] = d;
  }
  const mad = fround(medianInPlace(buf, m));
  for (let p = from; p < to; p += step) {
    const z = fround(fround(fround(data[p]! - median) / mad) / MAD_TO_STD);
    data[p] = z < -3 ? -3 : z > 3 ? 3 : z;
  }
}
