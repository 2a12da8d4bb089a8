import type { Dataset, HandlerFrame } from '../contracts/dataset.js';
import type { Logger } from '../contracts/logger.js';
import type { FitInfo, MatrixDataset, Model, SerializedModel } from '../contracts/model.js';
import type { TaskRecord } from '../contracts/record.js';
import type { ExperimentStore, RecorderInfo, ScoreRows } from '../contracts/store.js';
import type { TaskDef } from '../contracts/task.js';
import { QonlineError } from '../errors/index.js';
import { taskHash } from '../task/canonical.js';
import { dailyIc } from './metrics.js';
import type { Resolver } from './resolver.js';
import { recorderParams, type RecorderParams } from './task-info.js';

export const ONLINE_TAG = 'online_status';

/** What a fitted-but-not-finished recorder keeps between the two phases. */
interface FittedArtifacts {
  model: SerializedModel;
  processors: unknown;
}

export interface TaskRunnerDeps {
  store: ExperimentStore;
  resolver: Resolver;
  logger: Logger;
}

/** Options of one run; the hooks let a task-pool worker fence its writes with its lease. */
export interface TaskRunOptions {
  recorderName?: string;
  /**
   * Runs first inside every transaction that writes this task's recorder and
   * throws when the caller no longer owns the task (a worker whose lease was
   * taken over): the transaction rolls back and nothing is written.
   */
  fence?: (tx: ExperimentStore) => Promise<void>;
  /** Runs inside the transaction that completes the phase (after the fence), e.g. to commit the pool task with its recorder. */
  commit?: (tx: ExperimentStore, recorder: RecorderInfo) => Promise<void>;
}

/**
 * Trains one task into one recorder (Qlib's task_train), in two phases that
 * delayed trainers call separately: `fit` (dataset, model) and `finish`
 * (test predictions, labels, metrics). Idempotent by task hash: a finished
 * task is never trained again, so no task yields two recorders.
 */
export class TaskRunner {
  constructor(private readonly deps: TaskRunnerDeps) {}

  /** The same runner building its components through another resolver (a task's own scope). */
  withResolver(resolver: Resolver): TaskRunner {
    return new TaskRunner({ ...this.deps, resolver });
  }

  /** Both phases. Returns the FINISHED recorder. */
  async run(task: TaskDef, experiment: string, options: TaskRunOptions = {}): Promise<RecorderInfo> {
    const { rec, dataset } = await this.fitTask(task, experiment, { recorderName: options.recorderName, fence: options.fence });
    if (rec.status === 'FINISHED') {
      await this.settle(rec, options);
      return rec;
    }
    // The dataset fitted here (its frame and fitted processors) serves the test predictions:
    // the frame of a task is built once. Phase two alone (a delayed trainer) rebuilds it from the store.
    return this.finishTask(rec.id, options, dataset);
  }

  /**
   * Phase one. Returns an existing FINISHED or fitted recorder for the same
   * task instead of training again; a leftover RUNNING recorder from a
   * crashed run (no model saved) is replaced.
   */
  async fit(task: TaskDef, experiment: string, options: TaskRunOptions = {}): Promise<RecorderInfo> {
    return (await this.fitTask(task, experiment, options)).rec;
  }

  /**
   * A delayed trainer's `train` (Qlib's begin_task_train): a recorder holding
   * the task, nothing fitted (phase `recorded`). `complete` fits and finishes
   * it later, in place: history entries may already name its id. Returns an
   * existing recorder of the same task (recorded, fitted or finished) instead.
   */
  async record(task: TaskDef, experiment: string, options: TaskRunOptions = {}): Promise<RecorderInfo> {
    const existing = await this.deps.store.findRecorderByTaskHash(experiment, taskHash(task));
    if (existing && (existing.status === 'FINISHED' || (existing.status === 'RUNNING' && (existing.params.phase === 'fitted' || existing.params.phase === 'recorded')))) {
      await this.settle(existing, options);
      return existing;
    }
    return this.createRecorder(task, experiment, existing, 'recorded', options);
  }

