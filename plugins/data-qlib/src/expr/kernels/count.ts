import { newSeries } from './series-pool.js';
import { rowsOf } from './window.js';

/** Rolling count of non-NaN values (0 for an all-NaN window). */
export function rollingCount(x: Float32Array, N: number): Float32Array {
  const n = x.length;
  const out = newSeries(n);
  const rows = rowsOf(N, n);
  let cnt = 0;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) cnt++;
    if (t >= rows && x[t - rows] === x[t - rows]) cnt--;
    out[t] = cnt;
  }
  return out;
}
