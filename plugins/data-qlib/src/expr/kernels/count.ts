import { checkSegments, f32Series, rowsOf, type Alloc, type Series } from './window.js';

/** Rolling count of non-NaN values (0 for an all-NaN window); `seg`: segments counted apart (window.ts). */
export function rollingCount(x: Series, N: number, alloc: Alloc = f32Series, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  const out = alloc(n);
  const rows = rowsOf(N, seg);
  for (let lo = 0; lo < n; lo += seg) {
    const hi = lo + seg;
    let cnt = 0;
    for (let t = lo; t < hi; t++) {
      if (x[t] === x[t]) cnt++;
      if (t - lo >= rows && x[t - rows] === x[t - rows]) cnt--;
      out[t] = cnt;
    }
  }
  return out;
}
