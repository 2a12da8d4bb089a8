import {
  isLeaseLost,
  keepLeaseAlive,
  POOL_TASK_STATUSES,
  QonlineError,
  runPoolTask,
  TaskRunner,
  UNDONE_STATUSES,
  workerName,
  type ExperimentStore,
  type FetchableStatus,
  type Clock,
  type Logger,
  type PoolTask,
  type PoolTaskStatus,
  type PoolTrainer,
  type Progress,
  type RecorderInfo,
  type Resolver,
  type TaskDef,
  type TaskExecutor,
  type TaskPool,
  type TaskPoolProvider,
  type TaskStat,
  type TrainOptions,
} from '../../../core/index.js';

export interface PoolTrainerDeps {
  pools: TaskPoolProvider;
  store: ExperimentStore;
  resolver: Resolver;
  logger: Logger;
  progress: Progress;
  /** Operational time (TOKENS.clock): the wait deadline is measured on it, so tests move time. Default: the system clock. */
  clock?: Clock;
  /**
   * Starts threads to train on (TOKENS.taskThreads, from the CLI). Without
   * it, local training runs on the calling thread, whose lease renewals
   * then wait while a fit blocks.
   */
  threads?: () => TaskExecutor;
}

export interface PoolTrainerOptions {
  /** Pool name; default: the experiment (strategy) name, as Qlib does. */
  pool?: string;
  lease_seconds?: number;
  max_attempts?: number;
  priority?: number;
  /** Train what can be fetched in this process while waiting (default true); false: only workers train. */
  train_locally?: boolean;
  /** Longest pause between two looks at the pool while waiting (PostgreSQL wakes earlier on NOTIFY). */
  poll_ms?: number;
  /** Give up waiting for workers after this many seconds (default: wait forever). */
  wait_timeout_s?: number;
}

/**
 * Puts tasks into a task pool, trains what it can fetch itself (unless
 * `train_locally: false`), then waits for workers (`qonline worker`) to
 * finish the rest (Qlib's TrainerRM). Creating a task that is already in the
 * pool reuses it, and the recorder of a task is written under its lease, so
 * training the same task twice never yields a second recorder. Tasks that
 * failed in an earlier run are retried when submitted again.
 */
export class TrainerRM implements PoolTrainer {
  readonly delayed: boolean = false;
  readonly leaseSeconds: number;
  protected readonly phases: 1 | 2 = 1;
  protected readonly runner: TaskRunner;
  private readonly me = workerName('manager');

  constructor(
    protected readonly deps: PoolTrainerDeps,
    protected readonly options: PoolTrainerOptions = {},
  ) {
    this.leaseSeconds = options.lease_seconds ?? 60;
    this.runner = new TaskRunner({ store: deps.store, resolver: deps.resolver, logger: deps.logger });
  }

  poolNames(experiments: readonly string[]): string[] {
    return this.options.pool ? [this.options.pool] : [...new Set(experiments)];
  }

  protected pool(experiment: string): TaskPool {
    return this.deps.pools.pool(this.options.pool ?? experiment, { leaseSeconds: this.leaseSeconds, maxAttempts: this.options.max_attempts });
  }

  async train(tasks: TaskDef[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!tasks.length) return [];
    const pool = this.pool(options.experiment);
    const ids = await pool.create(tasks.map((def) => ({ def, experiment: options.experiment, priority: this.options.priority ?? 0, phases: this.phases })));
    const revived = await pool.retry({ ids });
    if (revived) this.deps.logger.info(`pool ${pool.name}: ${revived} task(s) that failed before are retried`);
    // A delayed trainer waits for phase one only: waiting on part_done would wait for its own end_train.
    const waitFor = this.delayed ? (['waiting', 'running'] as const) : UNDONE_STATUSES;
    const fetchFrom: FetchableStatus[] = this.delayed ? ['waiting'] : ['waiting', 'part_done'];
    await this.drive(pool, ids, fetchFrom, waitFor, `train ${options.experiment}`, options.onProgress);
    return this.collect(pool, ids, this.delayed ? ['part_done', 'done'] : ['done']);
  }

  async endTrain(recorders: RecorderInfo[], _options: TrainOptions): Promise<RecorderInfo[]> {
    return recorders;
  }

