import type { Calendar } from '../calendar/calendar.js';
import type { OnlineManager, StepReport } from '../online/online-manager.js';
import type { DataProvider } from './data.js';
import type { Logger } from './logger.js';
import type { OnlineStrategy } from './online.js';
import type { ExperimentStore } from './store.js';

/**
 * What a step runs against: the opened pipeline of one config (its manager
 * with the config's strategies, trainer and ensemble, the store, the data).
 */
export interface StepPipeline {
  readonly manager: OnlineManager;
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
