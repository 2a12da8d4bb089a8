import { IdenticalRun, REBUILD_RATIO, rowsOf, windowStart } from './window.js';

export type MomentStat = 'sum' | 'mean' | 'var' | 'std' | 'skew' | 'kurt';

const ORDER: Record<MomentStat, number> = { sum: 1, mean: 1, var: 2, std: 2, skew: 3, kurt: 4 };

/**
 * Rolling Sum/Mean/Var/Std/Skew/Kurt over the non-NaN values of each window
 * (pandas' rolling(N, min_periods=1) semantics; N = 0 expanding), in O(n):
 * power sums of (x - K) in float64, rebuilt as described in window.ts.
 *
 * Var/Std use ddof 1. Skew/Kurt are pandas' bias-corrected estimators: NaN
 * below 3/4 values or when the population variance is <= 1e-14, and exactly
 * 0 / -3 when every value in the window is the same.
 */
export function rollingMoments(x: Float32Array, N: number, stat: MomentStat): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N, n);
  const order = ORDER[stat];
  const run = new IdenticalRun();

  let K = 0;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  // Magnitudes added and removed since the last rebuild (error scale of s1..s4).
  let mass1 = 0;
  let mass2 = 0;
  let mass3 = 0;
  let mass4 = 0;
  // Sum of |x| over the window: the scale a naive sum's error is measured against.
  let absWindow = 0;
  let sinceRebuild = 0;

  const rebuild = (t: number): void => {
    const start = windowStart(t, rows);
    let total = 0;
    let c = 0;
    for (let j = start; j <= t; j++) {
      const v = x[j]!;
      if (v === v) {
        total += v;
        c++;
      }
    }
    K = c > 0 ? total / c : 0;
    cnt = c;
    s1 = s2 = s3 = s4 = 0;
    mass1 = mass3 = 0;
    absWindow = 0;
    for (let j = start; j <= t; j++) {
      const v = x[j]!;
      if (v !== v) continue;
      const d = v - K;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      s3 += d2 * d;
      s4 += d2 * d2;
      mass1 += Math.abs(d);
      mass3 += Math.abs(d2 * d);
      absWindow += Math.abs(v);
    }
    mass2 = s2;
    mass4 = s4;
    sinceRebuild = 0;
  };

  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = x[t - rows]!;
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = s2 = s3 = s4 = mass1 = mass2 = mass3 = mass4 = absWindow = 0;
        } else {
          const d = u - K;
          const d2 = d * d;
          s1 -= d;
          s2 -= d2;
          absWindow -= Math.abs(u);
          mass1 += Math.abs(d);
          mass2 += d2;
          if (order >= 3) {
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
      if (cnt === 0) K = v;
      cnt++;
      const d = v - K;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      absWindow += Math.abs(v);
      mass1 += Math.abs(d);
      mass2 += d2;
      if (order >= 3) {
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
    sinceRebuild++;
    let m2c = s2 - (s1 * s1) / cnt;
    if (sinceRebuild >= rows) {
      rebuild(t);
      m2c = s2 - (s1 * s1) / cnt;
    } else if (order === 1 ? mass1 > REBUILD_RATIO * absWindow : cnt >= 2 && driftTooLarge(order, cnt, m2c, mass2, mass3, mass4)) {
      rebuild(t);
      m2c = s2 - (s1 * s1) / cnt;
    }

    const identical = run.identicalSince(windowStart(t, rows));
    switch (stat) {
      case 'sum':
        out[t] = cnt * K + s1;
        break;
      case 'mean':
        out[t] = identical ? run.value : K + s1 / cnt;
        break;
      case 'var':
      case 'std': {
        const variance = cnt < 2 ? NaN : identical ? 0 : Math.max(m2c, 0) / (cnt - 1);
        out[t] = stat === 'std' ? Math.sqrt(variance) : variance;
        break;
      }
      case 'skew': {
        if (cnt < 3) out[t] = NaN;
        else if (identical) out[t] = 0;
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
        else if (identical) out[t] = -3;
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
  return out;
}

/**
 * True when the rounding error carried in the power sums may exceed ~1e-10 of
 * the window's own central moments (see window.ts).
 */
function driftTooLarge(order: number, cnt: number, m2c: number, mass2: number, mass3: number, mass4: number): boolean {
  if (mass2 > REBUILD_RATIO * m2c) return true;
  if (order < 3) return false;
  const B = m2c / cnt;
  return mass3 > REBUILD_RATIO * cnt * B * Math.sqrt(B) || mass4 > REBUILD_RATIO * cnt * B * B;
}
