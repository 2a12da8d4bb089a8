import type { ReportSection, ReportSectionData } from '../contracts/report.js';
import type { ExperimentStore, RecorderInfo } from '../contracts/store.js';
import type { Kernel } from '../kernel/kernel.js';
import { dailyIc } from '../online/metrics.js';
import { assignRecorders } from '../online/signals.js';
import { recorderTest } from '../online/task-info.js';
import { riskAnalysis, type RiskReport } from './risk.js';
import { esc, lineChart, timeline, type TimelineBar } from './svg.js';

export interface ReportData {
  manager: string;
  generatedFor: { stateVersion: number; lastRoutine: string | null };
  dates: string[];
  coverage: number[];
  ic: number[];
  rankIc: number[];
  longShort: number[];
  topMinusAll: number[];
  risk: { longShort: RiskReport; topMinusAll: RiskReport };
  meanIc: number;
  meanRankIc: number;
  timeline: { strategy: string; recorder: string; model: string; testStart: string; testEnd: string | null; served: [string, string][] }[];
  /** What plugins add (`reportSection` components, e.g. the backtest's account curve and excess returns). */
  sections: ReportSectionData[];
}

/** Every registered `reportSection` component, built in `kernel`'s scope. */
export async function reportSections(kernel: Kernel): Promise<ReportSection[]> {
  const out: ReportSection[] = [];
  for (const name of kernel.registry.names('reportSection')) out.push(await kernel.resolve('reportSection', { class: name }));
  return out;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** Gathers what the report shows, from the store alone. */
export async function buildReportData(store: ExperimentStore, manager: string, topFraction = 0.2, sources: readonly ReportSection[] = []): Promise<ReportData> {
  const state = await store.getManager(manager);
  const history = await store.listHistory(manager);
  const strategies = [...new Set(history.map((h) => h.strategy))];
  const sig = await store.readSignals(manager);
  const ids = [...new Set(history.flatMap((h) => h.recorderIds))];
  const recs = await store.listRecorders({ ids });
  const labels = new Map<string, number>();
  for (const r of recs) {
    const l = await store.readScores(r.id, 'label');
    for (let i = 0; i < l.scores.length; i++) labels.set(l.dates[i] + '|' + l.instruments[i], l.scores[i]!);
  }
  const dates = [...new Set(sig.dates)];
  const coverage: number[] = [];
  const ic: number[] = [];
  const rankIc: number[] = [];
  const longShort: number[] = [];
  const topMinusAll: number[] = [];
  let i = 0;
  while (i < sig.dates.length) {
    let j = i;
    while (j < sig.dates.length && sig.dates[j] === sig.dates[i]) j++;
    const s: number[] = [];
    const y: number[] = [];
    for (let k = i; k < j; k++) {
      const l = labels.get(sig.dates[k] + '|' + sig.instruments[k]);
      if (l !== undefined && Number.isFinite(l)) {
        s.push(sig.scores[k]!);
        y.push(l);
      }
    }
    coverage.push(j - i);
    const d = dailyIc(new Array(s.length).fill(sig.dates[i]), s, y);
    ic.push(d.series[0]?.ic ?? NaN);
    rankIc.push(d.series[0]?.rankIc ?? NaN);
    if (s.length >= 5) {
      const order = s.map((_, k) => k).sort((a, b) => s[b]! - s[a]!);
      const m = Math.max(1, Math.floor(s.length * topFraction));
      const mean = (ks: number[]): number => ks.reduce((a, k) => a + y[k]!, 0) / ks.length;
      const top = mean(order.slice(0, m));
      const bottom = mean(order.slice(-m));
      longShort.push(top - bottom);
      topMinusAll.push(top - mean(order));
    } else {
      longShort.push(NaN);
      topMinusAll.push(NaN);
    }
    i = j;
  }
  // Which recorder served each date (the signal definition), as runs of dates.
  const inputs = strategies.map((st) => ({
    strategy: st,
    history: history.filter((h) => h.strategy === st),
    recorders: new Map(recs.filter((r) => r.experiment === st).map((r) => [r.id, r] as [string, RecorderInfo])),
    groupKey: (r: RecorderInfo) => String(r.params.model_class ?? 'model'),
  }));
  const assignment = assignRecorders(inputs, dates);
  const served = new Map<string, [string, string][]>();
  for (const byDate of assignment.values()) {
    let prev: string | null = null;
    for (const d of dates) {
      const id = byDate.get(d);
      if (!id) {
        prev = null;
        continue;
      }
      const runs = served.get(id) ?? [];
      if (prev === id) runs[runs.length - 1]![1] = d;
      else runs.push([d, d]);
      served.set(id, runs);
      prev = id;
    }
  }
  const tl = recs
    .filter((r) => served.has(r.id) || history.some((h) => h.recorderIds.includes(r.id)))
    .map((r) => {
      const t = recorderTest(r);
      return { strategy: r.experiment, recorder: r.id, model: String(r.params.model_class), testStart: t.start, testEnd: t.end, served: served.get(r.id) ?? [] };
    })
    .sort((a, b) => (a.strategy + a.testStart < b.strategy + b.testStart ? -1 : 1));
  const finite = (a: number[]): number[] => a.filter(Number.isFinite);
  const avg = (a: number[]): number => (a.length ? a.reduce((p, c) => p + c, 0) / a.length : NaN);
  return {
    manager,
    generatedFor: { stateVersion: state?.stateVersion ?? 0, lastRoutine: state?.lastRoutine ?? null },
    dates,
    coverage,
    ic,
    rankIc,
    longShort,
    topMinusAll,
    risk: { longShort: riskAnalysis(longShort), topMinusAll: riskAnalysis(topMinusAll) },
    meanIc: avg(finite(ic)),
    meanRankIc: avg(finite(rankIc)),
    timeline: tl,
    sections: (await Promise.all(sources.map((src) => src.read(store, manager)))).flat(),
  };
}

function renderSection(sec: ReportSectionData, k: number): string {
  const fmt = (x: number | string | null, how: 'pct' | 'number' = 'number'): string =>
    typeof x === 'string' ? esc(x) : x === null || !Number.isFinite(x) ? '–' : how === 'pct' ? (x * 100).toFixed(2) + '%' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(4);
  const cards = sec.cards.map((c) => `<div class="card">${esc(c.label)}<b>${fmt(c.value, c.format)}</b></div>`).join('\n');
  const charts = sec.charts
    .map((c) => lineChart(c.title, c.dates, c.series.map((x, i) => ({ name: x.name, values: x.values.map((v) => v ?? NaN), color: PALETTE[(i + k) % PALETTE.length]! })), { zeroLine: c.zeroLine }))
    .join('\n');
  const tables = sec.tables
    .map((t) => `${t.title ? `<div class="meta">${esc(t.title)}</div>` : ''}<table><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${t.rows.map((r) => `<tr>${r.map((v) => `<td>${fmt(v, t.format)}</td>`).join('')}</tr>`).join('')}</table>`)
    .join('\n');
  return `<section id="section-${esc(sec.id)}"><h2>${esc(sec.title)}</h2>\n<div class="cards">${cards}</div>\n${charts}\n${tables}</section>`;
}

function rolling(values: number[], w: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const win = values.slice(Math.max(0, i - w + 1), i + 1).filter(Number.isFinite);
    out.push(win.length ? win.reduce((a, b) => a + b, 0) / win.length : NaN);
  }
  return out;
}

