import { rollingMoments } from './moments.js';
import { NEAR_CONSTANT_STD } from './regression.js';
import { REBUILD_RATIO, rowsOf, windowStart } from './window.js';

export type PairStat = 'corr' | 'cov';

/**
 * Rolling Cov (ddof 1) and Corr over the rows where both sides are non-NaN
 * (pandas' pairwise rolling), O(n) with shifted float64 sums rebuilt as in
 * window.ts. NaN with fewer than 2 such rows. Corr is also NaN where either
 * side's own rolling std (its own non-NaN values) is within 2e-5 of zero, as
 * Qlib masks it, and where a side is constant over the paired rows.
 */
export function rollingPair(a: Float32Array, b: Float32Array, N: number, stat: PairStat): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N, n);
  let Ka = 0;
  let Kb = 0;
  let cnt = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let massA = 0;
  let massB = 0;
  let sinceRebuild = 0;

  const rebuild = (t: number): void => {
    const start = windowStart(t, rows);
    let ta = 0;
    let tb = 0;
    let c = 0;
    for (let j = start; j <= t; j++) {
      if (a[j] === a[j] && b[j] === b[j]) {
        ta += a[j]!;
        tb += b[j]!;
        c++;
      }
    }
    Ka = c > 0 ? ta / c : 0;
    Kb = c > 0 ? tb / c : 0;
    cnt = c;
    sa = sb = saa = sbb = sab = 0;
    for (let j = start; j <= t; j++) {
      if (!(a[j] === a[j] && b[j] === b[j])) continue;
      const da = a[j]! - Ka;
      const db = b[j]! - Kb;
      sa += da;
      sb += db;
      saa += da * da;
      sbb += db * db;
      sab += da * db;
    }
    massA = saa;
    massB = sbb;
    sinceRebuild = 0;
  };

  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const j = t - rows;
      if (a[j] === a[j] && b[j] === b[j]) {
        cnt--;
        if (cnt === 0) {
          sa = sb = saa = sbb = sab = massA = massB = 0;
        } else {
          const da = a[j]! - Ka;
          const db = b[j]! - Kb;
          sa -= da;
          sb -= db;
          saa -= da * da;
          sbb -= db * db;
          sab -= da * db;
          massA += da * da;
          massB += db * db;
        }
      }
    }
    if (a[t] === a[t] && b[t] === b[t]) {
      if (cnt === 0) {
        Ka = a[t]!;
        Kb = b[t]!;
      }
      cnt++;
      const da = a[t]! - Ka;
      const db = b[t]! - Kb;
      sa += da;
      sb += db;
      saa += da * da;
      sbb += db * db;
      sab += da * db;
      massA += da * da;
      massB += db * db;
    }
    if (cnt < 2) {
      out[t] = NaN;
      continue;
    }
    sinceRebuild++;
    let caa = saa - (sa * sa) / cnt;
    let cbb = sbb - (sb * sb) / cnt;
    if (sinceRebuild >= rows || massA > REBUILD_RATIO * caa || massB > REBUILD_RATIO * cbb) {
      rebuild(t);
      caa = saa - (sa * sa) / cnt;
      cbb = sbb - (sb * sb) / cnt;
    }
    const cab = sab - (sa * sb) / cnt;
    if (stat === 'cov') out[t] = cab / (cnt - 1);
    else out[t] = caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : NaN;
  }

  if (stat === 'corr') {
    const stdA = rollingMoments(a, N, 'std');
    const stdB = rollingMoments(b, N, 'std');
    for (let t = 0; t < n; t++) {
      if (stdA[t]! <= NEAR_CONSTANT_STD || stdB[t]! <= NEAR_CONSTANT_STD) out[t] = NaN;
    }
  }
  return out;
}
