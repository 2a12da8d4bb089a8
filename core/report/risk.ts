/**
 * Qlib's `risk_analysis` (qlib/contrib/evaluate.py), number for number.
 *
 * - `N` annualises; without it the frequency gives 238 a year for days (Qlib's
 *   A-share convention), 50 for weeks, 12 for months (`Nday`/`Nweek`... divide
 *   by the count, e.g. `2day` gives 119).
 * - `sum` (default): mean and std (ddof 1) of the returns, annualised return
 *   `mean * N`, max drawdown of the cumulated sum against its running peak.
 * - `product`: geometric mean `curve_last ^ (1/len) - 1`, std of log(1 + r),
 *   annualised `curve_last ^ (N/len) - 1`, max drawdown of the compounded curve
 *   against its running peak minus 1.
 * - The curve starts at the first return (no implicit 0 or 1 before it): a
 *   first-period loss is not a drawdown.
 * - Missing values (NaN) are skipped by the statistics as pandas does, but the
 *   `product` mode's length counts them (`len(r)` in Qlib), and when the last
 *   value is NaN the compounded curve's last point is NaN.
 */
export interface RiskReport {
  mean: number;
  std: number;
  annualized_return: number;
  information_ratio: number;
  max_drawdown: number;
}

export const PERIODS_PER_YEAR = { day: 238, week: 50, month: 12 } as const;

export interface RiskOptions {
  /** `day`, `week`, `month` or a count with a unit (`2day`, `1min`); ignored when `N` is given. */
  freq?: string;
  mode?: 'sum' | 'product';
  /** Annualisation scaler; overrides `freq`. */
  N?: number;
}

/** Qlib's scaler for a frequency: 238 a day, 240*238 a minute, 50 a week, 12 a month, divided by the count. */
export function riskScaler(freq: string): number {
  const m = /^(\d*)\s*(min|minute|d|day|w|week|m|mon|month)$/i.exec(freq.trim());
  if (!m) throw new Error(`risk_analysis: unsupported frequency ${JSON.stringify(freq)} (day, week, month, min, with an optional count)`);
  const count = m[1] ? Number(m[1]) : 1;
  const unit = m[2]!.toLowerCase();
  const base = unit === 'min' || unit === 'minute' ? 240 * 238 : unit === 'd' || unit === 'day' ? 238 : unit === 'w' || unit === 'week' ? 50 : 12;
  return base / count;
}

function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  if (!n) return { mean: NaN, std: NaN };
  let s = 0;
  for (const v of values) s += v;
  const mean = s / n;
  if (n < 2) return { mean, std: NaN };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

export function riskAnalysis(returns: ArrayLike<number>, options: RiskOptions = {}): RiskReport {
  const N = options.N ?? riskScaler(options.freq ?? 'day');
  const mode = options.mode ?? 'sum';
  const len = returns.length;
  const finite: number[] = [];
  for (let i = 0; i < len; i++) {
    const x = returns[i]!;
    if (!Number.isNaN(x)) finite.push(x);
  }
  let mean: number;
  let std: number;
  let annualized: number;
  let mdd = NaN;
  if (mode === 'sum') {
    ({ mean, std } = meanStd(finite));
    annualized = mean * N;
    let cum = 0;
    let peak = -Infinity;
    for (const x of finite) {
      cum += x;
      if (cum > peak) peak = cum;
      const dd = cum - peak;
      if (Number.isNaN(mdd) || dd < mdd) mdd = dd;
    }
  } else if (mode === 'product') {
    let cum = 1;
    let peak = -Infinity;
    for (const x of finite) {
      cum *= 1 + x;
      if (cum > peak) peak = cum;
      const dd = cum / peak - 1;
      if (Number.isNaN(mdd) || dd < mdd) mdd = dd;
    }
    // pandas cumprod keeps NaN where the input is NaN: the last point is NaN then.
    const last = len === 0 || Number.isNaN(returns[len - 1]!) ? NaN : cum;
    mean = last ** (1 / len) - 1;
    std = meanStd(finite.map((x) => Math.log(1 + x))).std;
    annualized = (1 + (last - 1)) ** (N / len) - 1;
  } else {
    throw new Error(`risk_analysis accumulation mode ${String(mode)} is not supported (sum or product)`);
  }
  const information_ratio = (mean / std) * Math.sqrt(N);
  return { mean, std, annualized_return: annualized, information_ratio, max_drawdown: mdd };
}
