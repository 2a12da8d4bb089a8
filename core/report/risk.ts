/**
 * Qlib's risk_analysis: annualised with 238 periods a year for daily returns
 * (Qlib's A-share convention), 50 weekly, 12 monthly. `sum` cumulates
 * arithmetically, `product` geometrically. Std uses ddof 1 as pandas.
 */
export interface RiskReport {
  mean: number;
  std: number;
  annualized_return: number;
  information_ratio: number;
  max_drawdown: number;
}

export const PERIODS_PER_YEAR = { day: 238, week: 50, month: 12 } as const;

export function riskAnalysis(returns: ArrayLike<number>, options: { freq?: keyof typeof PERIODS_PER_YEAR; mode?: 'sum' | 'product' } = {}): RiskReport {
  const n0 = PERIODS_PER_YEAR[options.freq ?? 'day'];
  const r: number[] = [];
  for (let i = 0; i < returns.length; i++) if (Number.isFinite(returns[i]!)) r.push(returns[i]!);
  const mode = options.mode ?? 'sum';
  if (!r.length) return { mean: NaN, std: NaN, annualized_return: NaN, information_ratio: NaN, max_drawdown: NaN };
  let mean: number;
  let std: number;
  let annualized: number;
  let mdd = 0;
  if (mode === 'sum') {
    mean = r.reduce((a, b) => a + b, 0) / r.length;
    std = r.length > 1 ? Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1)) : NaN;
    annualized = mean * n0;
    let cum = 0;
    let peak = 0;
    for (const x of r) {
      cum += x;
      peak = Math.max(peak, cum);
      mdd = Math.min(mdd, cum - peak);
    }
  } else {
    let cum = 1;
    let peak = 1;
    for (const x of r) {
      cum *= 1 + x;
      peak = Math.max(peak, cum);
      mdd = Math.min(mdd, cum / peak - 1);
    }
    mean = cum ** (1 / r.length) - 1;
    const logs = r.map((x) => Math.log1p(x));
    const lm = logs.reduce((a, b) => a + b, 0) / logs.length;
    std = logs.length > 1 ? Math.sqrt(logs.reduce((a, b) => a + (b - lm) ** 2, 0) / (logs.length - 1)) : NaN;
    annualized = (1 + mean) ** n0 - 1;
  }
  const ir = (mean / std) * Math.sqrt(n0);
  return { mean, std, annualized_return: annualized, information_ratio: ir, max_drawdown: mdd };
}
