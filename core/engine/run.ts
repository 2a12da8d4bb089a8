import type { StepConfig } from '../config/pipeline-schema.js';
import { normalizeStep } from '../config/steps.js';
import type { PipelineStep, StepPipeline } from '../contracts/step.js';
import type { DailyIcFigures, DailyIcOwner, ExperimentStore, RecorderInfo, ScoreRows } from '../contracts/store.js';
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

/** The figures of a summary that come from scores and signals. */
interface Figures {
  strategies: RunSummary['strategies'];
  /** Signal date count, first and last, signal rows, mean daily IC and rank IC (NaN: none). */
  signals: { dates: number; first: string | null; last: string | null; rows: number; ic: number; rankIc: number };
}

/** What `qonline run` prints at the end. */
export async function summarize(p: Pipeline, steps: StepReport[]): Promise<RunSummary> {
  const f = p.store.readDailyIc && p.store.writeDailyIc ? await cachedFigures(p, p.store as IcCacheStore) : await fullFigures(p);
  const g = f.signals;
  const state = await p.store.getManager(p.manager.name);
  const calDates = g.dates ? p.calendar.range(g.first!, g.last!).length : 0;
  return {
    manager: p.manager.name,
    home: p.home,
    steps,
    strategies: f.strategies,
    signals: {
      dates: g.dates,
      first: g.first,
      last: g.last,
      meanInstruments: round(g.dates ? g.rows / g.dates : 0, 1),
      coverage: calDates ? round(g.dates / calDates, 4) : 0,
      ic: Number.isFinite(g.ic) ? round(g.ic, 4) : null,
      rankIc: Number.isFinite(g.rankIc) ? round(g.rankIc, 4) : null,
    },
    lastRoutine: state?.lastRoutine ?? null,
    stateVersion: state?.stateVersion ?? 0,
  };
}

type IcCacheStore = ExperimentStore & Required<Pick<ExperimentStore, 'readDailyIc' | 'writeDailyIc'>>;

/**
 * The figures from the store's per-date IC cache: only dates whose rows
 * changed since they were last computed are read (and their figures stored
 * back). Per-date values are those `dailyIc` computes over all rows, and
 * means sum them in date order as it does, so the figures are the same.
 */
async function cachedFigures(p: Pipeline, store: IcCacheStore): Promise<Figures> {
  const strategies: RunSummary['strategies'] = [];
  const finished: string[] = [];
  const computed: Computed[] = [];
  for (const s of p.strategies) {
    const recs = await store.listRecorders({ experiment: s.name });
    for (const r of recs) if (r.status === 'FINISHED') finished.push(r.id);
    // The online ones as onlineModels() lists them (the same order), taken from this listing: no second read.
    const tool = new OnlineTool(store, s.name);
    const online = recs.filter((r) => tool.getOnlineTag(r) === 'online');
    const ics: number[] = [];
    for (const r of online) {
      const days = await currentDailyIc(store, { kind: 'recorder', id: r.id }, '', (range) => recorderDays(store, r.id, range), computed);
      const ic = meanOf(days.map((d) => d.ic));
      if (Number.isFinite(ic)) ics.push(ic);
    }
    strategies.push(strategyFigures(s.name, recs.length, online, ics));
  }
  // The signals' figures depend on which experiments' labels they match.
  const basis = JSON.stringify(p.strategies.map((s) => s.name));
  const days = await currentDailyIc(store, { kind: 'signals', manager: p.manager.name }, basis, (range) => signalDays(store, p.manager.name, finished, range, basis), computed);
  // Stored back in one transaction. A cache: figures it could not store (say, the database busy) are computed again next time.
  if (computed.length) {
    await store
      .transaction(async (tx) => {
        for (const c of computed) await tx.writeDailyIc?.(c.owner, c.entries);
      })
      .catch((e: unknown) => p.kernel.logger.warn(`run summary: per-date IC not cached (${e instanceof Error ? e.message : String(e)})`));
  }
  let rows = 0;
  for (const d of days) rows += d.rows;
  return {
    strategies,
    signals: {
      dates: days.length,
      first: days[0]?.date ?? null,
      last: days[days.length - 1]?.date ?? null,
      rows,
      ic: meanOf(days.map((d) => d.ic)),
      rankIc: meanOf(days.map((d) => d.rankIc)),
    },
  };
}

/** Figures computed for stale dates, with the `changed` token read. */
interface Computed {
  owner: DailyIcOwner;
  entries: { date: string; changed: string; figures: DailyIcFigures }[];
}

/**
 * The owner's figures of every date with rows, in date order: cached ones
 * where current, the others computed from the rows of runs of consecutive
 * stale dates (one date-range read a run).
 */
