import type { ComponentSpec } from '../schema/builder.js';

/** A segment: inclusive [start, end]; `end: null` = open-ended (until the latest data). */
export type Segment = [string, string | null];

/**
 * A task is plain data (Qlib's shape): a model, a dataset (handler + segments)
 * and records. It is hashed, stored, diffed and re-run.
 */
export interface TaskDef {
  model: ComponentSpec;
  dataset: DatasetSpec;
  record?: ComponentSpec | ComponentSpec[];
  [extra: string]: unknown;
}

export interface DatasetSpec extends ComponentSpec {
  kwargs: {
    handler: ComponentSpec & { kwargs: HandlerKwargs };
    segments: Record<string, Segment>;
    [extra: string]: unknown;
  };
}

/** Handler kwargs that the task generators read and rewrite. */
export interface HandlerKwargs {
  start_time?: string;
  end_time?: string | null;
  fit_start_time?: string;
  fit_end_time?: string;
  instruments?: string | string[];
  [extra: string]: unknown;
}

/** Turns one task into several (RollingGen, MultiHorizonGen, ...). */
export interface TaskGenerator {
  generate(task: TaskDef): TaskDef[];
}
