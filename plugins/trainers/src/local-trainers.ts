import {
  autoThreads,
  recorderTest,
  sampledMachineLoad,
  TaskRunner,
  type ExperimentStore,
  type LocalTrainJob,
  type Logger,
  type MachineLoad,
  type Progress,
  type RecorderInfo,
  type Resolver,
  type TaskDef,
  type TaskExecutor,
  type Trainer,
  type TrainOptions,
} from '../../../core/index.js';

export interface LocalTrainerDeps {
  store: ExperimentStore;
  resolver: Resolver;
  logger: Logger;
  progress: Progress;
  /**
   * Starts training threads (TOKENS.taskThreads, from the built CLI): each
   * opens the pipeline once and trains job after job against the shared
   * store. Without it (running from source, tests) every task trains here.
   */
  threads?: () => TaskExecutor;
  /** What the machine is doing, for the automatic thread count (tests inject a busy or idle machine). Default: read now. */
  machineLoad?: () => MachineLoad;
}

export interface LocalTrainerOptions {
  /** Training threads for a batch of several tasks: 0 or absent chooses from the idle cores, 1 trains in this thread. */
  threads?: number;
}

/**
 * Tasks per thread below which another thread does not pay: a thread opens
 * the pipeline and computes (or loads from the disk cache) the features
 * again, and the calling thread loads them once more for its own next task.
 * Measured (60 instruments, Alpha158, GBDT): a first training of 4 tasks on
 * 2 threads cost 9% more CPU and no wall time; 16 tasks on 2 threads saved
 * wall time.
 */
const MIN_TASKS_PER_THREAD = 4;

/**
 * Trains each task in this process and finishes it at once (Qlib's
 * TrainerR). Several tasks (a first training, a catch-up) train on several
 * threads when cores are idle; each task's recorder is committed by itself
 * as its training ends, so a killed run keeps what finished and trains the
 * rest again (by task hash, never twice).
 */
export class TrainerR implements Trainer {
  readonly delayed: boolean = false;
  /** Threads the last batch trained on (1: this thread). */
  lastThreads = 1;
  protected readonly runner: TaskRunner;

  constructor(
    protected readonly deps: LocalTrainerDeps,
    protected readonly options: LocalTrainerOptions = {},
  ) {
    this.runner = new TaskRunner({ store: deps.store, resolver: deps.resolver, logger: deps.logger });
  }

  async train(tasks: TaskDef[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!tasks.length) return [];
    return this.runJobs(
      tasks.map((task) => ({ kind: 'run', task, experiment: options.experiment })),
      `train ${options.experiment}`,
      options.onProgress,
    );
  }

  async endTrain(recorders: RecorderInfo[], _options: TrainOptions): Promise<RecorderInfo[]> {
    return recorders;
  }

  /** Threads for `jobs` jobs: the configured count, else one per idle core (at most one per MIN_TASKS_PER_THREAD jobs); 1 without thread support. */
  threadCount(jobs: number, load?: MachineLoad): number {
    if (jobs < 2 || !this.deps.threads) return 1;
    const asked = this.options.threads ?? 0;
    if (asked > 0) return Math.min(asked, jobs);
    return autoThreads(jobs, MIN_TASKS_PER_THREAD, jobs, load ?? this.deps.machineLoad?.());
  }

  /**
   * The thread count for a batch about to start. A batch big enough for
   * several threads is long (minutes), so the machine is sampled for a
   * tenth of a second first rather than read off the 1-minute load average,
   * which still counts processes that just ended (a previous run).
   */
  private async batchThreads(jobs: number): Promise<number> {
    const mayUseThreads = jobs >= 2 * MIN_TASKS_PER_THREAD && !!this.deps.threads && !(this.options.threads! > 0);
    if (!mayUseThreads || this.deps.machineLoad) return this.threadCount(jobs);
    return this.threadCount(jobs, await sampledMachineLoad());
  }

