import { ColumnAffineProcessor } from './column-affine.js';
import type { FieldsGroup } from './fields-group.js';
import { medianFloat32 } from './nan-stats.js';

export interface RobustZScoreNormOptions {
  fit_start_time?: string | null;
  fit_end_time?: string | null;
  fields_group?: FieldsGroup;
  clip_outlier?: boolean;
}

/** Qlib's EPS, added to the MAD so a constant column does not divide by zero. */
const EPS = 1e-12;
/** MAD to standard deviation of a normal distribution. */
const MAD_TO_STD = 1.4826;

/**
 * `(x - median) / (MAD * 1.4826)` per column, median and MAD (median of
 * |x - median|) pooled over every row of the fit window, NaN ignored; the
 * result is clipped to [-3, 3] unless `clip_outlier` is false.
 */
export class RobustZScoreNorm extends ColumnAffineProcessor {
  readonly name = 'RobustZScoreNorm';
  readonly clipOutlier: boolean;

  constructor(options: RobustZScoreNormOptions = {}) {
    const clipOutlier = options.clip_outlier ?? true;
    super(options.fit_start_time ?? null, options.fit_end_time ?? null, options.fields_group ?? null, clipOutlier ? 3 : null);
    this.clipOutlier = clipOutlier;
  }

  protected override fitColumn(buf: Float32Array, n: number): [number, number] {
    const fround = Math.fround;
    if (n === 0) return [NaN, NaN];
    // Qlib works on float32 arrays: the median, the deviations and the MAD are float32.
    const median = fround(medianFloat32(buf, n));
    let m = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(fround(buf[i]! - median));
      if (d === d) buf[m++] = d; // inf - inf is NaN, which nanmedian skips
    }
    const mad = fround(medianFloat32(buf, m));
    return [median, fround(fround(mad + EPS) * MAD_TO_STD)];
  }
}
