import { QonlineError, type HandlerFrame } from '../../../../core/index.js';

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
 * Keeps the rows where `keep[r]` is 1, compacting the frame's own arrays in
 * place (the caller owns them) and returning views of the kept prefix.
 */
export function keepRowsInPlace(frame: HandlerFrame, keep: Uint8Array): HandlerFrame {
  const f = frame.featureNames.length;
  const l = frame.labelNames.length;
  const { rowDate, rowInst, features, labels } = frame;
  let w = 0;
  for (let r = 0; r < frame.rows; r++) {
    if (!keep[r]) continue;
    if (w !== r) {
      rowDate[w] = rowDate[r]!;
      rowInst[w] = rowInst[r]!;
      if (f > 0) features.copyWithin(w * f, r * f, r * f + f);
      if (l > 0) labels.copyWithin(w * l, r * l, r * l + l);
    }
    w++;
  }
  if (w === frame.rows) return frame;
  return {
    ...frame,
    rows: w,
    rowDate: rowDate.subarray(0, w),
    rowInst: rowInst.subarray(0, w),
    features: features.subarray(0, w * f),
    labels: labels.subarray(0, w * l),
  };
}
