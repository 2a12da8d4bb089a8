import type { ScheduledTask } from 'node-cron';
import { checkSchedule } from '../config/check.js';
import type { EngineMetrics } from '../contracts/metrics.js';
import type { TaskExecutor } from '../contracts/task-pool.js';
import { QonlineError, isQonlineError } from '../errors/index.js';
import type { StepReport } from '../online/online-manager.js';
import { openPipeline, prepareConfig, type EngineEnv } from './pipeline.js';
import { runStep } from './run.js';

export interface DaemonOptions {
  configFile: string;
  envx: EngineEnv;
  /** Cron expression; default: the config's `daemon.schedule`. */
  schedule?: string;
  timezone?: string;
  /** Run a routine at start when the last one is older than the latest data (default: config, else true). */
  catchUp?: boolean;
  /** Stop after this many routine runs (tests, cron-less one-shots). */
  maxRuns?: number;
  /** Aborting stops the schedule; a running routine finishes first. */
  signal?: AbortSignal;
  onRun?: (report: StepReport | null, error: unknown) => void;
  /** Runs after each successful routine when the config says `daemon: {trade: true}` (the CLI runs `qonline trade run`). */
  afterRoutine?: () => Promise<void>;
  /** Threads for pool trainers that train locally (see OpenOptions.taskThreads). */
  taskThreads?: () => TaskExecutor;
  /** Updated while the daemon runs: what it is doing now (null when idle), for a forced exit to report what it abandons. */
  status?: { current: string | null };
  /** Told how long each routine run and its steps took (`--metrics-port`). */
  metrics?: EngineMetrics;
}

/**
 * Runs the routine on a cron schedule: never two at once (in this process by
 * a flag, across processes by the home lock), catching up after downtime,
 * and stopping cleanly (the running routine completes, nothing is cut).
 * Each run opens the pipeline afresh, so data that grew since the last run
 * (a longer calendar) is seen without a restart.
 */
export async function runDaemon(o: DaemonOptions): Promise<{ runs: number; failures: number }> {
  const prepared = await prepareConfig(o.configFile, o.envx);
  const cfg = prepared.pipeline.daemon;
  const expr = o.schedule ?? cfg?.schedule;
  if (!expr) throw new QonlineError('QONLINE_USAGE', 'no schedule: give --schedule or a `daemon: {schedule: ...}` block in the config');
  const timezone = o.timezone ?? cfg?.timezone;
  // Checked before the catch-up run: an unknown zone must not surface only when the schedule starts.
  const bad = await checkSchedule(expr, timezone ?? undefined);
  const { schedule: cronSchedule } = await import('node-cron');
  if (bad.length) throw new QonlineError('QONLINE_USAGE', bad.map((p) => p.message).join('; '), { hint: bad[0]!.hint });
  const logger = o.envx.logger.child('daemon');
  let runs = 0;
  let failures = 0;
  let running: Promise<void> | null = null;
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));

  const runOnce = async (why: string): Promise<void> => {
    if (running || stopped) {
      if (running) logger.warn(`skipping the ${why} run: the previous routine is still running`);
      return;
    }
    running = (async () => {
      if (o.status) o.status.current = `the ${why} routine of manager ${prepared.pipeline.manager.name} started at ${new Date().toISOString()}`;
      let report: StepReport | null = null;
      let error: unknown = null;
      const steps: Record<string, number> = {};
      const t0 = performance.now();
      try {
        const p = await openPipeline(await prepareConfig(o.configFile, o.envx), { lock: true, taskThreads: o.taskThreads });
        steps['open'] = (performance.now() - t0) / 1000;
        let failed = false;
        try {
          report = await runStep(p, { step: 'routine', at: null });
          logger.info(`${why} routine @ ${report.curTime}: ${report.skipped ? 'nothing to do (' + report.skipped + ')' : `${report.trained} model(s) trained, ${report.signalDates} signal date(s) written`}`);
        } catch (e) {
          failed = true;
          throw e;
        } finally {
          // The run's scope is closed after every routine; a close failure never hides the routine's own error.
          await p.close().catch((c: unknown) => {
            if (!failed) throw c;
            logger.error(`closing after the failed ${why} routine: ${(c as Error).message}`);
          });
        }
        Object.assign(steps, report.timings);
        if (cfg?.trade && o.afterRoutine) {
          const t = performance.now();
          await o.afterRoutine();
          steps['trade'] = (performance.now() - t) / 1000;
        }
      } catch (e) {
        error = e;
        failures++;
        logger.error(`${why} routine failed: ${isQonlineError(e) ? `${e.code}: ${e.message}` : (e as Error).message}`);
      }
      o.metrics?.routineEnded({ manager: prepared.pipeline.manager.name, ok: error === null, seconds: (performance.now() - t0) / 1000, steps });
      runs++;
      if (o.status) o.status.current = null;
      o.onRun?.(report, error);
      if (o.maxRuns !== undefined && runs >= o.maxRuns) stop();
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };

  let task: ScheduledTask | null = null;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    void task?.stop();
    void (running ?? Promise.resolve()).then(() => finish());
  };
  o.signal?.addEventListener('abort', stop, { once: true });

  logger.info(`scheduled ${JSON.stringify(expr)}${timezone ? ` (${timezone})` : ''} for manager ${prepared.pipeline.manager.name}`);
  if (o.catchUp ?? cfg?.catch_up ?? true) await runOnce('catch-up');
  if (!stopped) {
    task = cronSchedule(expr, () => runOnce('scheduled'), { timezone, noOverlap: true, name: `qonline:${prepared.pipeline.manager.name}` });
  }
  await done;
  await task?.destroy();
  return { runs, failures };
}
