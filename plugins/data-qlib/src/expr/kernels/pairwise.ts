import { rollingStdInto } from './moments.js';
import { NEAR_CONSTANT_STD } from './regression.js';
import { checkSegments, f32Series, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type PairStat = 'corr' | 'cov';

let stdScratchA = new Float32Array(0);
let stdScratchB = new Float32Array(0);

const KA = 0;
const KB = 1;
const CNT = 2;
const SA = 3;
const SB = 4;
const SAA = 5;
const SBB = 6;
const SAB = 7;

/** Sums over rows start..t where both sides are non-NaN, each shifted by its mean, into `st`. */
function rebuildSums(a: Series, b: Series, start: number, t: number, st: Float64Array): void {
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
  const ka = c > 0 ? ta / c : 0;
  const kb = c > 0 ? tb / c : 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let j = start; j <= t; j++) {
    if (!(a[j] === a[j] && b[j] === b[j])) continue;
    const da = a[j]! - ka;
    const db = b[j]! - kb;
    sa += da;
    sb += db;
    saa += da * da;
    sbb += db * db;
    sab += da * db;
  }
  st[KA] = ka;
  st[KB] = kb;
  st[CNT] = c;
  st[SA] = sa;
  st[SB] = sb;
  st[SAA] = saa;
  st[SBB] = sbb;
  st[SAB] = sab;
}

/**
 * Rolling Cov (ddof 1) and Corr over the rows where both sides are non-NaN
 * (pandas' pairwise rolling), O(n) with shifted float64 sums rebuilt as in
 * window.ts. NaN with fewer than 2 such rows. Corr is also NaN where either
 * side's own rolling std (its own non-NaN values) is within 2e-5 of zero, as
 * Qlib masks it, and where a side is constant over the paired rows.
 *
 * `stds`: each side's rolling std as rollingStdInto computes it, when the
 * caller has them already (the evaluator shares Std(x, N) with Alpha158's
 * STD features); else Corr computes them.
 *
 * `seg`: segments computed apart (window.ts).
 */
export function rollingPair(
  a: Series,
  b: Series,
  N: number,
  stat: PairStat,
  alloc: Alloc = f32Series,
  stds?: { a: Float32Array; b: Float32Array },
  seg = a.length,
): Series {
  const n = a.length;
  checkSegments(n, seg);
  const out = alloc(n);
  const rows = rowsOf(N, seg);
  const st = new Float64Array(8);
  for (let lo = 0; lo < n; lo += seg) pairRange(a, b, lo, lo + seg, rows, stat, out, st);
  if (stat === 'corr') {
    // Into buffers reused across calls: these stds only mask the result.
    if (!stds && stdScratchA.length < n) {
      stdScratchA = new Float32Array(Math.max(n, 2 * stdScratchA.length));
      stdScratchB = new Float32Array(stdScratchA.length);
    }
    const stdA = stds ? stds.a : rollingStdInto(a, N, stdScratchA, seg);
    const stdB = stds ? stds.b : a === b ? stdA : rollingStdInto(b, N, stdScratchB, seg);
    for (let t = 0; t < n; t++) {
      if (stdA[t]! <= NEAR_CONSTANT_STD || stdB[t]! <= NEAR_CONSTANT_STD) out[t] = NaN;
    }
  }
  return out;
}

/** rollingPair's Cov or unmasked Corr over rows [lo, hi) as a series of its own (`st`: rebuild scratch). */
function pairRange(a: Series, b: Series, lo: number, hi: number, rows: number, stat: PairStat, out: Series, st: Float64Array): void {
  let ka = 0;
  let kb = 0;
  let cnt = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let ops = 0;
  let massA = 0;
  let massB = 0;

  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const j = t - rows;
      const u = a[j]!;
      const w = b[j]!;
      if (u === u && w === w) {
        cnt--;
        if (cnt === 0) {
          sa = sb = saa = sbb = sab = massA = massB = ops = 0;
        } else {
          const da = u - ka;
          const db = w - kb;
          sa -= da;
          sb -= db;
          saa -= da * da;
          sbb -= db * db;
          sab -= da * db;
          massA += da * da;
          massB += db * db;
          ops++;
        }
      }
    }
    const u = a[t]!;
    const w = b[t]!;
    if (u === u && w === w) {
      if (cnt === 0) {
        ka = u;
        kb = w;
      }
      cnt++;
      const da = u - ka;
      const db = w - kb;
      sa += da;
      sb += db;
      saa += da * da;
      sbb += db * db;
      sab += da * db;
      massA += da * da;
      massB += db * db;
      ops++;
    }
    if (cnt < 2) {
      out[t] = NaN;
      continue;
    }
    let caa = saa - (sa * sa) / cnt;
    let cbb = sbb - (sb * sb) / cnt;
    const limit = REBUILD_RATIO / ops;
    if (massA > limit * caa || massB > limit * cbb) {
      rebuildSums(a, b, windowStart(t, rows, lo), t, st);
      ka = st[KA]!;
      kb = st[KB]!;
      cnt = st[CNT]!;
      sa = st[SA]!;
      sb = st[SB]!;
      saa = st[SAA]!;
      sbb = st[SBB]!;
      sab = st[SAB]!;
      massA = saa;
      massB = sbb;
      ops = cnt;
      caa = saa - (sa * sa) / cnt;
      cbb = sbb - (sb * sb) / cnt;
    }
    const cab = sab - (sa * sb) / cnt;
    if (stat === 'cov') out[t] = cab / (cnt - 1);
    else out[t] = caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : NaN;
  }
}
