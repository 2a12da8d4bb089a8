import type { Calendar } from '../calendar/calendar.js';
import type { DataProvider } from './data.js';
import type { Logger } from './logger.js';
import type { OnlineStrategy } from './online.js';
import type { ExperimentStore, HistoryEntry, ManagerState, RecorderInfo, ScoreRows } from './store.js';

/** What a step did (printed by `qonline run`, in `--json` too). */
export interface StepReport {
  step: string;
  curTime: string | null;
  /** Why the step did nothing (e.g. the routine date is not after the last routine). */
  skipped?: string;
  /** What the step did, in words, for `qonline run`'s text summary (instead of the training counts). */
  detail?: string;
  trained: number;
  /** Strategy -> recorder ids online after the step. */
  online: Record<string, string[]>;
  signalDates: number;
  predictionsUpdated: number;
  /** Seconds spent in each part of the step (a routine: train, update, commit), for metrics. */
  timings?: Record<string, number>;
}

/**
 * The online manager as steps see it (Qlib's OnlineManager; its state is in
 * the store, so every method is idempotent against what is stored).
 */
export interface StepManager {
  readonly name: string;
  /** The config's strategies. */
  readonly strategies: OnlineStrategy[];
  /** The stored state (begin time, last routine, which strategies were first-trained). */
  state(): Promise<ManagerState>;
  /** First training of the given strategies (default all) not trained yet; online from the begin time, or from `from`. */
  firstTrain(only?: OnlineStrategy[], from?: string | null): Promise<StepReport>;
  /** One routine at `curTime` (default: the latest calendar date). */
  routine(curTime?: string | null): Promise<StepReport>;
  /** First training then a routine per trading day up to `endTime`. */
  simulate(endTime?: string | null): Promise<StepReport>;
  /** Recomputes the signals of every date from `from` (null: all); returns the dates written. */
  prepareSignals(from: string | null): Promise<number>;
  /** Extends the given recorders' predictions to `toDate`; rows written and the first new date. */
  updateOnlinePredictions(online: RecorderInfo[], toDate: string | null): Promise<{ rows: number; from: string | null }>;
  getSignals(range?: { start?: string; end?: string | null }): Promise<ScoreRows>;
  history(strategy?: string): Promise<HistoryEntry[]>;
}

/**
 * What a step runs against: the opened pipeline of one config (its manager
 * with the config's strategies, trainer and ensemble, the store, the data).
 */
export interface StepPipeline {
  readonly manager: StepManager;
  readonly store: ExperimentStore;
  /** The config's strategies, in config order (the same objects as `manager.strategies`). */
  readonly strategies: readonly OnlineStrategy[];
  readonly calendar: Calendar;
  readonly provider: DataProvider;
  /** The home folder (data, store, cache, reports). */
  readonly home: string;
  /** Absolute path of the config file. */
  readonly configFile: string;
  readonly logger: Logger;
}

/** Per-invocation arguments that do not come from the step's options. */
export interface StepRunOptions {
  /** `qonline run --step NAME --at DATE`: overrides the step's own date option, if it has one. */
  readonly at?: string | null;
}

/**
 * A pipeline step: a component of kind `step`. YAML `steps:` entries and
 * `qonline run --step NAME` resolve it through the registry; the kernel
 * validates its options (at `validate` time too) and `create` returns this.
 * A step is idempotent against the stored state where it can be.
 */
export interface PipelineStep {
  run(pipeline: StepPipeline, options: StepRunOptions): Promise<StepReport>;
}
