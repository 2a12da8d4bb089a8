import { QonlineError } from '../../errors/index.js';
import { runDaemon } from '../../engine/daemon.js';
import { readManagerGauges } from '../../engine/manager-gauges.js';
import { openStoreOnly } from '../../engine/pipeline.js';
import { isTaskPoolHost } from '../../contracts/task-pool.js';
import { metricsAddress, METRICS_FLAGS, startMetrics } from '../metrics-endpoint.js';
import type { Command } from '../context.js';
// the trading day is a plugin command (users plugin), run at run time through the CLI's entry
import { main } from '../main.js';
import { requireConfig, taskThreadsFor } from './shared.js';

export const daemonCommand: Command = {
  name: 'daemon',
  longRunning: true,
  usage: 'daemon CONFIG [--schedule CRON] [--timezone TZ] [--no-catch-up] [--max-runs N] [--metrics-port PORT]',
  summary: 'Run the routine on a cron schedule (never two at once, catching up after downtime, stopping cleanly on SIGINT/SIGTERM)',
  flags: {
    schedule: { value: true, description: 'Cron expression (default: the config\u2019s daemon.schedule), e.g. "0 18 * * 1-5"' },
    timezone: { value: true, description: "The exchange's IANA timezone, e.g. Asia/Shanghai" },
    'no-catch-up': { description: 'Do not run a routine at start for missed days' },
    'max-runs': { value: true, description: 'Exit after this many routine runs' },
    ...METRICS_FLAGS,
  },
  async run(ctx) {
    const file = requireConfig(ctx, 'daemon');
    const maxRuns = ctx.args.flags['max-runs'] as string | undefined;
    if (maxRuns !== undefined && !/^\d+$/.test(maxRuns)) throw new QonlineError('QONLINE_USAGE', '--max-runs expects a positive integer');
    const address = metricsAddress(ctx);
    // The store is opened for the metrics at the first scrape (the catch-up run may be creating it) and kept open.
    let reader: ReturnType<typeof openStoreOnly> | null = null;
    const read = async () => {
      reader ??= openStoreOnly(ctx.engine(), file).catch((e: unknown) => {
        reader = null;
        throw e;
      });
      const r = await reader;
      return readManagerGauges(r.store, r.managerName!, isTaskPoolHost(r.store) ? r.store.taskPools() : undefined);
    };
    const metrics = address ? await startMetrics(ctx, address, 'daemon', read) : null;
    const ac = new AbortController();
    const logger = ctx.engine().logger.child('daemon');
    const status: { current: string | null } = { current: null };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (!ac.signal.aborted) {
        logger.warn(`received ${sig}: ${status.current ? `finishing ${status.current}` : 'no routine is running'}, then exiting (send it again to stop at once)`);
        ac.abort();
        return;
      }
      // A second signal: stop now and say what is left unfinished (its committed steps stay; the next run resumes from them).
      logger.error(
        `received ${sig} again: exiting at once, abandoning ${status.current ?? 'nothing (no routine was running)'}` +
          (status.current ? '; what it committed stays, and the next run or daemon start picks up the rest' : ''),
      );
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const result = await runDaemon({
      metrics: metrics?.metrics,
      status,
      configFile: file,
      envx: ctx.engine(),
      schedule: ctx.args.flags['schedule'] as string | undefined,
      timezone: ctx.args.flags['timezone'] as string | undefined,
      catchUp: ctx.args.flags['no-catch-up'] ? false : undefined,
      maxRuns: maxRuns === undefined ? undefined : Number(maxRuns),
      signal: ac.signal,
      taskThreads: taskThreadsFor(ctx, file),
      afterRoutine: async () => {
        if (!ctx.builtins.some((b) => b.manifest.commands?.some((c) => c.name === 'trade run'))) throw new QonlineError('QONLINE_USAGE', 'daemon.trade is set but no plugin provides `trade run` (the users plugin)');
        const home = ctx.args.flags['home'];
        // the trading day's output goes to stderr: stdout carries the daemon's result
        const code = await main(['trade', 'run', '--config', file, ...(typeof home === 'string' ? ['--home', home] : [])], ctx.builtins, { ...ctx.io, stdout: ctx.io.stderr });
        if (code !== 0) throw new QonlineError('QONLINE_TASK_FAILED', `the trading day after the routine failed (qonline trade run exited ${code})`);
      },
    }).finally(async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await metrics?.close();
      const opened = await (reader as ReturnType<typeof openStoreOnly> | null)?.catch(() => null);
      await opened?.close();
    });
    ctx.print(result, () => `daemon stopped after ${result.runs} run(s), ${result.failures} failed`);
    return result.failures && result.runs === result.failures ? 1 : 0;
  },
};
