import type { Calendar } from '../calendar/calendar.js';
import type { Logger, Progress } from '../contracts/logger.js';
import type { Ensemble, OnlineStrategy, Trainer } from '../contracts/online.js';
import type { StepReport } from '../contracts/step.js';
import type { ExperimentStore, HistoryEntry, ManagerState, RecorderInfo, ScoreRows } from '../contracts/store.js';
import { QonlineError, stateConflict } from '../errors/index.js';
import { monotonicMs } from '../kernel/clock.js';
import { OnlineTool } from './online-tool.js';
import { ScoreUpdater } from './pred-updater.js';
import type { Resolver } from './resolver.js';
import { assignRecorders, computeSignals, latestPerGroup, onlineSetAt } from './signals.js';
import { ONLINE_TAG } from './task-runner.js';
import { recorderTest, type RecorderParams } from './task-info.js';

export interface OnlineManagerOptions {
  name: string;
  beginTime: string | null;
  freq: string;
  strategies: OnlineStrategy[];
  trainer: Trainer;
  ensemble: Ensemble;
  store: ExperimentStore;
  resolver: Resolver;
  calendar: Calendar;
  logger: Logger;
  progress: Progress;
  configHash: string;
  /** Extend online predictions in routines (simulations never do). */
  updateOnlinePred?: boolean;
  /** Rows of history the prediction update feeds the model. */
  histRef?: number;
  /** Accept strategies whose templates changed under the same name. */
  allowStrategyChange?: boolean;
}

// What a step reports lives with the step contract (plugins build steps against it).
export type { StepReport } from '../contracts/step.js';

interface StrategyOutcome {
  strategy: OnlineStrategy;
  trained: RecorderInfo[];
  online: RecorderInfo[];
  /** The date this strategy's new online set serves from (default: the step's). */
  effective?: string;
}

/**
 * Qlib's OnlineManager with its state in the store instead of a pickle:
 * `first_train` today and `routine` tomorrow can run in different processes.
 * Every step is idempotent against the stored state.
 */
export class OnlineManager {
  private simulating = false;

  constructor(private readonly o: OnlineManagerOptions) {}

  get name(): string {
    return this.o.name;
  }
  get strategies(): OnlineStrategy[] {
    return this.o.strategies;
  }

  private postponeActions(): boolean {
    return this.simulating && this.o.trainer.delayed;
  }

  /** Loads the stored state (creating it on first use) and checks strategy templates. */
  async state(): Promise<ManagerState> {
    const { store, name } = this.o;
    let state = await store.getManager(name);
    if (!state) {
      state = {
        name,
        beginTime: this.o.beginTime ?? this.o.calendar.last,
        freq: this.o.freq,
        lastRoutine: null,
        stateVersion: 0,
        configHash: this.o.configHash,
        strategies: {},
      };
    }
    if (!this.o.allowStrategyChange) {
      for (const s of this.o.strategies) {
        const known = state.strategies[s.name];
        if (known && known.fingerprint !== s.fingerprint()) {
          throw new QonlineError(
            'QONLINE_STRATEGY_CHANGED',
            `strategy ${JSON.stringify(s.name)} of manager ${JSON.stringify(name)} has a different task template or generator than the one it was trained with`,
            { details: fingerprintDiff(known.fingerprint, s.fingerprint()), hint: 'give the changed strategy a new name, or pass --allow-strategy-change to accept it' },
          );
        }
      }
    }
    return state;
  }

  /**
   * Trains every strategy's first tasks and puts the result online (no-op for
   * strategies already trained). Their online sets take effect at the begin
   * time, or at `from` (signals recomputed from there only).
   */
  async firstTrain(only?: OnlineStrategy[], from: string | null = null): Promise<StepReport> {
    const state = await this.state();
    const todo = (only ?? this.o.strategies).filter((s) => !state.strategies[s.name]?.firstTrained);
    const report = this.emptyReport('first_train', state.beginTime);
    if (!todo.length) return { ...report, skipped: 'every strategy is already trained' };
    const curTime = from ?? state.beginTime ?? this.o.calendar.last;
    const outcomes: StrategyOutcome[] = [];
    for (const s of todo) {
      const tasks = await s.firstTasks();
      this.o.logger.info(`strategy ${s.name}: first training of ${tasks.length} task(s)`);
      const trained = await this.o.trainer.train(tasks, { experiment: s.name });
      const online = await s.prepareOnlineModels(trained, curTime);
      outcomes.push({ strategy: s, trained, online });
      report.trained += trained.length;
    }
    if (!this.postponeActions()) {
      for (const o of outcomes) o.online = await this.finishTrained(o);
    }
    const signalDates = await this.commit(state, outcomes, curTime, 'first_train', null, from);
    for (const o of outcomes) report.online[o.strategy.name] = o.online.map((r) => r.id);
    report.signalDates = signalDates;
    return report;
  }

