/**
 * Straightforward O(n * w) reference implementations of every operator,
 * written from the semantics in docs/expressions.md (two-pass statistics,
 * sorting, direct weighted sums). Results are float64; callers round.
 */

type Series = ArrayLike<number>;

/** Rows of the window ending at t (N = 0: expanding). */
function windowRows(t: number, N: number): number[] {
  const start = N === 0 ? 0 : Math.max(0, t - N + 1);
  const rows: number[] = [];
  for (let j = start; j <= t; j++) rows.push(j);
  return rows;
}

function valuesIn(x: Series, t: number, N: number): number[] {
  return windowRows(t, N)
    .map((j) => x[j]!)
    .filter((v) => !Number.isNaN(v));
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

function centralMoment(v: number[], p: number): number {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** p, 0) / v.length;
}

function allEqual(v: number[]): boolean {
  return v.every((a) => a === v[0]);
}

function perRow(x: Series, f: (t: number) => number): number[] {
  return Array.from({ length: x.length }, (_, t) => f(t));
}

export const naive = {
  ref(x: Series, N: number): number[] {
    return perRow(x, (t) => (t - N >= 0 && t - N < x.length ? x[t - N]! : NaN));
  },
  delta(x: Series, N: number): number[] {
    if (N === 0) {
      const first = Array.from(x).find((v) => !Number.isNaN(v)) ?? NaN;
      return perRow(x, (t) => Math.fround(x[t]! - first));
    }
    return perRow(x, (t) => (t - N >= 0 && t - N < x.length ? Math.fround(x[t]! - x[t - N]!) : NaN));
  },
  mean(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      return v.length ? mean(v) : NaN;
    });
  },
  sum(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      return v.length ? v.reduce((a, b) => a + b, 0) : NaN;
    });
  },
  var(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      if (v.length < 2) return NaN;
      const m = mean(v);
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
    });
  },
  std(x: Series, N: number): number[] {
    return naive.var(x, N).map(Math.sqrt);
  },
  skew(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      const n = v.length;
      if (n < 3) return NaN;
      if (allEqual(v)) return 0;
      const m2 = centralMoment(v, 2);
      if (m2 <= 1e-14) return NaN;
      const g1 = centralMoment(v, 3) / m2 ** 1.5;
      return (g1 * Math.sqrt(n * (n - 1))) / (n - 2);
    });
  },
  kurt(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      const n = v.length;
      if (n < 4) return NaN;
      if (allEqual(v)) return -3;
      const m2 = centralMoment(v, 2);
      if (m2 <= 1e-14) return NaN;
      const g2 = centralMoment(v, 4) / (m2 * m2) - 3;
      return (((n + 1) * g2 + 6) * (n - 1)) / ((n - 2) * (n - 3));
    });
  },
  max(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      return v.length ? Math.max(...v) : NaN;
    });
  },
  min(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      return v.length ? Math.min(...v) : NaN;
    });
  },
  idxmax(x: Series, N: number): number[] {
    return naiveIdx(x, N, (a, b) => a > b);
  },
  idxmin(x: Series, N: number): number[] {
    return naiveIdx(x, N, (a, b) => a < b);
  },
  quantile(x: Series, N: number, q: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N).sort((a, b) => a - b);
      if (!v.length) return NaN;
      const pos = q * (v.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
    });
  },
  med(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N).sort((a, b) => a - b);
      if (!v.length) return NaN;
      const h = v.length >> 1;
      return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
    });
  },
  mad(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const v = valuesIn(x, t, N);
      if (!v.length) return NaN;
      const m = mean(v);
      return v.reduce((a, b) => a + Math.abs(b - m), 0) / v.length;
    });
  },
  rank(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      if (Number.isNaN(x[t]!)) return NaN;
      const v = valuesIn(x, t, N);
      const below = v.filter((a) => a < x[t]!).length;
      const equal = v.filter((a) => a === x[t]!).length;
      return (below + (equal + 1) / 2) / v.length;
    });
  },
  count(x: Series, N: number): number[] {
    return perRow(x, (t) => valuesIn(x, t, N).length);
  },
  slope(x: Series, N: number): number[] {
    return perRow(x, (t) => ols(x, t, N).slope);
  },
  rsquare(x: Series, N: number): number[] {
    const variance = naive.var(x, N);
    return perRow(x, (t) => (Math.sqrt(variance[t]!) <= 2e-5 ? NaN : ols(x, t, N).r2));
  },
  resi(x: Series, N: number): number[] {
    return perRow(x, (t) => ols(x, t, N).resid);
  },
  wma(x: Series, N: number): number[] {
    return perRow(x, (t) => {
      const rows = windowRows(t, N);
      const L = rows.length;
      const total = (L * (L + 1)) / 2;
      let s = 0;
      let c = 0;
      rows.forEach((j, k) => {
        if (!Number.isNaN(x[j]!)) {
          s += ((k + 1) / total) * x[j]!;
          c++;
        }
      });
      return c ? s / c : NaN;
    });
  },
  /**
   * Closed form of the adjusted EMA: decay counted in rows, NaN rows
   * weightless; a NaN row shows the value of the last non-NaN row.
   */
  ema(x: Series, alpha: number): number[] {
    return perRow(x, (row) => {
      let t = row;
      while (t > 0 && Number.isNaN(x[t]!)) t--;
      let num = 0;
      let den = 0;
      for (let j = 0; j <= t; j++) {
        if (Number.isNaN(x[j]!)) continue;
        const w = (1 - alpha) ** (t - j);
        num += w * x[j]!;
        den += w;
      }
      return den ? num / den : NaN;
    });
  },
  cov(a: Series, b: Series, N: number): number[] {
    return perRow(a, (t) => {
      const p = pairs(a, b, t, N);
      if (p.length < 2) return NaN;
      const ma = mean(p.map((q) => q[0]));
      const mb = mean(p.map((q) => q[1]));
      return p.reduce((s, [u, v]) => s + (u - ma) * (v - mb), 0) / (p.length - 1);
    });
  },
  corr(a: Series, b: Series, N: number): number[] {
    const stdA = naive.std(a, N);
    const stdB = naive.std(b, N);
    return perRow(a, (t) => {
      if (stdA[t]! <= 2e-5 || stdB[t]! <= 2e-5) return NaN;
      const p = pairs(a, b, t, N);
      if (p.length < 2) return NaN;
      const ma = mean(p.map((q) => q[0]));
      const mb = mean(p.map((q) => q[1]));
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (const [u, v] of p) {
        sab += (u - ma) * (v - mb);
        saa += (u - ma) ** 2;
        sbb += (v - mb) ** 2;
      }
      return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
    });
  },
};