  /** Trains locally what can be fetched, then waits until no task of `ids` is in `waitFor` (reaping dead workers' leases meanwhile). */
  protected async drive(
    pool: TaskPool,
    ids: string[],
    fetchFrom: FetchableStatus[],
    waitFor: readonly PoolTaskStatus[],
    label: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const { logger } = this.deps;
    const bar = this.deps.progress.start(label, ids.length);
    let shown = 0;
    const show = (stat: TaskStat): void => {
      const pending = waitFor.reduce((n, s) => n + stat[s], 0);
      const total = POOL_TASK_STATUSES.reduce((n, s) => n + stat[s], 0);
      const done = total - pending;
      if (done > shown) {
        bar.tick(done - shown);
        shown = done;
        onProgress?.(done, total);
      }
    };
    const now = (): number => (this.deps.clock ? this.deps.clock.now().getTime() : Date.now());
    const deadline = this.options.wait_timeout_s !== undefined ? now() + this.options.wait_timeout_s * 1000 : undefined;
    try {
      if (this.options.train_locally === false) {
        logger.info(`pool ${pool.name}: waiting for workers to train ${ids.length} task(s) (qonline worker CONFIG)`);
        await pool.wait({ query: { ids }, statuses: waitFor, pollMs: this.options.poll_ms, timeoutMs: deadline && deadline - now(), onProgress: (p) => show(p.stat) });
        return;
      }
      let told = false;
      for (;;) {
        await this.trainAvailable(pool, ids, fetchFrom, () => pool.stat({ ids }).then(show));
        await pool.reapExpired();
        const stat = await pool.stat({ ids });
        show(stat);
        const pending = waitFor.reduce((n, s) => n + stat[s], 0);
        if (!pending) return;
        if (deadline !== undefined && now() > deadline) {
          throw new QonlineError('QONLINE_TASK_FAILED', `gave up waiting for pool ${pool.name} after ${this.options.wait_timeout_s} s: ${pending} task(s) still ${waitFor.join('/')}`);
        }
        if (!told) {
          logger.info(`pool ${pool.name}: waiting for workers on ${pending} task(s)`);
          told = true;
        }
        await pool.changed(this.options.poll_ms ?? 1000);
      }
    } finally {
      bar.done();
    }
  }

  /**
   * Fetches and trains tasks of `ids` in this process until none is left to
   * fetch: on a training thread when the CLI provides them (this thread
   * keeps renewing the lease, and stops the fit if the lease is lost
   * anyway), else on this thread.
   */
  private async trainAvailable(pool: TaskPool, ids: string[], fetchFrom: FetchableStatus[], refresh: () => Promise<void>): Promise<void> {
    const { logger } = this.deps;
    let executor: TaskExecutor | undefined;
    try {
      for (;;) {
        let fetchedAny = false;
        try {
          const r = await pool.safeFetch({ worker: this.me, query: { ids }, status: fetchFrom, leaseSeconds: this.leaseSeconds }, async (fetched) => {
            fetchedAny = true;
            executor ??= this.deps.threads?.();
            const ex = executor;
            const keeper = keepLeaseAlive(pool, fetched.lease, {
              clock: this.deps.clock,
              onLost: () => {
                logger.warn(`lost the lease of task ${fetched.task.id} (pool ${pool.name}); another worker owns it now`);
                void ex?.abort(0);
              },
              onError: (e) => logger.warn(`renewing the lease of task ${fetched.task.id} failed: ${(e as Error).message}`),
            });
            try {
              // In process, renewals run only between the fit's awaits: a fit that blocks longer than the lease may be taken over (its result is then fenced off).
              return ex ? await ex.execute(fetched, 0) : await runPoolTask(pool, fetched, this.runner);
            } finally {
              keeper.stop();
            }
          });
          if (!r) return;
        } catch (e) {
          if (!fetchedAny) throw e;
          if (isLeaseLost(e)) logger.warn((e as Error).message);
          else logger.warn(`task failed: ${(e as Error).message}`);
        }
        await refresh();
      }
    } finally {
      await executor?.close().catch((e: unknown) => logger.warn(`stopping the training thread failed: ${(e as Error).message}`));
    }
  }

