import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Trainer } from '../../contracts/online.js';
import { isPoolTrainer } from '../../contracts/task-pool.js';
import { TOKENS } from '../../contracts/tokens.js';
import { QonlineError } from '../../errors/index.js';
import { DEFAULT_COMPONENTS, openPipeline, prepareConfig } from '../../engine/pipeline.js';
import { serveTaskThread, TASK_THREAD_FLAG, ThreadExecutor } from '../../engine/task-thread.js';
import { InProcessExecutor, runWorkerLoop, type TaskExecutor } from '../../engine/worker.js';
import { workerName } from '../../online/pool-training.js';
import { TaskRunner } from '../../online/task-runner.js';
import { readManagerGauges } from '../../engine/manager-gauges.js';
import type { CommandContext, Command } from '../context.js';
import { metricsAddress, METRICS_FLAGS, startMetrics, type RunningMetrics } from '../metrics-endpoint.js';
import { requireConfig, threadScript } from './shared.js';

export const workerCommand: Command = {
  name: 'worker',
  longRunning: true,
  usage: 'worker CONFIG [--concurrency N] [--once] [--pool NAME]... [--metrics-port PORT]',
  summary: 'Train tasks from the task pools of a config until stopped (SIGINT/SIGTERM: finish the running tasks; a second signal hands them back)',
  flags: {
    concurrency: { value: true, description: 'Tasks trained at once, each on its own thread (default 1)' },
    once: { description: 'Exit when no task is left to fetch instead of waiting for more' },
    pool: { value: true, multiple: true, description: "Serve this pool (repeatable). Default: the pools of the config's trainer" },
    'poll-ms': { value: true, description: 'Longest idle pause between two looks at the pools (default 500; PostgreSQL wakes at once on NOTIFY)' },
    'in-process': { description: 'Train on the main thread (no worker threads): lease renewal then waits whenever a fit blocks' },
    ...METRICS_FLAGS,
  },
  async run(ctx) {
    if (!isMainThread && (workerData as Record<string, unknown> | undefined)?.[TASK_THREAD_FLAG]) return serveAsThread(ctx);
    const file = requireConfig(ctx, 'worker');
    const concurrency = intFlag(ctx, 'concurrency', 1, 1, 256);
    const pollMs = intFlag(ctx, 'poll-ms', 500, 10, 600_000);
    const address = metricsAddress(ctx);
    const prepared = await prepareConfig(file, ctx.engine());
    // No home lock: any number of workers (and a manager) share the home and the store.
    const p = await openPipeline(prepared);
    const logger = p.kernel.logger.child('worker');
    const stop = new AbortController();
    const handBack = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      if (!stop.signal.aborted) {
        logger.info(`${sig}: no new tasks; finishing the running ones (send ${sig} again to hand them back now)`);
        stop.abort();
      } else if (!handBack.signal.aborted) {
        logger.info(`${sig}: handing the running tasks back`);
        handBack.abort();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let executor: TaskExecutor | undefined;
    let metrics: RunningMetrics | null = null;
    try {
      if (!p.kernel.has(TOKENS.taskPool)) {
        throw new QonlineError('QONLINE_CONFIG_INVALID', `the store of ${file} (${p.store.backend}) cannot hold task pools; use SQLiteStore or PostgresStore`);
      }
      const provider = p.kernel.get(TOKENS.taskPool);
      const trainerSpec = prepared.pipeline.manager.trainer ?? DEFAULT_COMPONENTS.trainer;
      const trainer = await p.kernel.resolve('trainer', trainerSpec, '/manager/trainer');
      const flagPools = ctx.args.flags['pool'] as string[] | undefined;
      const poolTrainer = isPoolTrainer(trainer) ? trainer : undefined;
      if (!flagPools && !poolTrainer) {
        throw new QonlineError('QONLINE_CONFIG_INVALID', `the trainer of ${file} (${trainerSpec.class}) trains in process and uses no task pool`, {
          hint: 'use `trainer: {class: TrainerRM}` (or DelayTrainerRM) under manager:, or name the pools with --pool',
          location: { file: prepared.config.file, path: '/manager/trainer' },
        });
      }
      const names = flagPools ?? poolTrainer!.poolNames(p.strategies.map((s) => s.name));
      const leaseSeconds = poolTrainer?.leaseSeconds ?? 60;
      const pools = names.map((n) => provider.pool(n, { leaseSeconds }));
      if (address) metrics = await startMetrics(ctx, address, 'worker', () => readManagerGauges(p.store, p.manager.name, provider));
      const script = ctx.args.flags['in-process'] ? null : threadScript();
      if (script) {
        const threads = new ThreadExecutor({ script, argv: process.argv.slice(2), logger });
        executor = threads;
        await threads.start(concurrency);
      } else {
        executor = new InProcessExecutor(new TaskRunner({ store: p.store, resolver: p.kernel, logger }), (n) => provider.pool(n), { scopes: p.kernel, logger });
      }
      logger.info(
        `worker ${workerName('*')}: pool(s) ${names.join(', ')}, ${concurrency} slot(s) ${script ? 'on threads' : 'in process'}, lease ${leaseSeconds} s${ctx.args.flags['once'] ? ', until the pools are empty' : ''}`,
      );
      const report = await runWorkerLoop({
        pools,
        executor,
        concurrency,
        once: Boolean(ctx.args.flags['once']),
        leaseSeconds,
        idlePollMs: pollMs,
        logger,
        stop: stop.signal,
        handBack: handBack.signal,
        clock: p.kernel.get(TOKENS.clock),
        metrics: metrics?.metrics,
      });
      const summary = { worker: workerName('*'), pools: names, done: report.done, part_done: report.partDone, failed_attempts: report.failed, lost: report.lost, handed_back: report.handedBack };
      ctx.print(
        summary,
        () =>
          `worker stopped: ${report.done} done, ${report.partDone} part_done, ${report.failed} failed attempt(s), ${report.lost} lost lease(s), ${report.handedBack} handed back`,
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await executor?.close().catch((e: unknown) => logger.warn(`stopping the training threads failed: ${(e as Error).message}`));
      await metrics?.close();
      await p.close();
    }
  },
};

/** Runs as one of a worker's training threads: the same command line, opened once, trains what the main thread sends. */
async function serveAsThread(ctx: CommandContext): Promise<void> {
  const file = requireConfig(ctx, 'worker');
  const envx = ctx.engine();
  await serveTaskThread(
    async () => {
      const prepared = await prepareConfig(file, envx);
      const p = await openPipeline(prepared);
      return {
        runner: new TaskRunner({ store: p.store, resolver: p.kernel, logger: p.kernel.logger.child('worker') }),
        // A store without task pools still serves an in-process trainer's jobs.
        pools: p.kernel.has(TOKENS.taskPool) ? p.kernel.get(TOKENS.taskPool) : undefined,
        // One child scope per task (a worker slot's run): what the task builds is closed when it ends.
        scopes: p.kernel,
        close: () => p.close(),
      };
    },
    parentPort!,
    envx.logger,
  );
}

function intFlag(ctx: CommandContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.args.flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new QonlineError('QONLINE_USAGE', `--${name} expects an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}
