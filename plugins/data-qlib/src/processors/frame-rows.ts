import { QonlineError, type HandlerFrame } from '../../../../core/index.js';
import { frameBuffers } from '../provider/frame-buffers.js';

/**
 * Row-level helpers over date-major frames (rows sorted by date, then
 * instrument). Slices are typed-array views: no copy.
 */

/** Start row of every date block, plus `rows` at the end (length blocks + 1). */
export function dateBlockStarts(frame: HandlerFrame): Int32Array {
  const { rows, rowDate } = frame;
  let blocks = rows > 0 ? 1 : 0;
  for (let r = 1; r < rows; r++) {
    const prev = rowDate[r - 1]!;
    const cur = rowDate[r]!;
    if (cur !== prev) {
      if (frame.dates[cur]! < frame.dates[prev]!) throw notDateMajor(frame, r);
      blocks++;
    }
  }
  const starts = new Int32Array(blocks + 1);
  let b = 0;
  for (let r = 0; r < rows; r++) if (r === 0 || rowDate[r] !== rowDate[r - 1]) starts[b++] = r;
  starts[blocks] = rows;
  return starts;
}

function notDateMajor(frame: HandlerFrame, row: number): QonlineError {
  return new QonlineError(
    'QONLINE_DATA_INVALID',
    `Processors need a date-major frame (rows sorted by date); row ${row} has date ${frame.dates[frame.rowDate[row]!]} after ${frame.dates[frame.rowDate[row - 1]!]}.`,
  );
}

/** First row whose date is >= `date` (rows date-major). */
function lowerRow(frame: HandlerFrame, date: string): number {
  let lo = 0;
  let hi = frame.rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frame.dates[frame.rowDate[mid]!]! < date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First row whose date is > `date`. */
function upperRow(frame: HandlerFrame, date: string): number {
  let lo = 0;
  let hi = frame.rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frame.dates[frame.rowDate[mid]!]! <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows [from, to) as views sharing the frame's arrays. */
export function sliceRows(frame: HandlerFrame, from: number, to: number): HandlerFrame {
  if (from === 0 && to === frame.rows) return frame;
  const f = frame.featureNames.length;
  const l = frame.labelNames.length;
  return {
    ...frame,
    rows: to - from,
    rowDate: frame.rowDate.subarray(from, to),
    rowInst: frame.rowInst.subarray(from, to),
    features: frame.features.subarray(from * f, to * f),
    labels: frame.labels.subarray(from * l, to * l),
  };
}

/** Rows whose date lies in [start, end] (null bounds are open), as views. */
export function sliceDates(frame: HandlerFrame, start: string | null | undefined, end: string | null | undefined): HandlerFrame {
  const from = start == null ? 0 : lowerRow(frame, start);
  const to = end == null ? frame.rows : upperRow(frame, end);
  return sliceRows(frame, from, Math.max(from, to));
}

/** A copy whose typed arrays the caller owns (names and date lists are shared: they are never mutated). */
export function cloneFrame(frame: HandlerFrame): HandlerFrame {
  return {
    ...frame,
    rowDate: frame.rowDate.slice(),
    rowInst: frame.rowInst.slice(),
    features: frame.features.slice(),
    labels: frame.labels.slice(),
  };
}

/**
 * Keeps the rows where `keep[r]` is 1. Arrays `owns` accepts are compacted in
 * place (views of the kept prefix are returned); the others are copied, kept
 * rows only, so the caller's arrays are never written. The frame itself when
 * every row is kept.
 */
export function keepRows(frame: HandlerFrame, keep: Uint8Array, owns: (a: ArrayBufferView) => boolean): HandlerFrame {
  let kept = 0;
  for (let r = 0; r < frame.rows; r++) kept += keep[r]!;
  if (kept === frame.rows) return frame;
  const f = frame.featureNames.length;
  const l = frame.labelNames.length;
  return {
    ...frame,
    rows: kept,
    rowDate: compactRows(frame.rowDate, 1, keep, frame.rows, kept, owns(frame.rowDate)) as Int32Array,
    rowInst: compactRows(frame.rowInst, 1, keep, frame.rows, kept, owns(frame.rowInst)) as Int32Array,
    features: compactRows(frame.features, f, keep, frame.rows, kept, owns(frame.features)) as Float32Array,
    labels: compactRows(frame.labels, l, keep, frame.rows, kept, owns(frame.labels)) as Float32Array,
  };
}

/** The kept rows of a row-major array of `width` values per row, in place or into a new array. */
function compactRows(a: Int32Array | Float32Array, width: number, keep: Uint8Array, rows: number, kept: number, inPlace: boolean): Int32Array | Float32Array {
  // A copy's every value is written below: reused memory needs no zeroing.
  const out = inPlace ? a : a instanceof Int32Array ? new Int32Array(kept * width) : frameBuffers.take(kept * width, false);
  if (width === 0) return out.subarray(0, 0);
  // Runs of kept rows move as one block.
  let w = 0;
  for (let r = 0; r < rows; ) {
    if (!keep[r]) {
      r++;
      continue;
    }
    let e = r + 1;
    while (e < rows && keep[e]) e++;
    if (!inPlace) out.set(a.subarray(r * width, e * width), w * width);
    else if (w !== r) out.copyWithin(w * width, r * width, e * width);
    w += e - r;
    r = e;
  }
  return inPlace ? out.subarray(0, kept * width) : out;
}

/** Rows per transposition block: a block of every column stays in cache while it is written. */
const TRANSPOSE_ROWS = 256;

/**
 * Column arrays (each `rows` long) as one row-major matrix. Written a block
 * of rows at a time: a plain column-by-column transpose writes every value
 * to a different cache line far from the last, and runs several times slower
 * on large frames.
 */
export function rowMajorFromColumns(columns: readonly Float32Array[], rows: number): Float32Array {
  const width = columns.length;
  const out = new Float32Array(rows * width);
  for (let r0 = 0; r0 < rows; r0 += TRANSPOSE_ROWS) {
    const r1 = Math.min(rows, r0 + TRANSPOSE_ROWS);
    for (let c = 0; c < width; c++) copyColumnBlock(columns[c]!, out, r0, r1, width, c);
  }
  return out;
}

function copyColumnBlock(col: Float32Array, out: Float32Array, r0: number, r1: number, width: number, c: number): void {
  for (let r = r0, p = r0 * width + c; r < r1; r++, p += width) out[p] = col[r]!;
}