  /** Strategies that were never trained are first-trained (Qlib's add_strategy). */
  async addStrategy(strategies: OnlineStrategy[]): Promise<StepReport> {
    for (const s of strategies) if (!this.o.strategies.includes(s)) this.o.strategies.push(s);
    return this.firstTrain(strategies);
  }

  /**
   * One routine at `curTime` (default: the latest calendar date): for each
   * strategy prepare tasks, train, choose the online set; then finish
   * training, update online predictions, and commit online sets, history and
   * the affected signals in one transaction.
   */
  async routine(curTime?: string | null): Promise<StepReport> {
    const cal = this.o.calendar;
    const cur = curTime ? cal.date(cal.alignEndIndex(curTime)) : cal.last;
    let state = await this.state();
    const untrained = this.o.strategies.filter((s) => !state.strategies[s.name]?.firstTrained);
    let firstTrainSeconds: number | null = null;
    if (untrained.length) {
      this.o.logger.info(`first-training new strateg${untrained.length > 1 ? 'ies' : 'y'} ${untrained.map((s) => s.name).join(', ')}`);
      const f0 = monotonicMs();
      await this.firstTrain(untrained);
      firstTrainSeconds = (monotonicMs() - f0) / 1000;
      state = await this.state();
    }
    const report = this.emptyReport('routine', cur);
    if (firstTrainSeconds !== null) report.timings = { first_train: firstTrainSeconds };
    if (state.lastRoutine && cur <= state.lastRoutine) {
      return { ...report, skipped: `the last routine ran at ${state.lastRoutine}` };
    }
    const t0 = monotonicMs();
    const outcomes: StrategyOutcome[] = [];
    for (const s of this.o.strategies) {
      const tasks = await s.prepareTasks(cur);
      const trained = tasks.length ? await this.o.trainer.train(tasks, { experiment: s.name }) : [];
      const online = await s.prepareOnlineModels(trained, cur);
      outcomes.push({ strategy: s, trained, online });
      report.trained += trained.length;
      if (tasks.length) this.o.logger.info(`strategy ${s.name}: trained ${trained.length} model(s) at ${cur}`);
    }
    // Each strategy switches on its own date (windows of different strategies start on different days).
    for (const o of outcomes) o.effective = this.catchUpEffectiveDate(state, [o], cur);
    const effective = outcomes.map((o) => o.effective!).reduce((a, b) => (b < a ? b : a), cur);
    const t1 = monotonicMs();
    let updatedFrom: string | null = null;
    if (!this.postponeActions()) {
      for (const o of outcomes) o.online = await this.finishTrained(o);
      if (!this.simulating && this.o.updateOnlinePred !== false) {
        // The outgoing models serve until the day before the new set does: a
        // catch-up brings them up to then, as on-time routines on the missed days would have.
        for (const o of outcomes) {
          const before = cal.indexOf(o.effective!) - 1;
          if (before < 0) continue;
          const next = new Set(o.online.map((r) => r.id));
          const outgoing = (await new OnlineTool(this.o.store, o.strategy.name).onlineModels()).filter((r) => !next.has(r.id));
          const prev = await this.updateOnlinePredictions(outgoing, cal.date(before));
          report.predictionsUpdated += prev.rows;
          if (prev.from && (!updatedFrom || prev.from < updatedFrom)) updatedFrom = prev.from;
        }
        const up = await this.updateOnlinePredictions(outcomes.flatMap((o) => o.online), cur);
        report.predictionsUpdated += up.rows;
        if (up.from && (!updatedFrom || up.from < updatedFrom)) updatedFrom = up.from;
      }
    }
    const signalFrom = updatedFrom && updatedFrom < effective ? updatedFrom : effective;
    const t2 = monotonicMs();
    // A simulated day that trained nothing and updated no prediction leaves every stored signal as it is, unless the online set changes (checked in the commit).
    const predictionsUnchanged = this.simulating && updatedFrom === null && outcomes.every((o) => !o.trained.length);
    report.signalDates = await this.commit(state, outcomes, effective, 'routine', cur, signalFrom, false, predictionsUnchanged);
    const t3 = monotonicMs();
    const ms = (a: number, b: number): string => (b - a).toFixed(0);
    this.o.logger.debug(`routine ${cur}: tasks and training ${ms(t0, t1)} ms, finishing and prediction updates ${ms(t1, t2)} ms, commit with ${report.signalDates} signal date(s) ${ms(t2, t3)} ms`);
    report.timings = { ...report.timings, train: (t1 - t0) / 1000, update: (t2 - t1) / 1000, commit: (t3 - t2) / 1000 };
    for (const o of outcomes) report.online[o.strategy.name] = o.online.map((r) => r.id);
    return report;
  }

