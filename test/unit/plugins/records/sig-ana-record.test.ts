import { describe, expect, it } from 'vitest';
import { Kernel, NullProgress, SilentLogger, SystemClock, type ScoreRows, type TaskRecord } from '../../../../plugins/index.js';
import { builtinPluginEntries } from '../../../../plugins/builtins.js';
import { signalAnalysis } from '../../../../plugins/records/index.js';
import { rng } from '../../../helpers/rng.js';

function rows(data: [string, string, number][]): ScoreRows {
  return { dates: data.map((r) => r[0]), instruments: data.map((r) => r[1]), scores: Float64Array.from(data, (r) => r[2]) };
}

// ---- An independent, deliberately plain implementation of Qlib's formulas (qlib/contrib/eva/alpha.py, record_temp.py). ----
function mean(a: number[]): number {
  const f = a.filter((x) => !Number.isNaN(x));
  return f.length ? f.reduce((s, x) => s + x, 0) / f.length : NaN;
}
function sampleStd(a: number[]): number {
  const f = a.filter((x) => !Number.isNaN(x));
  if (f.length < 2) return NaN;
  const m = mean(f);
  return Math.sqrt(f.reduce((s, x) => s + (x - m) * (x - m), 0) / (f.length - 1));
}
function corr(x: number[], y: number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let num = 0;
  let dx2 = 0;
  let dy2 = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    dx2 += (x[i]! - mx) ** 2;
    dy2 += (y[i]! - my) ** 2;
  }
  return dx2 === 0 || dy2 === 0 ? NaN : num / Math.sqrt(dx2 * dy2);
}
/** Average rank by counting (1-based): below + (equal + 1) / 2. */
function countRanks(x: number[]): number[] {
  return x.map((v) => x.filter((w) => w < v).length + (x.filter((w) => w === v).length + 1) / 2);
}
function reference(pred: [string, string, number][], label: Map<string, number>, annScaler: number) {
  const dates = [...new Set(pred.map((r) => r[0]))].sort();
  const ic: number[] = [];
  const ric: number[] = [];
  const ls: number[] = [];
  const avg: number[] = [];
  for (const d of dates) {
    const day = pred.filter((r) => r[0] === d).map((r) => ({ p: r[2], l: label.get(d + '|' + r[1]) ?? NaN }));
    const pairs = day.filter((r) => !Number.isNaN(r.l));
    ic.push(pairs.length >= 2 ? corr(pairs.map((r) => r.p), pairs.map((r) => r.l)) : NaN);
    ric.push(pairs.length >= 2 ? corr(countRanks(pairs.map((r) => r.p)), countRanks(pairs.map((r) => r.l))) : NaN);
    const n = Math.floor(day.length * 0.2);
    // nlargest / nsmallest keep the first of equal predictions: order by prediction, then by position.
    const withPos = day.map((r, i) => ({ ...r, i }));
    const top = [...withPos].sort((a, b) => b.p - a.p || a.i - b.i).slice(0, n);
    const bottom = [...withPos].sort((a, b) => a.p - b.p || a.i - b.i).slice(0, n);
    ls.push((mean(top.map((r) => r.l)) - mean(bottom.map((r) => r.l))) / 2);
    avg.push(mean(day.map((r) => r.l)));
  }
  return {
    IC: mean(ic),
    ICIR: mean(ic) / sampleStd(ic),
    'Rank IC': mean(ric),
    'Rank ICIR': mean(ric) / sampleStd(ric),
    'Long-Short Ann Return': mean(ls) * annScaler,
    'Long-Short Ann Sharpe': (mean(ls) / sampleStd(ls)) * Math.sqrt(annScaler),
    'Long-Avg Ann Return': mean(avg) * annScaler,
    'Long-Avg Ann Sharpe': (mean(avg) / sampleStd(avg)) * Math.sqrt(annScaler),
  };
}

