import type { Calendar } from '../calendar/calendar.js';
import type { Dataset } from '../contracts/dataset.js';
import type { Logger } from '../contracts/logger.js';
import type { Model, SerializedModel } from '../contracts/model.js';
import type { ExperimentStore, RecorderInfo, ScoreKind } from '../contracts/store.js';
import type { DatasetSpec, TaskDef } from '../contracts/task.js';
import { QonlineError } from '../errors/index.js';
import type { Resolver } from './resolver.js';
import { firstLabel, frameScores } from './task-runner.js';

export interface UpdateResult {
  recorderId: string;
  kind: ScoreKind;
  /** First and last date written, or null when already up to date. */
  from: string | null;
  to: string | null;
  rows: number;
}

/**
 * Extends a recorder's predictions (or labels) from the day after its last
 * stored date up to `toDate` (clipped to the calendar's end). Only the new
 * days are evaluated, plus `histRef` earlier rows for models that need a
 * window; the stored processors are reused, never refitted. Existing rows are
 * left untouched.
 */
export class ScoreUpdater {
  constructor(
    private readonly deps: { store: ExperimentStore; resolver: Resolver; calendar: Calendar; logger: Logger },
    readonly kind: ScoreKind,
  ) {}

  async update(recorder: RecorderInfo, toDate: string | null, options: { histRef?: number; fromDate?: string } = {}): Promise<UpdateResult> {
    const { store, calendar, resolver, logger } = this.deps;
    const cal = calendar;
    const to = toDate === null || toDate > cal.last ? cal.last : cal.date(cal.alignEndIndex(toDate));
    let startIdx: number;
    if (options.fromDate) {
      startIdx = cal.alignStartIndex(options.fromDate);
    } else {
      const last = await store.lastScoreDate(recorder.id, this.kind);
      if (last === null) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${recorder.id} has no ${this.kind} rows to extend`);
      startIdx = cal.upperBound(last) + 1;
    }
    const toIdx = cal.indexOf(to);
    if (startIdx > toIdx) return { recorderId: recorder.id, kind: this.kind, from: null, to: null, rows: 0 };
    const histRef = options.histRef ?? 0;
    const start = cal.date(startIdx);
    const bufferStart = cal.date(Math.max(0, startIdx - histRef));

    const task = await store.getArtifact<TaskDef>(recorder.id, 'task');
    if (!task) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${recorder.id} has no task artifact`);
    const spec = updateDatasetSpec(task.dataset, bufferStart, to, start);
    const dataset = await resolver.resolve('dataset', spec, '/task/dataset');
    dataset.handler.loadProcessorState(await store.getArtifact(recorder.id, 'processors'));
    await dataset.handler.setup();
    const frame = await dataset.prepare([start, to], 'infer');
    let values: Float32Array;
    if (this.kind === 'pred') {
      const serialized = await store.getArtifact<SerializedModel>(recorder.id, 'model');
      if (!serialized) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${recorder.id} has no model artifact`);
      const model = await resolver.restoreModel(serialized);
      values = model.predict({ features: frame.features, rows: frame.rows, cols: frame.featureNames.length });
    } else {
      values = firstLabel(frame);
    }
    const rows = frameScores(frame, values);
    await store.writeScores(recorder.id, this.kind, rows);
    logger.debug(`updated ${frame.rows} ${this.kind} rows of ${recorder.id} for ${start}..${to}`);
    return { recorderId: recorder.id, kind: this.kind, from: start, to, rows: frame.rows };
  }
}

/** The task's dataset re-aimed at [bufferStart, to] with a test segment [start, to]. */
function updateDatasetSpec(dataset: DatasetSpec, bufferStart: string, to: string, start: string): DatasetSpec {
  const copy = structuredClone(dataset);
  copy.kwargs.handler.kwargs = { ...copy.kwargs.handler.kwargs, start_time: bufferStart, end_time: to };
  copy.kwargs.segments = { test: [start, to] };
  return copy;
}