  /**
   * Replays the process: first training at the begin time, then a routine for
   * every calendar date up to `endTime`, without online prediction updates.
   * With a delayed trainer (Qlib's semantics: its `train` only records the
   * tasks) all fitting, finishing and signal preparation happens once at the
   * end, still using only the models online at each date. What is
   * postponed is in the store (recorded recorders, `postponedSignals` in the
   * state), so a simulation killed anywhere is finished by the next run.
   */
  async simulate(endTime?: string | null): Promise<StepReport> {
    this.simulating = true;
    const report = this.emptyReport('simulate', endTime ?? this.o.calendar.last);
    try {
      const first = await this.firstTrain();
      report.trained += first.trained;
      const state = await this.state();
      const cal = this.o.calendar;
      const from = state.lastRoutine && state.lastRoutine >= (state.beginTime ?? '') ? cal.upperBound(state.lastRoutine) + 1 : cal.alignStartIndex(state.beginTime ?? cal.last);
      const to = endTime ? cal.alignEndIndex(endTime) : cal.length - 1;
      const task = this.o.progress.start('simulate', Math.max(0, to - from + 1));
      for (let i = from; i <= to; i++) {
        const r = await this.routine(cal.date(i));
        report.trained += r.trained;
        task.tick(1, cal.date(i));
      }
      task.done();
      const done = await this.finishPostponed();
      if (done !== null) report.signalDates = done;
      for (const s of this.o.strategies) report.online[s.name] = await this.onlineIds(s.name);
      if (report.signalDates === 0) report.signalDates = (await this.o.store.signalDates(this.o.name)).length;
      report.curTime = (await this.state()).lastRoutine;
      return report;
    } finally {
      this.simulating = false;
    }
  }

  /**
   * Recomputes and stores the signals of every date from `from` (null: all
   * dates). Work a delayed simulation postponed (recorded models not yet
   * trained, signals not yet prepared, e.g. after a kill) is finished first.
   */
  async prepareSignals(from: string | null): Promise<number> {
    const done = await this.finishPostponed();
    if (done !== null && from === null) return done;
    return this.writeSignals(from);
  }

  /**
   * Finishes what a delayed simulation postponed: end_train for every
   * recorded or fitted but unfinished recorder of the strategies, then the postponed signals.
   * Returns the signal dates written, or null when nothing was postponed.
   */
  async finishPostponed(): Promise<number | null> {
    const state = await this.state();
    let finished = 0;
    if (this.o.trainer.delayed) {
      for (const s of this.o.strategies) {
        // Recorded (a delayed trainer's train) or already fitted: end_train fits and finishes them, each recorder committed by itself.
        const fitted = (await this.o.store.listRecorders({ experiment: s.name, status: 'RUNNING' })).filter((r) => {
          const phase = (r.params as Partial<RecorderParams>).phase;
          return phase === 'recorded' || phase === 'fitted';
        });
        if (!fitted.length) continue;
        this.o.logger.info(`strategy ${s.name}: training and finishing ${fitted.length} recorded model(s)`);
        await this.o.trainer.endTrain(fitted, { experiment: s.name });
        finished += fitted.length;
      }
    }
    if (!finished && !state.postponedSignals) return null;
    return this.writeSignals(state.postponedSignals ? state.postponedSignals.from : null);
  }

