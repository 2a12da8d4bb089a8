import type { ComponentSpec } from '../schema/builder.js';
import type { Model, SerializedModel } from './model.js';
import type { ComponentKind, ComponentKindMap } from './plugin.js';
import type { RecorderInfo, ScoreRows } from './store.js';
import type { TaskDef } from './task.js';

/** Decides what to train and which trained models serve (Qlib's OnlineStrategy). */
export interface OnlineStrategy {
  /** The strategy's name; also the experiment that owns its recorders. */
  readonly name: string;
  /** Canonical description of templates + generator, to detect a changed strategy. */
  fingerprint(): string;
  firstTasks(): Promise<TaskDef[]>;
  prepareTasks(curTime: string): Promise<TaskDef[]>;
  /** Given what was just trained, returns the recorders that should be online. */
  prepareOnlineModels(trained: RecorderInfo[], curTime: string | null): Promise<RecorderInfo[]>;
  /** Key that groups a recorder's predictions into one merged series (default: model class). */
  groupKey(recorder: RecorderInfo): string;
}

export interface TrainOptions {
  experiment: string;
  /** Called once per finished task. */
  onProgress?: (done: number, total: number) => void;
}

/** Turns tasks into recorders. */
export interface Trainer {
  /** Delayed trainers fit in `train` and finish in `endTrain`. */
  readonly delayed: boolean;
  train(tasks: TaskDef[], options: TrainOptions): Promise<RecorderInfo[]>;
  endTrain(recorders: RecorderInfo[], options: TrainOptions): Promise<RecorderInfo[]>;
}

/** Merges several per-model score series into one signal series. */
export interface Ensemble {
  /**
   * `inputs` are per-model score rows for the same set of dates;
   * returns one score per (date, instrument).
   */
  combine(inputs: ScoreRows[]): ScoreRows;
}

/** Something a trained recorder produces besides the model (predictions, labels, analysis). */
export interface RecordContext {
  recorder: RecorderInfo;
  task: TaskDef;
}

/** How domain code builds components (the kernel implements it; tests may substitute). */
export interface Resolver {
  resolve<K extends ComponentKind>(kind: K, spec: ComponentSpec, pointer?: string): Promise<ComponentKindMap[K]>;
  restoreModel(serialized: SerializedModel): Promise<Model>;
}