  /**
   * A delayed trainer's `end_train` for one recorder (Qlib's end_task_train):
   * fits the task `record` saved into the same recorder, then finishes it
   * from the same frame. A recorder already fitted is only finished, a
   * finished one returned as it is (a killed run resumes where it stopped).
   */
  async complete(recorderId: string, options: Omit<TaskRunOptions, 'recorderName'> = {}): Promise<RecorderInfo> {
    const rec = await this.deps.store.getRecorder(recorderId);
    if (rec.status === 'FINISHED' || rec.params.phase === 'fitted') return this.finishTask(recorderId, options, null);
    const task = await this.deps.store.getArtifact<TaskDef>(recorderId, 'task');
    if (!task) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${recorderId} has no task to train`);
    const { rec: fitted, dataset } = await this.fitInto(rec, task, options);
    return this.finishTask(fitted.id, options, dataset);
  }

  /** `fit`, also returning the dataset it fitted (null when an existing recorder was reused). */
  private async fitTask(task: TaskDef, experiment: string, options: TaskRunOptions): Promise<{ rec: RecorderInfo; dataset: Dataset | null }> {
    const existing = await this.deps.store.findRecorderByTaskHash(experiment, taskHash(task));
    if (existing && (existing.status === 'FINISHED' || existing.params.phase === 'fitted')) {
      await this.settle(existing, options);
      return { rec: existing, dataset: null };
    }
    // A recorder a delayed trainer recorded is fitted in place (history may name it).
    if (existing && existing.status === 'RUNNING' && existing.params.phase === 'recorded') return this.fitInto(existing, task, options);
    return this.fitInto(await this.createRecorder(task, experiment, existing, undefined, options), task, options);
  }

  /** A new RUNNING recorder of `task` (holding the task), replacing a crashed run's leftover `existing` in the same (fenced) transaction. */
  private async createRecorder(
    task: TaskDef,
    experiment: string,
    existing: RecorderInfo | null | undefined,
    phase: 'recorded' | undefined,
    options: TaskRunOptions,
  ): Promise<RecorderInfo> {
    const { store, logger } = this.deps;
    const hash = taskHash(task);
    const params: RecorderParams = phase ? { ...recorderParams(task), phase } : recorderParams(task);
    return store.transaction(async (tx) => {
      await options.fence?.(tx);
      if (existing) {
        logger.debug(`replacing unfinished recorder ${existing.id} of task ${hash.slice(0, 12)}`);
        await tx.deleteRecorder(existing.id);
      }
      const rec = await tx.createRecorder({
        experiment,
        name: options.recorderName ?? `${task.model.class}_${params.test_start}`,
        taskHash: hash,
        params,
        tags: { [ONLINE_TAG]: 'offline' },
      });
      if (phase) {
        await tx.putArtifact(rec.id, 'task', task);
        await options.commit?.(tx, rec);
      }
      return rec;
    });
  }

  /** Fits `task` into the RUNNING recorder `rec` and saves the model (phase `fitted`); a failure marks it FAILED. */
  private async fitInto(rec: RecorderInfo, task: TaskDef, options: TaskRunOptions): Promise<{ rec: RecorderInfo; dataset: Dataset }> {
    const { store } = this.deps;
    const { fence } = options;
    try {
      const { artifacts, info, dataset } = await this.fitModel(task);
      const fitted: RecorderInfo = { ...rec, params: { ...rec.params, phase: 'fitted' } };
      await store.transaction(async (tx) => {
        await fence?.(tx);
        await tx.putArtifact(rec.id, 'task', task);
        await tx.putArtifact(rec.id, 'model', artifacts.model);
        await tx.putArtifact(rec.id, 'processors', artifacts.processors);
        await tx.putArtifact(rec.id, 'fit_info', info);
        await tx.updateRecorder(rec.id, { params: fitted.params });
        await options.commit?.(tx, fitted);
      });
      return { rec: fitted, dataset };
    } catch (e) {
      await this.markFailed(rec.id, e, fence);
      throw e;
    }
  }

  /** Phase two: predict the test segment, write predictions and labels, compute metrics. */
  async finish(recorderId: string, options: Omit<TaskRunOptions, 'recorderName'> = {}): Promise<RecorderInfo> {
    return this.finishTask(recorderId, options, null);
  }

  /**
   * `finish`; `fitted`: the dataset phase one fitted for this recorder in this
   * process (its handler holds the infer frame with the fitted processors,
   * the same frame a dataset resolved again with the stored processor state
   * gives), used instead of building the frame again.
   */
  private async finishTask(recorderId: string, options: Omit<TaskRunOptions, 'recorderName'>, fitted: Dataset | null): Promise<RecorderInfo> {
    const { store, resolver } = this.deps;
    const { fence } = options;
    const rec = await store.getRecorder(recorderId);
    if (rec.status === 'FINISHED') {
      await this.settle(rec, options);
      return rec;
    }
    const task = await store.getArtifact<TaskDef>(recorderId, 'task');
    const serialized = await store.getArtifact<SerializedModel>(recorderId, 'model');
    const processors = await store.getArtifact<unknown>(recorderId, 'processors');
    if (!task || !serialized) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${recorderId} has no fitted model to finish`);
    try {
      let dataset = fitted;
      if (!dataset) {
        dataset = await resolver.resolve('dataset', task.dataset, '/task/dataset');
        dataset.handler.loadProcessorState(processors);
        await dataset.handler.setup();
      }
      const test = await dataset.prepare('test', 'infer');
      const model = await resolver.restoreModel(serialized);
      const pred = model.predict({ features: test.features, rows: test.rows, cols: test.featureNames.length });
      const rows = frameScores(test, pred);
      const labels = frameScores(test, firstLabel(test));
      const out = await this.runRecords(rec, task, rows, labels);
      const metrics: Record<string, number> = { test_rows: test.rows, ...out.metrics };
      const params: RecorderParams = { ...rec.params, phase: 'finished' };
      const finished: RecorderInfo = { ...rec, status: 'FINISHED', metrics, params };
      await store.transaction(async (tx) => {
        await fence?.(tx);
        await tx.writeScores(recorderId, 'pred', out.pred);
        await tx.writeScores(recorderId, 'label', out.label);
        for (const [name, value] of Object.entries(out.artifacts)) await tx.putArtifact(recorderId, name, value);
        await tx.updateRecorder(recorderId, { status: 'FINISHED', metrics, params });
        await options.commit?.(tx, finished);
      });
      return finished;
    } catch (e) {
      await this.markFailed(recorderId, e, fence);
      throw e;
    }
  }

  /**
   * The task's `record:` list, built through the registry and run in order.
   * Without one, today's default: predictions, labels and the daily IC
   * metrics. The online manager serves the stored predictions, so they are
   * stored even when no record returns them.
   */
  private async runRecords(
    recorder: RecorderInfo,
    task: TaskDef,
    pred: ScoreRows,
    label: ScoreRows,
  ): Promise<{ pred: ScoreRows; label: ScoreRows; metrics: Record<string, number>; artifacts: Record<string, unknown> }> {
    const metrics: Record<string, number> = {};
    const artifacts: Record<string, unknown> = {};
    if (task.record === undefined || task.record === null) {
      const ic = dailyIc(pred.dates, pred.scores, label.scores);
      if (Number.isFinite(ic.ic)) metrics['IC'] = ic.ic;
      if (Number.isFinite(ic.rankIc)) metrics['Rank IC'] = ic.rankIc;
      if (Number.isFinite(ic.icir)) metrics['ICIR'] = ic.icir;
      return { pred, label, metrics, artifacts };
    }
    const specs = Array.isArray(task.record) ? task.record : [task.record];
    const scores: { pred?: ScoreRows; label?: ScoreRows } = {};
    for (let i = 0; i < specs.length; i++) {
      const record = await this.deps.resolver.resolve('record', specs[i]!, Array.isArray(task.record) ? `/task/record/${i}` : '/task/record');
      const out = await record.generate({ recorder, task, pred, label });
      Object.assign(metrics, out.metrics ?? {});
      Object.assign(artifacts, out.artifacts ?? {});
      Object.assign(scores, out.scores ?? {});
    }
    return { pred: scores.pred ?? pred, label: scores.label ?? label, metrics, artifacts };
  }

  /** A phase that had nothing left to do still commits (fenced), e.g. a task whose recorder a lost worker finished. */
  private async settle(rec: RecorderInfo, options: Pick<TaskRunOptions, 'fence' | 'commit'>): Promise<void> {
    if (!options.fence && !options.commit) return;
    await this.deps.store.transaction(async (tx) => {
      await options.fence?.(tx);
      await options.commit?.(tx, rec);
    });
  }

  /** Marks the recorder FAILED, unless the fence says another run owns it now (never clobber its work). */
  private async markFailed(recorderId: string, e: unknown, fence?: (tx: ExperimentStore) => Promise<void>): Promise<void> {
    const error = e instanceof Error ? e.message : String(e);
    await this.deps.store
      .transaction(async (tx) => {
        await fence?.(tx);
        await tx.updateRecorder(recorderId, { status: 'FAILED', error });
      })
      .catch(() => undefined);
  }

  private async fitModel(task: TaskDef): Promise<{ artifacts: FittedArtifacts; info: FitInfo; dataset: Dataset }> {
    const { resolver } = this.deps;
    const dataset = await resolver.resolve('dataset', task.dataset, '/task/dataset');
    await dataset.handler.setup();
    const train = await dataset.prepare('train', 'learn');
    if (train.rows === 0) {
      throw new QonlineError('QONLINE_DATA_INVALID', `the train segment ${JSON.stringify(dataset.segments['train'])} has no rows with labels`);
    }
    const valid = dataset.segments['valid'] ? await dataset.prepare('valid', 'learn') : undefined;
    const model = await resolver.resolve('model', task.model, '/task/model');
    const info = await model.fit(toMatrix(train), valid && valid.rows > 0 ? toMatrix(valid) : undefined, { featureNames: train.featureNames });
    return { artifacts: { model: model.toJSON(), processors: dataset.handler.processorState() }, info, dataset };
  }
}

export function toMatrix(frame: HandlerFrame): MatrixDataset {
  return { features: frame.features, rows: frame.rows, cols: frame.featureNames.length, labels: firstLabel(frame) };
}

export function firstLabel(frame: HandlerFrame): Float32Array {
  const l = frame.labelNames.length;
  if (l === 1) return frame.labels;
  const out = new Float32Array(frame.rows);
  if (l === 0) return out.fill(NaN);
  for (let i = 0; i < frame.rows; i++) out[i] = frame.labels[i * l]!;
  return out;
}

export function frameScores(frame: HandlerFrame, values: Float32Array): { dates: string[]; instruments: string[]; scores: Float64Array } {
  const dates = new Array<string>(frame.rows);
  const instruments = new Array<string>(frame.rows);
  const scores = new Float64Array(frame.rows);
  for (let i = 0; i < frame.rows; i++) {
    dates[i] = frame.dates[frame.rowDate[i]!]!;
    instruments[i] = frame.instruments[frame.rowInst[i]!]!;
    scores[i] = values[i]!;
  }
  return { dates, instruments, scores };
}