  /** One transaction: the signals of every date from `from` (null: all), the state version bumped, nothing left postponed. */
  private async writeSignals(from: string | null): Promise<number> {
    const state = await this.state();
    const base = state.stateVersion;
    return this.o.store.transaction(async (tx) => {
      await checkStateVersion(tx, this.o.name, base);
      const { dates, rows } = await this.signalsFrom(tx, from);
      state.stateVersion = base + 1;
      state.postponedSignals = null;
      await tx.replaceSignals(this.o.name, dates, rows, state.stateVersion);
      await tx.putManager(state, base);
      return dates.length;
    });
  }

  async getSignals(range: { start?: string; end?: string | null } = {}): Promise<ScoreRows> {
    return this.o.store.readSignals(this.o.name, range);
  }

  async history(strategy?: string): Promise<HistoryEntry[]> {
    return this.o.store.listHistory(this.o.name, strategy);
  }

  /** Puts exactly `recorderIds` online for `strategy` from `effectiveDate`, recomputing signals from there. */
  async setOnline(strategyName: string, recorderIds: string[], effectiveDate: string | null, reason = 'set_online'): Promise<StepReport> {
    const s = this.strategy(strategyName);
    const state = await this.state();
    const recs = await this.o.store.listRecorders({ ids: recorderIds });
    const missing = recorderIds.filter((id) => !recs.some((r) => r.id === id));
    if (missing.length) throw new QonlineError('QONLINE_NOT_FOUND', `no recorder ${missing.join(', ')}`);
    const foreign = recs.filter((r) => r.experiment !== s.name);
    if (foreign.length) throw new QonlineError('QONLINE_USAGE', `recorder ${foreign[0]!.id} belongs to ${foreign[0]!.experiment}, not strategy ${s.name}`);
    const unfinished = recs.filter((r) => r.status !== 'FINISHED');
    if (unfinished.length) throw new QonlineError('QONLINE_USAGE', `recorder ${unfinished[0]!.id} is ${unfinished[0]!.status}, only FINISHED recorders can go online`);
    const at = effectiveDate ?? state.lastRoutine ?? state.beginTime ?? this.o.calendar.last;
    const report = this.emptyReport(reason, at);
    // Restored models may have stopped predicting when they went offline: bring them up to date.
    if (!this.simulating && this.o.updateOnlinePred !== false) {
      const up = await this.updateOnlinePredictions(recs, state.lastRoutine ?? at);
      report.predictionsUpdated = up.rows;
    }
    const uncovered = recs.filter((r) => {
      const t = recorderTest(r);
      return t.end !== null && t.end < at;
    });
    if (uncovered.length === recs.length) {
      this.o.logger.info(`no model put online for ${s.name} has a test segment covering ${at}: its model with the latest test segment serves the dates after its test end`);
    }
    report.signalDates = await this.commit(state, [{ strategy: s, trained: [], online: recs }], at, reason, null, at, true);
    report.online[s.name] = recs.map((r) => r.id);
    return report;
  }

  /** Restores the online set `strategy` had at `date`. */
  async rollback(strategyName: string, date: string, effectiveDate: string | null = null): Promise<StepReport> {
    this.strategy(strategyName);
    const hist = await this.history(strategyName);
    const entry = hist.some((h) => h.effectiveDate <= date) ? onlineSetAt(hist, date) : undefined;
    if (!entry) throw new QonlineError('QONLINE_NOT_FOUND', `strategy ${strategyName} had no online models at ${date}`);
    return this.setOnline(strategyName, entry.recorderIds, effectiveDate, `rollback to ${date}`);
  }

