import type { HandlerFrame } from '../../../../core/index.js';
import { FittedProcessor, groupParts, type FrameParts } from './base-processor.js';
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
   * `values[0..n)` (float32 values, as Qlib keeps them; may be overwritten).
   */
  protected abstract fitColumn(values: Float32Array, n: number): [center: number, scale: number];

  protected fitWindow(window: HandlerFrame): AffineFit {
    const columns = columnKeys(window, this.fieldsGroup);
    const located = locateColumns(window, columns, this.name);
    const center = new Float64Array(columns.length);
    const scale = new Float64Array(columns.length);
    // Columns are gathered a tile at a time: one pass over the row-major
    // window per tile instead of one strided pass per column.
    // Column k of a tile lives at tileBuf[k * rows ...].
    const rows = window.rows;
    const tileBuf = new Float32Array(Math.min(TILE, columns.length) * rows);
    const counts = new Int32Array(TILE);
    for (let t0 = 0; t0 < columns.length; t0 += TILE) {
      const tile = located.slice(t0, t0 + TILE);
      counts.fill(0);
      for (const group of ['feature', 'label'] as const) {
        const slots = tile.flatMap((l, k) => (l.block.group === group ? [k] : []));
        if (!slots.length) continue;
        const { data, width } = tile[slots[0]!]!.block;
        gatherColumns(data, width, rows, Int32Array.from(slots, (k) => tile[k]!.index), Int32Array.from(slots), tileBuf, counts);
      }
      tile.forEach((_, k) => {
        const [c, s] = this.fitColumn(tileBuf.subarray(k * rows, k * rows + counts[k]!), counts[k]!);
        center[t0 + k] = Math.fround(c);
        scale[t0 + k] = Math.fround(s);
      });
    }
    return { columns, center, scale };
  }

  override writes(): FrameParts {
    return groupParts(this.fieldsGroup);
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    return this.applyOwned(frame, () => true);
  }

  /** Writes into new arrays the blocks the caller does not own (one pass instead of a copy and a pass). */
  override applyOwned(frame: HandlerFrame, owns: (a: ArrayBufferView) => boolean): HandlerFrame {
    const fit = this.requireFitted();
    const located = locateColumns(frame, fit.columns, this.name);
    const out = { ...frame };
    const clip = this.clip ?? Infinity;
    for (const group of ['feature', 'label'] as const) {
      const sel = located.map((l, i) => ({ ...l, i })).filter((l) => l.block.group === group);
      if (sel.length === 0) continue;
      const { data, width } = sel[0]!.block;
      let target = data;
      if (!owns(data)) {
        target = new Float32Array(data.length);
        // Columns this processor does not touch keep their values.
        if (sel.length !== width) target.set(data);
        if (group === 'feature') out.features = target;
        else out.labels = target;
      }
      const idx = Int32Array.from(sel, (s) => s.index);
      const center = Float64Array.from(sel, (s) => fit.center[s.i]!);
      const scale = Float64Array.from(sel, (s) => fit.scale[s.i]!);
      const inOrder = sel.length === width && sel.every((s, k) => s.index === k);
      // See affineRows: for float32 scales, multiplying by the reciprocal rounds as dividing does.
      if (inOrder && scale.every((v) => Math.fround(v) === v)) affineRows(data, target, frame.rows, width, center, scale.map((v) => 1 / v), clip);
      else affineColumns(data, target, frame.rows, width, idx, center, scale, clip);
    }
    return out;
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

/** Appends the non-NaN values of block columns `idx` to the tile's columns `slot` (tile column k at `tile[k * rows]`). */
function gatherColumns(data: Float32Array, width: number, rows: number, idx: Int32Array, slot: Int32Array, tile: Float32Array, counts: Int32Array): void {
  const m = idx.length;
  for (let r = 0, base = 0; r < rows; r++, base += width) {
    for (let k = 0; k < m; k++) {
      const v = data[base + idx[k]!]!;
      if (v === v) {
        const s = slot[k]!;
        tile[s * rows + counts[s]!++] = v;
      }
    }
  }
}

/**
 * `(x - center) / scale` with each step rounded to float32 (Qlib's float32
 * numpy arithmetic), then clipped to [-clip, clip] (NaN passes, as np.clip);
 * every column of the block, in order. `src` and `dst` may be one array.
 *
 * The division is a multiplication by `inverse` = 1/scale (float64), which
 * rounds to the same float32 when scale is a float32: the quotient of two
 * float32 values lies at least 2^-49 (relative) from any float32 rounding
 * midpoint, and the product is within 2^-52 of the quotient, so both round
 * alike (also for zeros, infinities and NaN).
 */
function affineRows(src: Float32Array, dst: Float32Array, rows: number, width: number, center: Float64Array, inverse: Float64Array, clip: number): void {
  const fround = Math.fround;
  for (let r = 0, base = 0; r < rows; r++, base += width) {
    for (let k = 0; k < width; k++) {
      // min/max rather than comparisons: no branches, NaN and -0 pass as with np.clip.
      dst[base + k] = Math.min(clip, Math.max(-clip, fround(fround(src[base + k]! - center[k]!) * inverse[k]!)));
    }
  }
}

/** The columns `idx` of the block only, dividing (any scale). */
function affineColumns(src: Float32Array, dst: Float32Array, rows: number, width: number, idx: Int32Array, center: Float64Array, scale: Float64Array, clip: number): void {
  const fround = Math.fround;
  for (let r = 0, base = 0; r < rows; r++, base += width) {
    for (let k = 0; k < idx.length; k++) {
      const p = base + idx[k]!;
      dst[p] = Math.min(clip, Math.max(-clip, fround(fround(src[p]! - center[k]!) / scale[k]!)));
    }
  }
}
