import { TaskRunner, type ExperimentStore, type Logger, type Progress, type RecorderInfo, type Resolver, type TaskDef, type Trainer, type TrainOptions } from '../../../core/index.js';

interface Deps {
  store: ExperimentStore;
  resolver: Resolver;
  logger: Logger;
  progress: Progress;
}

/** Trains each task in this process and finishes it at once (Qlib's TrainerR). */
export class TrainerR implements Trainer {
  readonly delayed: boolean = false;
  protected readonly runner: TaskRunner;

  constructor(protected readonly deps: Deps) {
    this.runner = new TaskRunner({ store: deps.store, resolver: deps.resolver, logger: deps.logger });
  }

  async train(tasks: TaskDef[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!tasks.length) return [];
    const bar = this.deps.progress.start(`train ${options.experiment}`, tasks.length);
    const out: RecorderInfo[] = [];
    try {
      for (const task of tasks) {
        out.push(await this.trainOne(task, options.experiment));
        bar.tick(1);
        options.onProgress?.(out.length, tasks.length);
      }
    } finally {
      bar.done();
    }
    return out;
  }

  protected trainOne(task: TaskDef, experiment: string): Promise<RecorderInfo> {
    return this.runner.run(task, experiment);
  }

  async endTrain(recorders: RecorderInfo[], _options: TrainOptions): Promise<RecorderInfo[]> {
    return recorders;
  }
}

/** Fits in `train`, predicts and writes records in `endTrain` (Qlib's DelayTrainerR). */
export class DelayTrainerR extends TrainerR {
  override readonly delayed: boolean = true;

  protected override trainOne(task: TaskDef, experiment: string): Promise<RecorderInfo> {
    return this.runner.fit(task, experiment);
  }

  override async endTrain(recorders: RecorderInfo[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!recorders.length) return [];
    const bar = this.deps.progress.start(`finish ${options.experiment}`, recorders.length);
    const out: RecorderInfo[] = [];
    try {
      for (const r of recorders) {
        out.push(await this.runner.finish(r.id));
        bar.tick(1);
      }
    } finally {
      bar.done();
    }
    return out;
  }
}
