import { checkSegments, f32Series, IdenticalRun, REBUILD_RATIO, rowsOf, windowStart, type Alloc, type Series } from './window.js';

export type MomentStat = 'sum' | 'mean' | 'var' | 'std' | 'skew' | 'kurt';

const ORDER: Record<MomentStat, number> = { sum: 1, mean: 1, var: 2, std: 2, skew: 3, kurt: 4 };

/** Slots of the rebuild state (kept out of closures so the hot loop's doubles stay unboxed). */
const K = 0;
const CNT = 1;
const S1 = 2;
const S2 = 3;
const S3 = 4;
const S4 = 5;
const MASS1 = 6;
const MASS3 = 7;
const ABS = 8;

/** Power sums of (x - mean) over the non-NaN values of rows start..t, into `st`. */
function rebuildSums(x: Series, start: number, t: number, st: Float64Array): void {
  let total = 0;
  let c = 0;
  for (let j = start; j <= t; j++) {
    const v = x[j]!;
    if (v === v) {
      total += v;
      c++;
    }
  }
  const k = c > 0 ? total / c : 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let mass1 = 0;
  let mass3 = 0;
  let abs = 0;
  for (let j = start; j <= t; j++) {
    const v = x[j]!;
    if (v !== v) continue;
    const d = v - k;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    mass1 += Math.abs(d);
    mass3 += Math.abs(d2 * d);
    abs += Math.abs(v);
  }
  st[K] = k;
  st[CNT] = c;
  st[S1] = s1;
  st[S2] = s2;
  st[S3] = s3;
  st[S4] = s4;
  st[MASS1] = mass1;
  st[MASS3] = mass3;
  st[ABS] = abs;
}

/**
 * Rolling Sum/Mean/Var/Std/Skew/Kurt over the non-NaN values of each window
 * (pandas' rolling(N, min_periods=1) semantics; N = 0 expanding), in O(n):
 * power sums of (x - K) in float64, rebuilt as described in window.ts.
 *
 * Var/Std use ddof 1. Skew/Kurt are pandas' bias-corrected estimators: NaN
 * below 3/4 values or when the population variance is <= 1e-14, and exactly
 * 0 / -3 when every value in the window is the same.
 *
 * `seg`: segments computed apart (window.ts).
 */
export function rollingMoments(x: Series, N: number, stat: MomentStat, alloc: Alloc = f32Series, seg = x.length): Series {
  const n = x.length;
  checkSegments(n, seg);
  const rows = rowsOf(N, seg);
  if (stat === 'sum' || stat === 'mean') return rollingFirstOrder(x, rows, stat === 'mean', alloc, seg);
  if (stat === 'var' || stat === 'std') return rollingSecondOrder(x, rows, stat === 'std', alloc(n), seg);
  const out = alloc(n);
  const st = new Float64Array(9);
  for (let lo = 0; lo < n; lo += seg) higherMomentsRange(x, lo, lo + seg, rows, stat, out, st);
  return out;
}

