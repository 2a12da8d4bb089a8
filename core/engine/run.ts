import type { StepConfig } from '../config/pipeline-schema.js';
import { normalizeStep } from '../config/steps.js';
import type { PipelineStep, StepPipeline } from '../contracts/step.js';
import type { ScoreRows } from '../contracts/store.js';
import { dailyIc } from '../online/metrics.js';
import type { StepReport } from '../online/online-manager.js';
import { OnlineTool } from '../online/online-tool.js';
import type { ComponentSpec } from '../schema/builder.js';
import type { Pipeline } from './pipeline.js';

export interface StepInvocation {
  /** A registered step's name (default options) or its component spec. */
  step: string | ComponentSpec;
  /** `--at DATE`: overrides the step's date option. */
  at?: string | null;
  /** Where the step is written in the config (for error positions). */
  pointer?: string;
}

/** The steps a config lists (default: first_train then routine). */
export function configuredSteps(steps: StepConfig[] | undefined): StepInvocation[] {
  if (!steps || !steps.length) return [{ step: 'first_train' }, { step: 'routine' }];
  return steps.map((s, i) => ({ step: normalizeStep(s).spec, pointer: `/steps/${i}` }));
}

/** Resolves the step through the registry (options validated by the kernel) and runs it against the opened pipeline. */
export async function runStep(p: Pipeline, inv: StepInvocation): Promise<StepReport> {
  const spec = typeof inv.step === 'string' ? { class: inv.step } : inv.step;
  const step = await p.kernel.resolve('step', spec, inv.pointer ?? '');
  return step.run(stepPipeline(p), { at: inv.at ?? null });
}

/** The view of an opened pipeline that steps get. */
export function stepPipeline(p: Pipeline): StepPipeline {
  return {
    manager: p.manager,
    store: p.store,
    strategies: p.strategies,
    calendar: p.calendar,
    provider: p.provider,
    home: p.home,
    configFile: p.config.file,
    logger: p.kernel.logger.child('step'),
  };
}

export interface RunSummary {
  manager: string;
  home: string;
  steps: StepReport[];
  strategies: {
    name: string;
    recorders: number;
    online: { id: string; model: string; test: [string, string | null] }[];
    onlineIc: number | null;
  }[];
  signals: { dates: number; first: string | null; last: string | null; meanInstruments: number; coverage: number; ic: number | null; rankIc: number | null };
  lastRoutine: string | null;
  stateVersion: number;
}

/**
 * What `qonline run` prints at the end. Each recorder's labels are read once
 * (an online recorder's serve its own IC and the signals' IC), and for the
 * signals' IC only over the signals' dates: the labels it matches are those
 * at a signal's (date, instrument), so the figures are those of a full read.
 */
export async function summarize(p: Pipeline, steps: StepReport[]): Promise<RunSummary> {
  const strategies: RunSummary['strategies'] = [];
  const labelRows: ScoreRows[] = [];
  const sig = await p.manager.getSignals();
  const sigRange = dateRange(sig.dates);
  for (const s of p.strategies) {
    const recs = await p.store.listRecorders({ experiment: s.name });
    const online = await new OnlineTool(p.store, s.name).onlineModels();
    const fullLabels = new Map<string, ScoreRows>();
    for (const r of online) fullLabels.set(r.id, await p.store.readScores(r.id, 'label'));
    const ics: number[] = [];
    if (sigRange) {
      for (const r of recs) if (r.status === 'FINISHED') labelRows.push(fullLabels.get(r.id) ?? (await p.store.readScores(r.id, 'label', sigRange)));
    }
    for (const r of online) {
      const pred = await p.store.readScores(r.id, 'pred');
      const ic = icOf(pred, fullLabels.get(r.id)!);
      if (ic !== null) ics.push(ic.ic);
    }
    strategies.push({
      name: s.name,
      recorders: recs.length,
      online: online.map((r) => ({ id: r.id, model: String(r.params.model_class), test: [String(r.params.test_start), r.params.test_end ?? null] })),
      onlineIc: ics.length ? ics.reduce((a, b) => a + b, 0) / ics.length : null,
    });
  }
  const dates = [...new Set(sig.dates)];
  // Signal IC against the labels the online models recorded (a later recorder's label wins, as they are the same data).
  const lab = new Float64Array(sig.scores.length).fill(NaN);
  for (const l of labelRows) assignMatching(sig, l, lab);
  const ic = sig.scores.length ? dailyIc(sig.dates, sig.scores, lab) : null;
  const state = await p.store.getManager(p.manager.name);
  const meanInstruments = dates.length ? sig.scores.length / dates.length : 0;
  const calDates = dates.length ? p.calendar.range(dates[0]!, dates[dates.length - 1]!).length : 0;
  return {
    manager: p.manager.name,
    home: p.home,
    steps,
    strategies,
    signals: {
      dates: dates.length,
      first: dates[0] ?? null,
      last: dates[dates.length - 1] ?? null,
      meanInstruments: round(meanInstruments, 1),
      coverage: calDates ? round(dates.length / calDates, 4) : 0,
      ic: ic && Number.isFinite(ic.ic) ? round(ic.ic, 4) : null,
      rankIc: ic && Number.isFinite(ic.rankIc) ? round(ic.rankIc, 4) : null,
    },
    lastRoutine: state?.lastRoutine ?? null,
    stateVersion: state?.stateVersion ?? 0,
  };
}