  /** Runs `jobs` (on threads when several pay), ticking one bar; the recorders in the order of `jobs`. */
  protected async runJobs(jobs: LocalTrainJob[], label: string, onProgress?: (done: number, total: number) => void): Promise<RecorderInfo[]> {
    const threads = await this.batchThreads(jobs.length);
    this.lastThreads = threads;
    const bar = this.deps.progress.start(label, jobs.length);
    let done = 0;
    const tick = (): void => {
      bar.tick(1);
      onProgress?.(++done, jobs.length);
    };
    try {
      if (threads > 1) {
        const out = await this.onThreads(jobs, threads, tick);
        if (out) return out;
        this.lastThreads = 1;
      }
      const out: RecorderInfo[] = [];
      for (const job of jobs) {
        out.push(await (job.kind === 'run' ? this.runner.run(job.task, job.experiment) : this.runner.complete(job.recorderId)));
        tick();
      }
      return out;
    } finally {
      bar.done();
    }
  }

  /**
   * Each thread takes the next job from its end of the list until none is
   * left: even slots from the front, odd slots from the back (jobs in order,
   * oldest window first). A thread's consecutive windows are then neighbours
   * (one step apart, not one per thread), so its model reuses most of the
   * previous window's sorted bins, and the two ends meet wherever the work
   * balances. After a failure no new job starts; the first error is thrown
   * once the running jobs ended. Null when the threads could not start (the
   * caller trains here instead).
   */
  private async onThreads(jobs: LocalTrainJob[], threads: number, tick: () => void): Promise<RecorderInfo[] | null> {
    const { logger } = this.deps;
    const executor = this.deps.threads!();
    const close = (): Promise<void> => executor.close().catch((e: unknown) => logger.warn(`stopping the training threads failed: ${(e as Error).message}`));
    const runJob = executor.runJob?.bind(executor);
    try {
      if (!runJob) return null;
      // Every thread's first task computes the same features: each writes its share of the disk cache.
      await executor.start?.(threads, { sameFeatures: true });
    } catch (e) {
      logger.warn(`training threads did not start (${(e as Error).message}); training on this thread`);
      await close();
      return null;
    }
    logger.info(`training ${jobs.length} task(s) on ${threads} threads`);
    const ids = new Array<string>(jobs.length);
    // Jobs [front, back] are left.
    let front = 0;
    let back = jobs.length - 1;
    let failure: { error: unknown } | undefined;
    const lane = async (slot: number): Promise<void> => {
      while (!failure && front <= back) {
        const i = slot % 2 === 0 ? front++ : back--;
        try {
          ids[i] = (await runJob(jobs[i]!, slot)).recorderId;
          tick();
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: threads }, (_, slot) => lane(slot)));
    } finally {
      await close();
    }
    if (failure) throw failure.error;
    const recs = new Map((await this.deps.store.listRecorders({ ids })).map((r) => [r.id, r]));
    return ids.map((id) => recs.get(id)!);
  }
}

/**
 * Qlib's DelayTrainerR: `train` only records each task (a recorder holding
 * the task, begin_task_train); `endTrain` fits and finishes them
 * (end_task_train), several at once on threads when cores are idle. In a
 * simulation every model is so trained in one batch at the end.
 */
export class DelayTrainerR extends TrainerR {
  override readonly delayed: boolean = true;

  override async train(tasks: TaskDef[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!tasks.length) return [];
    const bar = this.deps.progress.start(`train ${options.experiment}`, tasks.length);
    const out: RecorderInfo[] = [];
    try {
      for (const task of tasks) {
        out.push(await this.runner.record(task, options.experiment));
        bar.tick(1);
        options.onProgress?.(out.length, tasks.length);
      }
    } finally {
      bar.done();
    }
    return out;
  }

  override async endTrain(recorders: RecorderInfo[], options: TrainOptions): Promise<RecorderInfo[]> {
    const todo = recorders.filter((r) => r.status !== 'FINISHED');
    if (!todo.length) return recorders;
    // By test window, oldest first: threads take from both ends, so a thread's consecutive jobs share most of their rows.
    const ordered = todo.map((r) => ({ id: r.id, start: recorderTest(r).start })).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const finished = await this.runJobs(
      ordered.map((r) => ({ kind: 'complete', recorderId: r.id })),
      `finish ${options.experiment}`,
      options.onProgress,
    );
    const byId = new Map(finished.map((r) => [r.id, r]));
    return recorders.map((r) => byId.get(r.id) ?? r);
  }
}