async function currentDailyIc(
  store: IcCacheStore,
  owner: DailyIcOwner,
  basis: string,
  compute: (range: { start: string; end: string }) => Promise<Map<string, DailyIcFigures>>,
  /** Receives the figures computed here, to store back. */
  computed: Computed[],
): Promise<(DailyIcFigures & { date: string })[]> {
  const entries = await store.readDailyIc(owner);
  const figures = entries.map((e) => (e.figures && e.figures.basis === basis ? e.figures : null));
  const fresh: { date: string; changed: string; figures: DailyIcFigures }[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (figures[i]) continue;
    let j = i;
    while (j + 1 < entries.length && !figures[j + 1]) j++;
    const got = await compute({ start: entries[i]!.date, end: entries[j]!.date });
    for (let k = i; k <= j; k++) {
      const f = got.get(entries[k]!.date) ?? { basis, rows: 0, ic: null, rankIc: null };
      figures[k] = f;
      fresh.push({ date: entries[k]!.date, changed: entries[k]!.changed, figures: f });
    }
    i = j;
  }
  if (fresh.length) computed.push({ owner, entries: fresh });
  const out: (DailyIcFigures & { date: string })[] = [];
  for (let k = 0; k < entries.length; k++) if (figures[k]!.rows > 0) out.push({ ...figures[k]!, date: entries[k]!.date });
  return out;
}

/** A recorder's per-date IC (its predictions against its own labels) over `range`; rows count both kinds. */
async function recorderDays(store: ExperimentStore, id: string, range: { start: string; end: string }): Promise<Map<string, DailyIcFigures>> {
  // Both reads sent at once (one round trip to a server store instead of two).
  const [pred, label] = await Promise.all([store.readScores(id, 'pred', range), store.readScores(id, 'label', range)]);
  const l = new Float64Array(pred.scores.length).fill(NaN);
  assignMatching(pred, label, l);
  const out = perDate('', pred.dates, label.dates);
  for (const d of dailyIc(pred.dates, pred.scores, l, { rank: false }).series) out.get(d.date)!.ic = finiteOrNull(d.ic);
  return out;
}

/** The signals' per-date IC and rank IC over `range`, against the labels of `finished` recorders (a later one's label wins). */
async function signalDays(store: ExperimentStore, manager: string, finished: string[], range: { start: string; end: string }, basis: string): Promise<Map<string, DailyIcFigures>> {
  const sig = await store.readSignals(manager, range);
  const lab = new Float64Array(sig.scores.length).fill(NaN);
  for (const id of finished) assignMatching(sig, await store.readScores(id, 'label', range), lab);
  const out = perDate(basis, sig.dates);
  for (const d of dailyIc(sig.dates, sig.scores, lab).series) Object.assign(out.get(d.date)!, { ic: finiteOrNull(d.ic), rankIc: finiteOrNull(d.rankIc) });
  return out;
}

/** Figures without IC for every date of `dateLists`, counting rows. */
function perDate(basis: string, ...dateLists: string[][]): Map<string, DailyIcFigures> {
  const out = new Map<string, DailyIcFigures>();
  for (const dates of dateLists) {
    for (const d of dates) {
      const f = out.get(d);
      if (f) f.rows++;
      else out.set(d, { basis, rows: 1, ic: null, rankIc: null });
    }
  }
  return out;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** `dailyIc`'s mean: the non-null values summed in order (NaN when none). */
function meanOf(values: (number | null)[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    n++;
  }
  return n ? sum / n : NaN;
}

function strategyFigures(name: string, recorders: number, online: RecorderInfo[], ics: number[]): RunSummary['strategies'][number] {
  return {
    name,
    recorders,
    online: online.map((r) => ({ id: r.id, model: String(r.params.model_class), test: [String(r.params.test_start), r.params.test_end ?? null] })),
    onlineIc: ics.length ? ics.reduce((a, b) => a + b, 0) / ics.length : null,
  };
}

/**
 * The figures from every row, for a store without the IC cache. Each
 * recorder's labels are read once (an online recorder's serve its own IC and
 * the signals' IC), and for the signals' IC only over the signals' dates: the
 * labels it matches are those at a signal's (date, instrument).
 */
async function fullFigures(p: Pipeline): Promise<Figures> {
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
    strategies.push(strategyFigures(s.name, recs.length, online, ics));
  }
  const dates = [...new Set(sig.dates)];
  // Signal IC against the labels the online models recorded (a later recorder's label wins, as they are the same data).
  const lab = new Float64Array(sig.scores.length).fill(NaN);
  for (const l of labelRows) assignMatching(sig, l, lab);
  const ic = sig.scores.length ? dailyIc(sig.dates, sig.scores, lab) : null;
  return {
    strategies,
    signals: { dates: dates.length, first: dates[0] ?? null, last: dates[dates.length - 1] ?? null, rows: sig.scores.length, ic: ic?.ic ?? NaN, rankIc: ic?.rankIc ?? NaN },
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
