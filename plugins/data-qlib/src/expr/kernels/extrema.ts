import { checkSegments, f32Series, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type ExtremumStat = 'max' | 'min' | 'idxmax' | 'idxmin';

/**
 * Rolling Max/Min and their 1-based positions (from the oldest row of the
 * window, NaN rows counted as rows) over the non-NaN values, with a monotone
 * deque: O(n). Ties go to the oldest row: an equal newer value does not
 * displace an older one. All-NaN windows give NaN.
 */
export function rollingExtremum(x: Series, N: number, stat: ExtremumStat, alloc: Alloc = f32Series): Series {
  const out = alloc(x.length);
  const position = stat === 'idxmax' || stat === 'idxmin';
  rollingExtremumInto(x, N, stat === 'max' || stat === 'idxmax', position ? null : out, position ? out : null);
  return out;
}

/**
 * rollingExtremum's value (Max/Min) and position (IdxMax/IdxMin) outputs of
 * one series and window from one deque pass (Alpha158 asks for Max($high, N)
 * and IdxMax($high, N)); either may be null. `seg`: segments computed apart (window.ts).
 */
export function rollingExtremumInto(
  x: Series,
  N: number,
  wantMax: boolean,
  valueOut: Series | null,
  positionOut: Series | null,
  seg = x.length,
): void {
  const n = x.length;
  checkSegments(n, seg);
  const rows = rowsOf(N, seg);
  // Row indices, values monotone from head (the extremum) to tail; each row enters once.
  const deque = dequeScratch(seg);
  for (let lo = 0; lo < n; lo += seg) extremumRange(x, lo, lo + seg, rows, wantMax, valueOut, positionOut, deque);
}

/** rollingExtremumInto over rows [lo, hi) as a series of its own. */
function extremumRange(
  x: Series,
  lo: number,
  hi: number,
  rows: number,
  wantMax: boolean,
  valueOut: Series | null,
  positionOut: Series | null,
  deque: Int32Array,
): void {
  let head = 0;
  let tail = 0;
  for (let t = lo; t < hi; t++) {
    const v = x[t]!;
    if (v === v) {
      if (wantMax) while (tail > head && x[deque[tail - 1]!]! < v) tail--;
      else while (tail > head && x[deque[tail - 1]!]! > v) tail--;
      deque[tail++] = t;
    }
    const start = windowStart(t, rows, lo);
    while (tail > head && deque[head]! < start) head++;
    if (tail === head) {
      if (valueOut) valueOut[t] = NaN;
      if (positionOut) positionOut[t] = NaN;
    } else {
      if (valueOut) valueOut[t] = x[deque[head]!]!;
      if (positionOut) positionOut[t] = deque[head]! - start + 1;
    }
  }
}

/** One deque buffer reused across calls (kernels run to completion, one at a time per thread). */
let scratch = new Int32Array(0);

function dequeScratch(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  return scratch;
}