function cumsum(values: number[]): number[] {
  let c = 0;
  return values.map((v) => (Number.isFinite(v) ? (c += v) : c));
}

/** A self-contained HTML page (inline SVG, no scripts, no network). */
export function renderReportHtml(d: ReportData, options: { refreshSeconds?: number } = {}): string {
  const f = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
  const pct = (x: number): string => (Number.isFinite(x) ? (x * 100).toFixed(2) + '%' : '–');
  const rows = d.timeline.map((t) => `${t.strategy} ${t.testStart}`);
  const idx = new Map(d.dates.map((x, k) => [x, k]));
  const bars: TimelineBar[] = [];
  d.timeline.forEach((t, k) => {
    const row = rows[k]!;
    const ts = d.dates.findIndex((x) => x >= t.testStart);
    const teRaw = t.testEnd === null ? d.dates.length - 1 : d.dates.length - 1 - [...d.dates].reverse().findIndex((x) => x <= t.testEnd!);
    if (ts >= 0 && teRaw >= ts) bars.push({ row, start: ts, end: teRaw, color: '#d1d5db', label: `${t.model} ${t.recorder.slice(0, 12)} test ${t.testStart}..${t.testEnd ?? 'open'}` });
    for (const [a, b] of t.served) bars.push({ row, start: idx.get(a)!, end: idx.get(b)!, color: PALETTE[k % PALETTE.length]!, label: `${t.recorder.slice(0, 12)} served ${a}..${b}` });
  });
  const risk = (name: string, r: RiskReport): string =>
    `<tr><td>${esc(name)}</td><td>${pct(r.mean)}</td><td>${pct(r.std)}</td><td>${pct(r.annualized_return)}</td><td>${f(r.information_ratio, 2)}</td><td>${pct(r.max_drawdown)}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qonline report: ${esc(d.manager)}</title>
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111;max-width:980px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 4px} .meta{color:#555;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:18px}
.chart{margin:10px 0 18px;background:#fff} .chart .title{font-weight:600;font-size:13px}
.chart .axis{font-size:10px;fill:#555} .chart .legend{font-size:11px;fill:#333}
.chart .grid{stroke:#eee} .chart .zero{stroke:#999;stroke-dasharray:3 3}
table{border-collapse:collapse;margin:8px 0 18px} td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:right} td:first-child,th:first-child{text-align:left}
</style></head><body>
<h1>Manager ${esc(d.manager)}</h1>
<div class="meta">state version ${d.generatedFor.stateVersion} · last routine ${esc(d.generatedFor.lastRoutine ?? 'none')} · ${d.dates.length} signal dates ${esc(d.dates[0] ?? '')}..${esc(d.dates[d.dates.length - 1] ?? '')}</div>
<div class="cards">
<div class="card" id="card-ic">mean daily IC<b>${f(d.meanIc)}</b></div>
<div class="card" id="card-rankic">mean rank IC<b>${f(d.meanRankIc)}</b></div>
<div class="card">long-short IR<b>${f(d.risk.longShort.information_ratio, 2)}</b></div>
<div class="card">models served<b>${d.timeline.filter((t) => t.served.length).length}</b></div>
</div>
${lineChart('Cumulative return of the signal (label returns, sum mode)', d.dates, [
  { name: 'top 20% − bottom 20%', values: cumsum(d.longShort), color: PALETTE[0]! },
  { name: 'top 20% − all', values: cumsum(d.topMinusAll), color: PALETTE[2]! },
], { zeroLine: true })}
<table><tr><th>portfolio</th><th>mean</th><th>std</th><th>annualised</th><th>IR</th><th>max drawdown</th></tr>
${risk('top 20% − bottom 20%', d.risk.longShort)}${risk('top 20% − all', d.risk.topMinusAll)}</table>
${lineChart('Daily IC of the signal (20-day mean)', d.dates, [
  { name: 'IC, 20-day mean', values: rolling(d.ic, 20), color: PALETTE[0]! },
  { name: 'rank IC, 20-day mean', values: rolling(d.rankIc, 20), color: PALETTE[1]! },
], { zeroLine: true })}
${lineChart('Signal coverage (instruments with a signal per date)', d.dates, [{ name: 'instruments', values: d.coverage, color: PALETTE[3]! }], { kind: 'bar', zeroLine: true })}
${timeline('Online-model timeline (grey: test segment; colour: dates the model served the signal)', d.dates, rows, bars)}
${(d.sections ?? []).map(renderSection).join('\n')}
</body></html>
`;
}