  /** The recorders of `ids` in order; QONLINE_TASK_FAILED naming every failed task. */
  protected async collect(pool: TaskPool, ids: string[], okStatuses: readonly PoolTaskStatus[]): Promise<RecorderInfo[]> {
    const tasks = new Map((await pool.query({ ids })).map((t) => [t.id, t]));
    const failed = [...tasks.values()].filter((t) => t.status === 'failed');
    if (failed.length) {
      throw new QonlineError(
        'QONLINE_TASK_FAILED',
        `${failed.length} of ${tasks.size} task(s) in pool ${pool.name} failed after ${failed[0]!.attempts} attempt(s); last error: ${failed[0]!.lastError ?? 'unknown'}`,
        {
          details: failed.map((t) => `task ${t.id} (${describeTask(t)}): ${t.lastError ?? 'unknown error'}`),
          hint: 'fix the cause and run again (failed tasks are retried when submitted again), or `qonline tasks retry CONFIG`',
        },
      );
    }
    const recIds: string[] = [];
    for (const id of ids) {
      const t = tasks.get(id);
      if (!t) throw new QonlineError('QONLINE_NOT_FOUND', `task ${id} disappeared from pool ${pool.name} while it was being trained (removed?)`);
      // Phase one is over for a task a worker has already taken into phase two.
      const phaseTwo = t.status === 'running' && t.priorStatus === 'part_done' && okStatuses.includes('part_done');
      if ((!okStatuses.includes(t.status) && !phaseTwo) || typeof t.res !== 'string') {
        throw new QonlineError('QONLINE_TASK_FAILED', `task ${id} of pool ${pool.name} is ${t.status}, expected ${okStatuses.join(' or ')} with a recorder`);
      }
      recIds.push(t.res);
    }
    const recs = new Map((await this.deps.store.listRecorders({ ids: [...new Set(recIds)] })).map((r) => [r.id, r]));
    return recIds.map((id) => {
      const r = recs.get(id);
      if (!r) throw new QonlineError('QONLINE_NOT_FOUND', `recorder ${id} committed by the task pool ${pool.name} no longer exists`);
      return r;
    });
  }
}

/**
 * Both phases through the pool (Qlib's DelayTrainerRM): `train` runs phase one
 * (fit: waiting -> part_done) and waits for waiting and running tasks only;
 * `endTrain` runs phase two (predictions and records: part_done -> done) and
 * waits for every task. Workers take both phases.
 */
export class DelayTrainerRM extends TrainerRM {
  override readonly delayed: boolean = true;
  protected override readonly phases: 1 | 2 = 2;

  override async endTrain(recorders: RecorderInfo[], options: TrainOptions): Promise<RecorderInfo[]> {
    if (!recorders.length) return [];
    const pool = this.pool(options.experiment);
    const hashes = [...new Set(recorders.map((r) => r.taskHash).filter((h): h is string => typeof h === 'string'))];
    const tasks = await pool.query({ experiment: options.experiment, hashes });
    const byHash = new Map(tasks.map((t) => [t.hash, t]));
    const ids = [...new Set(tasks.map((t) => t.id))];
    if (ids.length) await this.drive(pool, ids, ['part_done'], UNDONE_STATUSES, `finish ${options.experiment}`, options.onProgress);
    const finished = new Map((await this.collect(pool, ids, ['done'])).map((r) => [r.id, r]));
    const out: RecorderInfo[] = [];
    for (const r of recorders) {
      const done = finished.get(r.id);
      if (done) out.push(done);
      // Not (or no longer) in the pool: finish it here.
      else if (!r.taskHash || !byHash.has(r.taskHash)) out.push(await this.runner.finish(r.id));
      else throw new QonlineError('QONLINE_TASK_FAILED', `recorder ${r.id} was not finished by pool ${pool.name}`);
    }
    return out;
  }
}

function describeTask(t: PoolTask): string {
  const test = t.def.dataset?.kwargs?.segments?.['test'];
  return `${t.def.model?.class ?? '?'}, test ${test ? `${test[0]}..${test[1] ?? 'open'}` : '?'}`;
}
