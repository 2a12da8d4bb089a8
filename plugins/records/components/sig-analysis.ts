import { pearson, ranks, type ScoreRows } from '../../../core/index.js';

/** A daily series: one value per test date (NaN where it is undefined), stored as JSON with null for NaN. */
export interface DailySeries {
  dates: string[];
  values: number[];
}

export interface SignalAnalysis {
  metrics: Record<string, number>;
  series: Record<string, DailySeries>;
}

export interface SignalAnalysisOptions {
  longShort: boolean;
  /** Trading days per year (annualisation of the long-short returns). */
  annScaler: number;
  /** Share of each day's instruments bought (highest predictions) and sold (lowest). */
  quantile?: number;
}

/**
 * Qlib's SigAnaRecord over one test segment: daily Pearson IC and Spearman
 * rank IC of prediction against label (pairs where both are known; a day
 * with fewer than two pairs or a constant side has none), their means and
 * mean/std (sample std) as IC, ICIR, Rank IC, Rank ICIR; optionally the
 * long-short returns: each day the mean label of the top and bottom
 * `quantile` of instruments by prediction (floor of the day's row count),
 * half their difference, and the day's mean label.
 */
export function signalAnalysis(pred: ScoreRows, label: ScoreRows, o: SignalAnalysisOptions): SignalAnalysis {
  const labels = new Map<string, number>();
  for (let i = 0; i < label.scores.length; i++) labels.set(label.dates[i] + '|' + label.instruments[i], label.scores[i]!);
  const byDate = new Map<string, { p: number[]; l: number[] }>();
  for (let i = 0; i < pred.scores.length; i++) {
    const d = pred.dates[i]!;
    let g = byDate.get(d);
    if (!g) byDate.set(d, (g = { p: [], l: [] }));
    g.p.push(pred.scores[i]!);
    g.l.push(labels.get(d + '|' + pred.instruments[i]) ?? NaN);
  }
  const dates = [...byDate.keys()].sort();
  const ic: number[] = [];
  const ric: number[] = [];
  const longShort: number[] = [];
  const longAvg: number[] = [];
  const quantile = o.quantile ?? 0.2;
  for (const d of dates) {
    const { p, l } = byDate.get(d)!;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < p.length; k++) {
      if (Number.isFinite(p[k]) && Number.isFinite(l[k])) {
        xs.push(p[k]!);
        ys.push(l[k]!);
      }
    }
    ic.push(xs.length >= 2 ? pearson(xs, ys) : NaN);
    ric.push(xs.length >= 2 ? pearson(ranks(xs), ranks(ys)) : NaN);
    if (o.longShort) {
      const n = Math.floor(p.length * quantile);
      // Rows with a prediction, in row order; stable sorts keep the first of equal predictions.
      const idx = p.map((_, k) => k).filter((k) => Number.isFinite(p[k]));
      const top = [...idx].sort((a, b) => p[b]! - p[a]!).slice(0, n);
      const bottom = [...idx].sort((a, b) => p[a]! - p[b]!).slice(0, n);
      longShort.push((nanMean(top.map((k) => l[k]!)) - nanMean(bottom.map((k) => l[k]!))) / 2);
      longAvg.push(nanMean(l));
    }
  }
  const metrics: Record<string, number> = {};
  const put = (name: string, v: number): void => {
    if (Number.isFinite(v)) metrics[name] = v;
  };
  put('IC', nanMean(ic));
  put('ICIR', nanMean(ic) / nanStd(ic));
  put('Rank IC', nanMean(ric));
  put('Rank ICIR', nanMean(ric) / nanStd(ric));
  const series: Record<string, DailySeries> = { ic: { dates, values: ic }, ric: { dates, values: ric } };
  if (o.longShort) {
    put('Long-Short Ann Return', nanMean(longShort) * o.annScaler);
    put('Long-Short Ann Sharpe', (nanMean(longShort) / nanStd(longShort)) * Math.sqrt(o.annScaler));
    put('Long-Avg Ann Return', nanMean(longAvg) * o.annScaler);
    put('Long-Avg Ann Sharpe', (nanMean(longAvg) / nanStd(longAvg)) * Math.sqrt(o.annScaler));
    series['long_short_r'] = { dates, values: longShort };
    series['long_avg_r'] = { dates, values: longAvg };
  }
  return { metrics, series };
}

/** Mean of the finite values (NaN when there are none), as pandas' mean skips NaN. */
export function nanMean(a: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const v of a) {
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n ? s / n : NaN;
}

/** Sample standard deviation (ddof 1) of the finite values. */
export function nanStd(a: readonly number[]): number {
  const f = a.filter((v) => Number.isFinite(v));
  if (f.length < 2) return NaN;
  const m = f.reduce((x, y) => x + y, 0) / f.length;
  return Math.sqrt(f.reduce((x, y) => x + (y - m) ** 2, 0) / (f.length - 1));
}