/** rollingMoments' Skew and Kurt over rows [lo, hi) as a series of its own (`st`: rebuild scratch). */
function higherMomentsRange(x: Series, lo: number, hi: number, rows: number, stat: MomentStat, out: Series, st: Float64Array): void {
  const order = ORDER[stat];
  const high = order >= 3;
  const run = new IdenticalRun();

  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  // Updates and magnitudes since the last rebuild: the error scale of s1..s4.
  let ops = 0;
  let mass1 = 0;
  let mass2 = 0;
  let mass3 = 0;
  let mass4 = 0;
  // Sum of |x| over the window: what a naive sum's error is measured against.
  let absWindow = 0;

  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const u = x[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = s2 = s3 = s4 = mass1 = mass2 = mass3 = mass4 = absWindow = ops = 0;
        } else {
          const d = u - k;
          const d2 = d * d;
          s1 -= d;
          s2 -= d2;
          absWindow -= Math.abs(u);
          mass1 += Math.abs(d);
          mass2 += d2;
          ops++;
          if (high) {
            s3 -= d2 * d;
            s4 -= d2 * d2;
            mass3 += Math.abs(d2 * d);
            mass4 += d2 * d2;
          }
        }
      }
    }
    const v = x[t]!;
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      absWindow += Math.abs(v);
      mass1 += Math.abs(d);
      mass2 += d2;
      ops++;
      if (high) {
        s3 += d2 * d;
        s4 += d2 * d2;
        mass3 += Math.abs(d2 * d);
        mass4 += d2 * d2;
      }
    }
    run.push(t, v);
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }

    let m2c = s2 - (s1 * s1) / cnt;
    let rebuild: boolean;
    if (order === 1) rebuild = ops * mass1 > REBUILD_RATIO * absWindow;
    else if (cnt < 2) rebuild = false;
    else {
      const limit = REBUILD_RATIO / ops;
      rebuild = mass2 > limit * m2c;
      if (high && !rebuild) {
        const B = m2c / cnt;
        rebuild = mass3 > limit * cnt * B * Math.sqrt(B) || mass4 > limit * cnt * B * B;
      }
    }
    if (rebuild) {
      rebuildSums(x, windowStart(t, rows, lo), t, st);
      k = st[K]!;
      cnt = st[CNT]!;
      s1 = st[S1]!;
      s2 = st[S2]!;
      s3 = st[S3]!;
      s4 = st[S4]!;
      mass1 = st[MASS1]!;
      mass2 = s2;
      mass3 = st[MASS3]!;
      mass4 = s4;
      absWindow = st[ABS]!;
      ops = cnt;
      m2c = s2 - (s1 * s1) / cnt;
    }

    switch (stat) {
      case 'skew': {
        if (cnt < 3) out[t] = NaN;
        else if (run.identicalSince(windowStart(t, rows, lo))) out[t] = 0;
        else {
          const mu = s1 / cnt;
          const B = m2c / cnt;
          const C = (s3 - 3 * mu * s2 + 2 * cnt * mu * mu * mu) / cnt;
          out[t] = B <= 1e-14 ? NaN : (Math.sqrt(cnt * (cnt - 1)) * C) / ((cnt - 2) * B * Math.sqrt(B));
        }
        break;
      }
      case 'kurt': {
        if (cnt < 4) out[t] = NaN;
        else if (run.identicalSince(windowStart(t, rows, lo))) out[t] = -3;
        else {
          const mu = s1 / cnt;
          const mu2 = mu * mu;
          const B = m2c / cnt;
          const D = (s4 - 4 * mu * s3 + 6 * mu2 * s2 - 3 * cnt * mu2 * mu2) / cnt;
          out[t] =
            B <= 1e-14
              ? NaN
              : (((cnt * cnt - 1) * D) / (B * B) - 3 * (cnt - 1) * (cnt - 1)) / ((cnt - 2) * (cnt - 3));
        }
        break;
      }
    }
  }
}

/**
 * rollingMoments for Sum and Mean: the same arithmetic on the sums these
 * read (k, cnt, s1, and ops / mass1 / absWindow for the rebuild rule),
 * without the higher power sums, so results are identical and the loop is
 * shorter.
 */
function rollingFirstOrder(x: Series, rows: number, mean: boolean, alloc: Alloc, seg: number): Series {
  const n = x.length;
  const out = alloc(n);
  for (let lo = 0; lo < n; lo += seg) firstOrderRange(x, lo, lo + seg, rows, mean, out);
  return out;
}

