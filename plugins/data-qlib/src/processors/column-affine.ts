import type { HandlerFrame } from '../../../../core/index.js';
import { FittedProcessor } from './base-processor.js';
import { columnKeys, locateColumns, type ColumnKey, type FieldsGroup } from './fields-group.js';
import { decodeNumbers, encodeNumbers } from './nan-stats.js';

/** Per-column parameters of `(x - center) / scale`, keyed by column. */
/** Columns gathered per pass over the window when fitting. */
const TILE = 16;

export interface AffineFit {
  columns: ColumnKey[];
  center: Float64Array;
  scale: Float64Array;
}

/**
 * Base of the fitted normalisers (ZScoreNorm, MinMaxNorm, RobustZScoreNorm):
 * fit one center and scale per column on the fit window, then apply
 * `(x - center) / scale` as Qlib's float32 numpy arithmetic does (each step
 * rounded to float32), optionally clipped.
 */
export abstract class ColumnAffineProcessor extends FittedProcessor<AffineFit> {
  constructor(
    fitStartTime: string | null,
    fitEndTime: string | null,
    readonly fieldsGroup: FieldsGroup,
    private readonly clip: number | null,
  ) {
    super(fitStartTime, fitEndTime);
  }

  /**
   * Center and scale of one column from its non-NaN window values
   * `values[0..n)` (float32 values, as Qlib keeps them; may be reordered).
   */
  protected abstract fitColumn(values: Float64Array, n: number): [center: number, scale: number];

  protected fitWindow(window: HandlerFrame): AffineFit {
    const columns = columnKeys(window, this.fieldsGroup);
    const located = locateColumns(window, columns, this.name);
    const center = new Float64Array(columns.length);
    const scale = new Float64Array(columns.length);
    // Columns are gathered a tile at a time: one pass over the row-major
    // window per tile instead of one strided pass per column.
    const bufs = Array.from({ length: Math.min(TILE, columns.length) }, () => new Float64Array(window.rows));
    const counts = new Int32Array(TILE);
    for (let t0 = 0; t0 < columns.length; t0 += TILE) {
      const tile = located.slice(t0, t0 + TILE);
      counts.fill(0);
      for (let r = 0; r < window.rows; r++) {
        for (let k = 0; k < tile.length; k++) {
          const { block, index } = tile[k]!;
          const v = block.data[r * block.width + index]!;
          if (v === v) bufs[k]![counts[k]!++] = v;
        }
      }
      tile.forEach((_, k) => {
        const [c, s] = this.fitColumn(bufs[k]!, counts[k]!);
        center[t0 + k] = Math.fround(c);
        scale[t0 + k] = Math.fround(s);
      });
    }
    return { columns, center, scale };
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const fit = this.requireFitted();
    const located = locateColumns(frame, fit.columns, this.name);
    const clip = this.clip;
    const fround = Math.fround;
    for (const group of ['feature', 'label'] as const) {
      const sel = located.map((l, i) => ({ ...l, i })).filter((l) => l.block.group === group);
      if (sel.length === 0) continue;
      const { data, width } = sel[0]!.block;
      const idx = Int32Array.from(sel, (s) => s.index);
      const center = Float64Array.from(sel, (s) => fit.center[s.i]!);
      const scale = Float64Array.from(sel, (s) => fit.scale[s.i]!);
      for (let r = 0, base = 0; r < frame.rows; r++, base += width) {
        for (let k = 0; k < idx.length; k++) {
          const p = base + idx[k]!;
          let v = fround(fround(data[p]! - center[k]!) / scale[k]!);
          if (clip !== null) v = v < -clip ? -clip : v > clip ? clip : v; // NaN passes through, as np.clip
          data[p] = v;
        }
      }
    }
    return frame;
  }

  protected encodeState(fit: AffineFit): Record<string, unknown> {
    return { columns: fit.columns, center: encodeNumbers(fit.center), scale: encodeNumbers(fit.scale) };
  }

  protected decodeState(obj: Record<string, unknown>): AffineFit | string {
    const { columns, center, scale } = obj;
    if (!Array.isArray(columns) || !columns.every((c) => Array.isArray(c) && c.length === 2 && (c[0] === 'feature' || c[0] === 'label') && typeof c[1] === 'string')) {
      return 'columns must be a list of [group, name] pairs';
    }
    if (!Array.isArray(center) || !Array.isArray(scale) || center.length !== columns.length || scale.length !== columns.length) {
      return `center and scale must be lists of ${columns.length} numbers`;
    }
    const c = decodeNumbers(center);
    const s = decodeNumbers(scale);
    if (!c || !s) return 'center and scale must hold numbers, null or "Infinity"/"-Infinity"';
    return { columns: columns as ColumnKey[], center: c, scale: s };
  }
}
