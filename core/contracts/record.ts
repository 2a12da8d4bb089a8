import type { RecorderInfo, ScoreKind, ScoreRows } from './store.js';
import type { TaskDef } from './task.js';

/** What a record sees when its task's model has predicted the test segment. */
export interface RecordInput {
  /** The task's recorder (RUNNING until every record has run). */
  readonly recorder: RecorderInfo;
  readonly task: TaskDef;
  /** The model's predictions over the test segment, date-major (rows of one date together). */
  readonly pred: ScoreRows;
  /** The task's first label over the same rows (NaN where it is not known yet). */
  readonly label: ScoreRows;
}

/** What a record produces; the task runner stores it on the recorder in the transaction that finishes it. */
export interface RecordOutput {
  /** Merged into the recorder's metrics (later records win on equal names). */
  metrics?: Record<string, number>;
  /** JSON-serialisable artifacts, stored under these names. */
  artifacts?: Record<string, unknown>;
  /** Score series to store (`pred` is what the online manager serves). */
  scores?: Partial<Record<ScoreKind, ScoreRows>>;
}

/**
 * A record: a component of kind `record`, listed in a task template's
 * `record:` (Qlib's shape, `{class: SigAnaRecord, kwargs: {...}}`), built
 * and run in list order when the task finishes.
 */
export interface TaskRecord {
  generate(input: RecordInput): RecordOutput | Promise<RecordOutput>;
}