/** rollingFirstOrder over rows [lo, hi) as a series of its own. */
function firstOrderRange(x: Series, lo: number, hi: number, rows: number, mean: boolean, out: Series): void {
  // IdenticalRun's state, kept in locals (the method calls cost more than the sums here).
  let lastDifferent = -1;
  let lastRow = -1;
  let lastValue = NaN;
  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let ops = 0;
  let mass1 = 0;
  let absWindow = 0;
  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const u = x[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = mass1 = absWindow = ops = 0;
        } else {
          const d = u - k;
          s1 -= d;
          absWindow -= Math.abs(u);
          mass1 += Math.abs(d);
          ops++;
        }
      }
    }
    const v = x[t]!;
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      s1 += d;
      absWindow += Math.abs(v);
      mass1 += Math.abs(d);
      ops++;
    }
    if (mean && v === v) {
      if (lastRow >= 0 && v !== lastValue) lastDifferent = lastRow;
      lastValue = v;
      lastRow = t;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    if (ops * mass1 > REBUILD_RATIO * absWindow) {
      // As rebuildSums: the mean of the window's values as the new shift.
      const start = windowStart(t, rows, lo);
      let total = 0;
      let c = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j]!;
        if (w === w) {
          total += w;
          c++;
        }
      }
      k = c > 0 ? total / c : 0;
      s1 = mass1 = absWindow = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j]!;
        if (w !== w) continue;
        const d = w - k;
        s1 += d;
        mass1 += Math.abs(d);
        absWindow += Math.abs(w);
      }
      cnt = c;
      ops = cnt;
    }
    out[t] = !mean ? cnt * k + s1 : lastDifferent < windowStart(t, rows, lo) ? lastValue : k + s1 / cnt;
  }
}

/**
 * rollingMoments for Var and Std: the same arithmetic on k, cnt, s1, s2 and
 * the rebuild rule's ops / mass2, without the third and fourth powers.
 */
function rollingSecondOrder<T extends Series>(x: Series, rows: number, std: boolean, out: T, seg: number): T {
  const n = x.length;
  for (let lo = 0; lo < n; lo += seg) secondOrderRange(x, lo, lo + seg, rows, std, out);
  return out;
}

/** rollingSecondOrder over rows [lo, hi) as a series of its own. */
function secondOrderRange(x: Series, lo: number, hi: number, rows: number, std: boolean, out: Series): void {
  // IdenticalRun's state, kept in locals (as in rollingFirstOrder).
  let lastDifferent = -1;
  let lastRow = -1;
  let lastValue = NaN;
  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let ops = 0;
  let mass2 = 0;
  for (let t = lo; t < hi; t++) {
    if (t - lo >= rows) {
      const u = x[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = s2 = mass2 = ops = 0;
        } else {
          const d = u - k;
          const d2 = d * d;
          s1 -= d;
          s2 -= d2;
          mass2 += d2;
          ops++;
        }
      }
    }
    const v = x[t]!;
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      mass2 += d2;
      ops++;
    }
    if (v === v) {
      if (lastRow >= 0 && v !== lastValue) lastDifferent = lastRow;
      lastValue = v;
      lastRow = t;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    let m2c = s2 - (s1 * s1) / cnt;
    if (cnt >= 2 && mass2 > (REBUILD_RATIO / ops) * m2c) {
      const start = windowStart(t, rows, lo);
      let total = 0;
      let c = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j]!;
        if (w === w) {
          total += w;
          c++;
        }
      }
      k = c > 0 ? total / c : 0;
      s1 = s2 = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j]!;
        if (w !== w) continue;
        const d = w - k;
        s1 += d;
        s2 += d * d;
      }
      cnt = c;
      mass2 = s2;
      ops = cnt;
      m2c = s2 - (s1 * s1) / cnt;
    }
    const variance = cnt < 2 ? NaN : lastDifferent < windowStart(t, rows, lo) ? 0 : Math.max(m2c, 0) / (cnt - 1);
    out[t] = std ? Math.sqrt(variance) : variance;
  }
}

/** Rolling Std as rollingMoments(x, N, 'std', _, seg) computes it, into out[0..x.length) (a caller's scratch). */
export function rollingStdInto(x: Series, N: number, out: Float32Array, seg = x.length): Float32Array {
  checkSegments(x.length, seg);
  return rollingSecondOrder(x, rowsOf(N, seg), true, out, seg);
}