  /**
   * Extends the online models' predictions to `toDate`; returns rows written
   * and the first new date. Only the models that can serve after their test
   * end (per strategy and group, the latest test segment) are extended: the
   * others' predictions past their test end are never used.
   */
  async updateOnlinePredictions(online: RecorderInfo[], toDate: string | null): Promise<{ rows: number; from: string | null }> {
    const updater = new ScoreUpdater({ store: this.o.store, resolver: this.o.resolver, calendar: this.o.calendar, logger: this.o.logger }, 'pred');
    let rows = 0;
    let from: string | null = null;
    const byExperiment = new Map<string, RecorderInfo[]>();
    for (const r of online) byExperiment.set(r.experiment, [...(byExperiment.get(r.experiment) ?? []), r]);
    const serving = [...byExperiment].flatMap(([experiment, recs]) => {
      const s = this.o.strategies.find((x) => x.name === experiment);
      return s ? latestPerGroup(recs, (r) => s.groupKey(r)) : recs;
    });
    for (const rec of serving) {
      if ((await this.o.store.lastScoreDate(rec.id, 'pred')) === null) continue;
      const r = await updater.update(rec, toDate, { histRef: this.o.histRef ?? 0 });
      rows += r.rows;
      if (r.from && (!from || r.from < from)) from = r.from;
    }
    return { rows, from };
  }

  /**
   * The date from which a routine's new online set serves. Normally the
   * routine date; when routines were missed (the new models' test windows
   * start earlier), the earliest new test start, but never on or before the
   * previous routine, so past decisions stay as they were. The models are
   * exactly those a routine on time would have trained (same task, same
   * hash), so the catch-up reproduces the on-time signals.
   */
  private catchUpEffectiveDate(state: ManagerState, outcomes: StrategyOutcome[], cur: string): string {
    const starts = outcomes.flatMap((o) => o.trained.map((r) => recorderTest(r).start)).filter((d) => d < cur);
    if (!starts.length) return cur;
    const earliest = starts.sort()[0]!;
    const floor = state.lastRoutine ?? state.beginTime;
    if (!floor) return earliest;
    const cal = this.o.calendar;
    const after = cal.upperBound(floor) + 1;
    const floorNext = after < cal.length ? cal.date(after) : cur;
    return earliest > floorNext ? earliest : floorNext > cur ? cur : floorNext;
  }

  private strategy(name: string): OnlineStrategy {
    const s = this.o.strategies.find((x) => x.name === name);
    if (!s) throw new QonlineError('QONLINE_NOT_FOUND', `manager ${this.o.name} has no strategy ${JSON.stringify(name)} (known: ${this.o.strategies.map((x) => x.name).join(', ')})`);
    return s;
  }

  private async onlineIds(experiment: string): Promise<string[]> {
    return (await new OnlineTool(this.o.store, experiment).onlineModels()).map((r) => r.id);
  }

  private emptyReport(step: string, curTime: string | null): StepReport {
    return { step, curTime, trained: 0, online: {}, signalDates: 0, predictionsUpdated: 0 };
  }

  /** end_train for what was just trained; the online set then refers to finished recorders. */
  private async finishTrained(o: StrategyOutcome): Promise<RecorderInfo[]> {
    if (!o.trained.length) return o.online;
    const finished = await this.o.trainer.endTrain(o.trained, { experiment: o.strategy.name });
    const byId = new Map(finished.map((r) => [r.id, r]));
    return o.online.map((r) => byId.get(r.id) ?? r);
  }

