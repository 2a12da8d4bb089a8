/**
 * Daily information coefficients between predictions and labels, rows grouped
 * by date (date-major input). Pearson IC and Spearman rank IC, averaged.
 */
export function dailyIc(
  dates: ArrayLike<string> | string[],
  pred: ArrayLike<number>,
  label: ArrayLike<number>,
  /** rank: false skips the rank IC (NaN), for callers that read only the IC. */
  options: { rank?: boolean } = {},
): { ic: number; rankIc: number; icir: number; days: number; series: { date: string; ic: number; rankIc: number }[] } {
  const series: { date: string; ic: number; rankIc: number }[] = [];
  let i = 0;
  const n = pred.length;
  while (i < n) {
    let j = i;
    while (j < n && dates[j] === dates[i]) j++;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = i; k < j; k++) {
      const x = pred[k]!;
      const y = label[k]!;
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
    if (xs.length >= 2) {
      const ic = pearson(xs, ys);
      const rankIc = options.rank === false ? NaN : pearson(ranks(xs), ranks(ys));
      if (Number.isFinite(ic) || Number.isFinite(rankIc)) series.push({ date: dates[i] as string, ic, rankIc });
    }
    i = j;
  }
  const ics = series.map((s) => s.ic).filter(Number.isFinite);
  const rics = series.map((s) => s.rankIc).filter(Number.isFinite);
  const mean = (a: number[]): number => (a.length ? a.reduce((p, c) => p + c, 0) / a.length : NaN);
  const m = mean(ics);
  const sd = ics.length > 1 ? Math.sqrt(ics.reduce((p, c) => p + (c - m) ** 2, 0) / (ics.length - 1)) : NaN;
  return { ic: m, rankIc: mean(rics), icir: m / sd, days: series.length, series };
}

export function pearson(x: number[], y: number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Average ranks (ties share the mean rank), 1-based. */
export function ranks(x: number[]): number[] {
  const n = x.length;
  // Finite values (what IC callers pass): a native numeric sort of a copy and two binary searches per value
  // (a comparator sort of indices costs ~10x more, in a process whose code is still cold).
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) return ranksByComparator(x);
    sorted[i] = v;
  }
  sorted.sort();
  const r = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    // Positions [first, end) hold the values equal to v (-0 equals 0, as in the comparator).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (sorted[m]! < v) lo = m + 1;
      else hi = m;
    }
    const first = lo;
    hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (sorted[m]! <= v) lo = m + 1;
      else hi = m;
    }
    r[i] = (first + lo - 1) / 2 + 1;
  }
  return r;
}

/** `ranks` for any values (NaN and infinities keep the comparator sort's behaviour). */
function ranksByComparator(x: number[]): number[] {
  const idx = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Array<number>(x.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}
