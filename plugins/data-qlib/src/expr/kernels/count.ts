import { f32Series, rowsOf, type Alloc, type Series } from './window.js';

/** Rolling count of non-NaN values (0 for an all-NaN window). */
export function rollingCount(x: Series, N: number, alloc: Alloc = f32Series): Series {
  const n = x.length;
  const out = alloc(n);
  const rows = rowsOf(N, n);
  let cnt = 0;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) cnt++;
    if (t >= rows && x[t - rows] === x[t - rows]) cnt--;
    out[t] = cnt;
  }
  return out;
}
