import { dailyIc, ONLINE_TAG, riskAnalysis, type ReportSectionData, type HistoryEntry, type OpenedManager, type RecorderInfo, type RiskReport } from '../../../core/index.js';

export const QUANTILE_GROUPS = 5;

export interface ModelRow {
  id: string;
  strategy: string;
  name: string;
  status: string;
  modelClass: string | null;
  /** The task's model kwargs (key params). */
  params: Record<string, unknown>;
  /** The task's dataset segments (train/valid/test). */
  segments: Record<string, unknown>;
  test: { start: string | null; end: string | null };
  metrics: Record<string, number>;
  online: boolean;
  created: string;
}

export interface TimelineRow {
  strategy: string;
  recorder: string;
  model: string;
  testStart: string;
  testEnd: string | null;
  served: [string, string][];
}

/** Everything the dashboard pages and the report show, for one state version. */
export interface DashboardData {
  manager: string;
  stateVersion: number;
  lastRoutine: string | null;
  dates: string[];
  coverage: number[];
  ic: (number | null)[];
  rankIc: (number | null)[];
  longShort: (number | null)[];
  topMinusAll: (number | null)[];
  /** Mean label return of each score quantile group (0 = highest scores) per date. */
  quantiles: (number | null)[][];
  risk: { longShort: RiskReport; topMinusAll: RiskReport };
  meanIc: number | null;
  meanRankIc: number | null;
  icir: number | null;
  timeline: TimelineRow[];
  models: ModelRow[];
  history: HistoryEntry[];
  /** What plugins add (`reportSection` components, e.g. the stored backtest). */
  sections: ReportSectionData[];
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** One recorder as a table row (key params and segments from its stored task). */
export async function modelRow(m: OpenedManager, r: RecorderInfo): Promise<ModelRow> {
  let task: Record<string, unknown> = {};
  try {
    task = asRecord(await m.store.getArtifact(r.id, 'task'));
  } catch {
    task = {};
  }
  const model = asRecord(task['model']);
  const dataset = asRecord(task['dataset']);
  return {
    id: r.id,
    strategy: r.experiment,
    name: r.name,
    status: r.status,
    modelClass: r.params.model_class ?? (typeof model['class'] === 'string' ? model['class'] : null),
    params: asRecord(model['kwargs']),
    segments: asRecord(asRecord(dataset['kwargs'])['segments']),
    test: { start: typeof r.params.test_start === 'string' ? r.params.test_start : null, end: r.params.test_end ?? null },
    metrics: r.metrics,
    online: r.tags[ONLINE_TAG] === 'online',
    created: r.createdAt,
  };
}

/** Gathers what the pages show, from the store alone. */
export async function buildDashboardData(m: OpenedManager, opts: { topFraction?: number; sections?: boolean } = {}): Promise<DashboardData> {
  const topFraction = opts.topFraction ?? 0.2;
  const { store, manager } = m;
  const state = await store.getManager(manager);
  const history = await store.listHistory(manager);
  const sig = await store.readSignals(manager);
  const experiments = [...new Set([...m.strategies, ...history.map((h) => h.strategy)])];
  const recs: RecorderInfo[] = [];
  for (const e of experiments) recs.push(...(await store.listRecorders({ experiment: e })));
  const served = new Set(history.flatMap((h) => h.recorderIds));
  const labels = new Map<string, number>();
  for (const r of recs) {
    if (!served.has(r.id)) continue;
    const l = await store.readScores(r.id, 'label');
    for (let i = 0; i < l.scores.length; i++) labels.set(l.dates[i] + '|' + l.instruments[i], l.scores[i]!);
  }
  const dates: string[] = [];
  const coverage: number[] = [];
  const ic: (number | null)[] = [];
  const rankIc: (number | null)[] = [];
  const longShort: (number | null)[] = [];
  const topMinusAll: (number | null)[] = [];
  const quantiles: (number | null)[][] = Array.from({ length: QUANTILE_GROUPS }, () => []);
  let i = 0;
  while (i < sig.dates.length) {
    let j = i;
    while (j < sig.dates.length && sig.dates[j] === sig.dates[i]) j++;
    const s: number[] = [];
    const y: number[] = [];
    for (let k = i; k < j; k++) {
      const l = labels.get(sig.dates[k] + '|' + sig.instruments[k]);
      if (l !== undefined && Number.isFinite(l) && Number.isFinite(sig.scores[k]!)) {
        s.push(sig.scores[k]!);
        y.push(l);
      }
    }
    dates.push(sig.dates[i]!);
    coverage.push(j - i);
    const d = dailyIc(new Array(s.length).fill(sig.dates[i]), s, y);
    ic.push(num(d.series[0]?.ic ?? NaN));
    rankIc.push(num(d.series[0]?.rankIc ?? NaN));
    const order = s.map((_, k) => k).sort((a, b) => s[b]! - s[a]!);
    const mean = (ks: number[]): number => ks.reduce((a, k) => a + y[k]!, 0) / ks.length;
    if (s.length >= 5) {
      const n = Math.max(1, Math.floor(s.length * topFraction));
      const top = mean(order.slice(0, n));
      longShort.push(num(top - mean(order.slice(-n))));
      topMinusAll.push(num(top - mean(order)));
    } else {
      longShort.push(null);
      topMinusAll.push(null);
    }
    for (let g = 0; g < QUANTILE_GROUPS; g++) {
      const part = order.slice(Math.floor((g * order.length) / QUANTILE_GROUPS), Math.floor(((g + 1) * order.length) / QUANTILE_GROUPS));
      quantiles[g]!.push(s.length >= QUANTILE_GROUPS && part.length ? num(mean(part)) : null);
    }
    i = j;
  }
  // Which recorder served each date, as runs of consecutive signal dates.
  const assignment = await m.servedBy(dates);
  const runs = new Map<string, [string, string][]>();
  for (const byDate of assignment.values()) {
    let prev: string | null = null;
    for (const d of dates) {
      const id = byDate.get(d);
      if (!id) {
        prev = null;
        continue;
      }
      const rr = runs.get(id) ?? [];
      if (prev === id) rr[rr.length - 1]![1] = d;
      else rr.push([d, d]);
      runs.set(id, rr);
      prev = id;
    }
  }
  const timeline = recs
    .filter((r) => runs.has(r.id) || served.has(r.id))
    .map((r) => ({ strategy: r.experiment, recorder: r.id, model: String(r.params.model_class ?? 'model'), testStart: String(r.params.test_start ?? ''), testEnd: r.params.test_end ?? null, served: runs.get(r.id) ?? [] }))
    .sort((a, b) => (a.strategy + a.testStart < b.strategy + b.testStart ? -1 : a.strategy + a.testStart > b.strategy + b.testStart ? 1 : 0));
  const finite = (a: (number | null)[]): number[] => a.filter((x): x is number => x !== null);
  const avg = (a: number[]): number | null => (a.length ? a.reduce((p, c) => p + c, 0) / a.length : null);
  const fic = finite(ic);
  const icMean = avg(fic);
  const icStd = fic.length > 1 && icMean !== null ? Math.sqrt(fic.reduce((a, x) => a + (x - icMean) ** 2, 0) / (fic.length - 1)) : null;
  const models: ModelRow[] = [];
  for (const r of recs) models.push(await modelRow(m, r));
  const nanToNull = (a: (number | null)[]): number[] => a.map((x) => (x === null ? NaN : x));
  return {
    manager,
    stateVersion: state?.stateVersion ?? 0,
    lastRoutine: state?.lastRoutine ?? null,
    dates,
    coverage,
    ic,
    rankIc,
    longShort,
    topMinusAll,
    quantiles,
    risk: { longShort: riskAnalysis(nanToNull(longShort)), topMinusAll: riskAnalysis(nanToNull(topMinusAll)) },
    meanIc: icMean,
    meanRankIc: avg(finite(rankIc)),
    icir: icMean !== null && icStd ? icMean / icStd : null,
    timeline,
    models,
    history,
    sections: opts.sections !== false && m.reportSections ? await m.reportSections() : [],
  };
}
