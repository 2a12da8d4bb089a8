import { ColumnAffineProcessor, type ColumnStats } from './column-affine.js';
import type { FieldsGroup } from './fields-group.js';

export interface MinMaxNormOptions {
  fit_start_time?: string | null;
  fit_end_time?: string | null;
  fields_group?: FieldsGroup;
}

/**
 * `(x - min) / (max - min)` with each column's min and max over the fit
 * window, NaN ignored. A constant column is left as it is (Qlib's `ignore`).
 */
export class MinMaxNorm extends ColumnAffineProcessor {
  readonly name = 'MinMaxNorm';

  constructor(options: MinMaxNormOptions = {}) {
    super(options.fit_start_time ?? null, options.fit_end_time ?? null, options.fields_group ?? null, null);
  }

  /** Min and range from the column statistics, without gathering the columns. */
  protected override readonly fitsFromStats: boolean = true;
  protected override fitFromStats(st: ColumnStats, k: number): [number, number] {
    if (st.count[k] === 0) return [NaN, NaN];
    const min = st.min[k]!;
    const max = st.max[k]!;
    if (min === max) return [0, 1];
    return [min, Math.fround(max - min)];
  }
}
