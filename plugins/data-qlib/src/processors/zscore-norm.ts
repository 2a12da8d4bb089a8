import { ColumnAffineProcessor, type ColumnStats } from './column-affine.js';
import type { FieldsGroup } from './fields-group.js';

export interface ZScoreNormOptions {
  fit_start_time?: string | null;
  fit_end_time?: string | null;
  fields_group?: FieldsGroup;
}

/**
 * `(x - mean) / std` with mean and population std (ddof 0) of each column,
 * pooled over every row of the fit window, NaN ignored. A constant column is
 * left as it is (Qlib's `ignore`: center 0, scale 1).
 */
export class ZScoreNorm extends ColumnAffineProcessor {
  readonly name = 'ZScoreNorm';

  constructor(options: ZScoreNormOptions = {}) {
    super(options.fit_start_time ?? null, options.fit_end_time ?? null, options.fields_group ?? null, null);
  }

  protected override readonly streamSquares: boolean = true;

  /** Mean and population std (ddof 0) from the column statistics, without gathering the columns. */
  protected override readonly fitsFromStats: boolean = true;
  protected override fitFromStats(st: ColumnStats, k: number): [number, number] {
    const n = st.count[k]!;
    if (n === 0) return [NaN, NaN];
    // Decided on min == max rather than a float std of exactly 0, which a
    // rounded mean of identical values can miss.
    if (st.min[k] === st.max[k]) return [0, 1];
    return [st.sum[k]! / n, Math.sqrt(st.squares[k]! / n)];
  }
}