  /**
   * One transaction: online tags, history entries, manager state and the
   * signals of every affected date (unless postponed). Returns signal dates written.
   */
  private async commit(
    state: ManagerState,
    outcomes: StrategyOutcome[],
    effectiveDate: string,
    reason: string,
    lastRoutine: string | null,
    signalFrom: string | null,
    forceHistory = false,
    /**
     * No recorder of the step has new predictions. When no online set changes
     * either, the signals from `signalFrom` would be computed from the same
     * predictions with the same models in force at every date: the stored
     * ones stay (a simulation's ~250 daily commits then write signals only
     * on the days a model switches).
     */
    predictionsUnchanged = false,
  ): Promise<number> {
    const postpone = this.postponeActions();
    // The version this step started from: the commit applies only on top of it (a driver may run `fn` again on a serialization retry).
    const base = state.stateVersion;
    const strategies = { ...state.strategies };
    const postponedBefore = state.postponedSignals;
    return this.o.store.transaction(async (tx) => {
      await checkStateVersion(tx, this.o.name, base);
      state.strategies = { ...strategies };
      const newEntries: HistoryEntry[] = [];
      let anyChanged = false;
      for (const o of outcomes) {
        const ids = o.online.map((r) => r.id);
        const current = (await tx.listRecorders({ experiment: o.strategy.name, tags: { [ONLINE_TAG]: 'online' } })).map((r) => r.id);
        const changed = !sameSet(ids, current);
        anyChanged ||= changed;
        if (changed) await new OnlineTool(tx, o.strategy.name).resetOnlineTag(ids, tx);
        // Qlib records every routine time; so do we (the version log rollback uses).
        if (changed || forceHistory || reason === 'routine' || reason === 'first_train') {
          newEntries.push(await tx.appendHistory({ manager: this.o.name, strategy: o.strategy.name, effectiveDate: o.effective ?? effectiveDate, recorderIds: ids, reason }));
        }
        if (reason === 'first_train') {
          state.strategies[o.strategy.name] = { experiment: o.strategy.name, fingerprint: o.strategy.fingerprint(), firstTrained: true };
        }
      }
      if (lastRoutine) state.lastRoutine = lastRoutine;
      state.configHash = this.o.configHash;
      state.stateVersion = base + 1;
      let written = 0;
      if (postpone) {
        // Durable: a killed simulation's successor prepares these signals (finishPostponed).
        const from = signalFrom;
        const prev = postponedBefore;
        state.postponedSignals = { from: prev === undefined || prev === null ? from : prev.from === null || from === null ? null : prev.from < from ? prev.from : from };
      } else if (!(predictionsUnchanged && !anyChanged && !postponedBefore)) {
        const { dates, rows } = await this.signalsFrom(tx, signalFrom);
        await tx.replaceSignals(this.o.name, dates, rows, state.stateVersion);
        written = dates.length;
      }
      await tx.putManager(state, base);
      return written;
    });
  }

  /** Signals for every prediction date >= `from` (all when null), from the stored history. */
  private async signalsFrom(store: ExperimentStore, from: string | null): Promise<{ dates: string[]; rows: ScoreRows }> {
    const inputs = [];
    const predictions = new Map<string, ScoreRows>();
    const dateSet = new Set<string>();
    for (const s of this.o.strategies) {
      const history = await store.listHistory(this.o.name, s.name);
      if (!history.length) continue;
      // Entries that can be in force on or after `from`.
      const active = from ? onlineSetAt(history, from) : undefined;
      const relevant = history.filter((h) => !from || h === active || h.effectiveDate >= from);
      const ids = [...new Set(relevant.flatMap((h) => h.recorderIds))];
      const recs = await store.listRecorders({ ids });
      const recorders = new Map(recs.map((r) => [r.id, r]));
      for (const id of ids) {
        if (predictions.has(id)) continue;
        const p = await store.readScores(id, 'pred', from ? { start: from } : {});
        predictions.set(id, p);
        for (const d of p.dates) dateSet.add(d);
      }
      inputs.push({ strategy: s.name, history, recorders, groupKey: (r: RecorderInfo) => s.groupKey(r) });
    }
    const dates = [...dateSet].sort();
    const assignment = assignRecorders(inputs, dates);
    const rows = computeSignals(assignment, predictions, this.o.ensemble);
    return { dates, rows };
  }
}

/** Fails early (before the signals are computed) when another process committed since this step read version `base`. */
async function checkStateVersion(tx: ExperimentStore, manager: string, base: number): Promise<void> {
  const now = (await tx.getManager(manager))?.stateVersion ?? 0;
  if (now !== base) throw stateConflict(manager, base, `version ${now}`);
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/** Human-readable lines naming what differs between two canonical JSON fingerprints. */
export function fingerprintDiff(before: string, after: string): string[] {
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(before);
    b = JSON.parse(after);
  } catch {
    return ['(fingerprints are not JSON)'];
  }
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (out.length >= 10) return;
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) === !Array.isArray(y)) {
      const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}/${k}`);
      return;
    }
    out.push(`${path || '/'}: was ${JSON.stringify(x)}, now ${JSON.stringify(y)}`);
  };
  walk(a, b, '');
  return out;
}