function naiveIdx(x: Series, N: number, better: (a: number, b: number) => boolean): number[] {
  return perRow(x, (t) => {
    const rows = windowRows(t, N);
    let best = -1;
    rows.forEach((j, k) => {
      if (Number.isNaN(x[j]!)) return;
      if (best < 0 || better(x[j]!, x[rows[best]!]!)) best = k;
    });
    return best < 0 ? NaN : best + 1;
  });
}

function pairs(a: Series, b: Series, t: number, N: number): [number, number][] {
  return windowRows(t, N)
    .filter((j) => !Number.isNaN(a[j]!) && !Number.isNaN(b[j]!))
    .map((j) => [a[j]!, b[j]!]);
}

/** OLS of the window's non-NaN values on positions 1..L, two-pass. */
function ols(x: Series, t: number, N: number): { slope: number; r2: number; resid: number } {
  const rows = windowRows(t, N);
  const pts = rows.map((j, k) => [k + 1, x[j]!] as const).filter(([, v]) => !Number.isNaN(v));
  if (pts.length < 2) return { slope: NaN, r2: NaN, resid: NaN };
  const mx = mean(pts.map((p) => p[0]));
  const my = mean(pts.map((p) => p[1]));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [px, py] of pts) {
    sxy += (px - mx) * (py - my);
    sxx += (px - mx) ** 2;
    syy += (py - my) ** 2;
  }
  const slope = sxy / sxx;
  const last = x[t]!;
  const resid = Number.isNaN(last) ? NaN : last - (my + slope * (rows.length - mx));
  return { slope, r2: (sxy * sxy) / (sxx * syy), resid };
}