/** First and last of `dates` (null when empty). */
function dateRange(dates: ArrayLike<string>): { start: string; end: string } | null {
  if (!dates.length) return null;
  let start = dates[0]!;
  let end = start;
  for (let i = 1; i < dates.length; i++) {
    const d = dates[i]!;
    if (d < start) start = d;
    else if (d > end) end = d;
  }
  return { start, end };
}

function icOf(pred: ScoreRows, label: ScoreRows): { ic: number } | null {
  const l = new Float64Array(pred.scores.length).fill(NaN);
  assignMatching(pred, label, l);
  const r = dailyIc(pred.dates, pred.scores, l, { rank: false });
  return Number.isFinite(r.ic) ? { ic: r.ic } : null;
}

/**
 * out[i] = the score of `from`'s row with `rows`' row i's (date, instrument),
 * where there is one. Both come from the store sorted by (date, instrument),
 * so one merge pass does it (string keys in a map cost ~5x more on a year of
 * rows); a map serves rows that are not sorted.
 */
function assignMatching(rows: ScoreRows, from: ScoreRows, out: Float64Array): void {
  if (isSorted(rows) && isSorted(from)) {
    let j = 0;
    for (let i = 0; i < rows.scores.length && j < from.scores.length; i++) {
      const d = rows.dates[i]!;
      const inst = rows.instruments[i]!;
      while (j < from.scores.length && (from.dates[j]! < d || (from.dates[j] === d && from.instruments[j]! < inst))) j++;
      if (j < from.scores.length && from.dates[j] === d && from.instruments[j] === inst) out[i] = from.scores[j]!;
    }
    return;
  }
  const m = new Map<string, number>();
  for (let i = 0; i < from.scores.length; i++) m.set(from.dates[i] + '|' + from.instruments[i], from.scores[i]!);
  for (let i = 0; i < rows.scores.length; i++) {
    const v = m.get(rows.dates[i] + '|' + rows.instruments[i]);
    if (v !== undefined) out[i] = v;
  }
}

/** Rows strictly increasing by (date, instrument). */
function isSorted(r: ScoreRows): boolean {
  for (let i = 1; i < r.dates.length; i++) {
    const d0 = r.dates[i - 1]!;
    const d1 = r.dates[i]!;
    if (d0 > d1 || (d0 === d1 && r.instruments[i - 1]! >= r.instruments[i]!)) return false;
  }
  return true;
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  lines.push(`manager ${s.manager} (home ${s.home})`);
  for (const st of s.steps) {
    lines.push(
      `  ${st.step}${st.curTime ? ' @ ' + st.curTime : ''}: ${st.skipped ? 'skipped, ' + st.skipped : st.detail ? st.detail : `${st.trained} model(s) trained, ${st.signalDates} signal date(s) written${st.predictionsUpdated ? `, ${st.predictionsUpdated} prediction row(s) added` : ''}`}`,
    );
  }
  for (const st of s.strategies) {
    lines.push(`strategy ${st.name}: ${st.recorders} recorder(s), ${st.online.length} online${st.onlineIc !== null ? `, mean daily IC of online predictions ${st.onlineIc.toFixed(4)}` : ''}`);
    for (const o of st.online) lines.push(`  online ${o.id.slice(0, 12)} ${o.model} test ${o.test[0]}..${o.test[1] ?? 'open'}`);
  }
  const g = s.signals;
  lines.push(
    g.dates
      ? `signals: ${g.dates} date(s) ${g.first}..${g.last}, ${g.meanInstruments} instruments/day, coverage ${(g.coverage * 100).toFixed(1)}% of trading days${g.ic !== null ? `, daily IC ${g.ic.toFixed(4)}, rank IC ${g.rankIc?.toFixed(4)}` : ''}`
      : 'signals: none yet',
  );
  lines.push(`last routine: ${s.lastRoutine ?? 'none'}; state version ${s.stateVersion}`);
  return lines.join('\n');
}