describe('SigAnaRecord metrics (Qlib names and formulas)', () => {
  it('hand-computed IC / ICIR / Rank IC on three days', () => {
    // Day 1: perfectly aligned (IC 1); day 2: reversed (IC -1); day 3: IC 0.8 (sxy 4, sxx = syy = 5).
    const p = rows([
      ['2020-01-02', 'A', 1], ['2020-01-02', 'B', 2], ['2020-01-02', 'C', 3],
      ['2020-01-03', 'A', 1], ['2020-01-03', 'B', 2], ['2020-01-03', 'C', 3],
      ['2020-01-06', 'A', 1], ['2020-01-06', 'B', 2], ['2020-01-06', 'C', 3], ['2020-01-06', 'D', 4],
    ]);
    const l = rows([
      ['2020-01-02', 'A', 1], ['2020-01-02', 'B', 2], ['2020-01-02', 'C', 3],
      ['2020-01-03', 'A', 3], ['2020-01-03', 'B', 2], ['2020-01-03', 'C', 1],
      ['2020-01-06', 'A', 1], ['2020-01-06', 'B', 3], ['2020-01-06', 'C', 2], ['2020-01-06', 'D', 4],
    ]);
    const a = signalAnalysis(p, l, { longShort: false, annScaler: 252 });
    const m = 0.8 / 3;
    const sd = Math.sqrt(((1 - m) ** 2 + (-1 - m) ** 2 + (0.8 - m) ** 2) / 2);
    expect(a.metrics['IC']).toBeCloseTo(m, 12);
    expect(a.metrics['ICIR']).toBeCloseTo(m / sd, 12);
    expect(a.metrics['Rank IC']).toBeCloseTo(m, 12);
    expect(a.metrics['Rank ICIR']).toBeCloseTo(m / sd, 12);
    expect(Object.keys(a.metrics).sort()).toEqual(['IC', 'ICIR', 'Rank IC', 'Rank ICIR']);
    expect(a.series['ic']!.values.map((v) => Number(v.toFixed(12)))).toEqual([1, -1, 0.8]);
  });

  it('hand-computed long-short return: top and bottom 20% of ten instruments', () => {
    const inst = 'ABCDEFGHIJ'.split('');
    const preds = [0.9, 0.1, 0.5, 0.8, 0.3, 0.2, 0.7, 0.6, 0.4, 0.05];
    const labels = [0.04, -0.02, 0.01, 0.02, 0.0, -0.01, 0.03, 0.01, 0.0, -0.03];
    const p = rows(inst.map((s, i) => ['2020-01-02', s, preds[i]!]));
    const l = rows(inst.map((s, i) => ['2020-01-02', s, labels[i]!]));
    const a = signalAnalysis(p, l, { longShort: true, annScaler: 252 });
    // Top 2 by prediction: A (0.04), D (0.02); bottom 2: J (-0.03), B (-0.02).
    const r = ((0.04 + 0.02) / 2 - (-0.03 - 0.02) / 2) / 2;
    expect(a.series['long_short_r']!.values[0]).toBeCloseTo(r, 15);
    expect(a.series['long_avg_r']!.values[0]).toBeCloseTo(labels.reduce((s, x) => s + x, 0) / 10, 15);
    expect(a.metrics['Long-Short Ann Return']).toBeCloseTo(r * 252, 12);
    // One day: no standard deviation, so no Sharpe (as pandas gives NaN).
    expect(a.metrics['Long-Short Ann Sharpe']).toBeUndefined();
  });

  it('matches a plain re-implementation on random data with missing labels, ties, constant and one-row days', () => {
    const r = rng(42);
    const pred: [string, string, number][] = [];
    const label = new Map<string, number>();
    for (let d = 1; d <= 40; d++) {
      const day = `2020-${String(1 + Math.floor(d / 28)).padStart(2, '0')}-${String(1 + (d % 28)).padStart(2, '0')}`;
      const n = d === 7 ? 1 : 5 + Math.floor(r() * 20);
      for (let i = 0; i < n; i++) {
        const inst = `I${String(i).padStart(3, '0')}`;
        // Coarse predictions make ties; day 13 has a constant prediction.
        pred.push([day, inst, d === 13 ? 0.5 : Math.round(r() * 8) / 8]);
        if (r() > 0.15) label.set(day + '|' + inst, d === 21 ? 0.01 : r() - 0.5 + 0.1 * (pred[pred.length - 1]![2] - 0.5));
      }
    }
    const p = rows(pred);
    const l = rows([...label.entries()].map(([k, v]) => [k.split('|')[0]!, k.split('|')[1]!, v] as [string, string, number]));
    const got = signalAnalysis(p, l, { longShort: true, annScaler: 250 });
    const want = reference(pred, label, 250);
    expect(Object.keys(got.metrics).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expect(got.metrics[k], k).toBeCloseTo(v, 10);
  });

  it('SigAnaRecord is a registered record component; SignalRecord returns the scores', async () => {
    const kernel = new Kernel({ plugins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), home: '/nonexistent' });
    const p = rows([['2020-01-02', 'A', 1], ['2020-01-02', 'B', 2], ['2020-01-02', 'C', 3]]);
    const l = rows([['2020-01-02', 'A', 3], ['2020-01-02', 'B', 1], ['2020-01-02', 'C', 2]]);
    const input = { recorder: {} as never, task: {} as never, pred: p, label: l };
    const ana = await kernel.resolve('record', { class: 'SigAnaRecord', module_path: 'qlib.workflow.record_temp', kwargs: { ana_long_short: false, ann_scaler: 252 } });
    const out = await ana.generate(input);
    expect(out.metrics?.['IC']).toBeCloseTo(-0.5, 12);
    expect(out.artifacts?.['sig_analysis/ic']).toEqual({ dates: ['2020-01-02'], values: [expect.closeTo(-0.5, 12)] });
    const sig = await kernel.resolve('record', { class: 'SignalRecord', kwargs: { model: '<MODEL>', dataset: '<DATASET>' } });
    expect((await sig.generate(input)).scores).toEqual({ pred: p, label: l });
    await expect(kernel.resolve('record', { class: 'SigAnaRecord', kwargs: { ann_scaler: -1 } })).rejects.toThrow(/SigAnaRecord: must be > 0/);
  });
});
