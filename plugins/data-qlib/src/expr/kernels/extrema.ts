import { f32Series, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type ExtremumStat = 'max' | 'min' | 'idxmax' | 'idxmin';

/**
 * Rolling Max/Min and their 1-based positions (from the oldest row of the
 * window, NaN rows counted as rows) over the non-NaN values, with a monotone
 * deque: O(n). Ties go to the oldest row: an equal newer value does not
 * displace an older one. All-NaN windows give NaN.
 */
export function rollingExtremum(x: Series, N: number, stat: ExtremumStat, alloc: Alloc = f32Series): Series {
  const n = x.length;
  const out = alloc(n);
  const rows = rowsOf(N, n);
  const wantMax = stat === 'max' || stat === 'idxmax';
  const position = stat === 'idxmax' || stat === 'idxmin';
  // Row indices, values monotone from head (the extremum) to tail; each row enters once.
  const deque = dequeScratch(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    const v = x[t]!;
    if (v === v) {
      if (wantMax) while (tail > head && x[deque[tail - 1]!]! < v) tail--;
      else while (tail > head && x[deque[tail - 1]!]! > v) tail--;
      deque[tail++] = t;
    }
    const start = windowStart(t, rows);
    while (tail > head && deque[head]! < start) head++;
    if (tail === head) out[t] = NaN;
    else out[t] = position ? deque[head]! - start + 1 : x[deque[head]!]!;
  }
  return out;
}

/** One deque buffer reused across calls (kernels run to completion, one at a time per thread). */
let scratch = new Int32Array(0);

function dequeScratch(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  return scratch;
}
