import type { CliFlag } from '../contracts/cli.js';
import type { ManagerGauges, MetricsEndpoint, ProcessMetrics } from '../contracts/metrics.js';
import { TOKENS } from '../contracts/tokens.js';
import { resolveHome } from '../engine/home.js';
import { QonlineError } from '../errors/index.js';
import { Kernel } from '../kernel/kernel.js';
import type { CommandContext } from './context.js';

/** The flags of the long-running commands that can expose metrics (daemon, worker). */
export const METRICS_FLAGS: Record<string, CliFlag> = {
  'metrics-port': { value: true, description: 'Serve Prometheus metrics at http://HOST:PORT/metrics (0 = any free port; default: no metrics endpoint)' },
  'metrics-host': { value: true, description: 'Interface of the metrics endpoint (default 127.0.0.1, loopback only)' },
};

export interface RunningMetrics {
  metrics: ProcessMetrics;
  endpoint: MetricsEndpoint;
  close(): Promise<void>;
}

/** The --metrics-port/--metrics-host of a command, checked (exit 2) before anything opens; null when no port is asked for. */
export function metricsAddress(ctx: CommandContext): { host: string; port: number } | null {
  const raw = ctx.args.flags['metrics-port'];
  const host = ctx.args.flags['metrics-host'];
  if (raw === undefined) {
    if (host !== undefined) throw new QonlineError('QONLINE_USAGE', '--metrics-host needs --metrics-port');
    return null;
  }
  const port = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || port > 65535) throw new QonlineError('QONLINE_USAGE', `--metrics-port expects a port from 0 to 65535, got ${JSON.stringify(raw)}`);
  return { host: typeof host === 'string' && host ? host : '127.0.0.1', port };
}

/**
 * Starts the metrics endpoint of a daemon or worker: the metrics service
 * comes from the installed plugins (TOKENS.metrics, the built-in metrics
 * plugin), `read` gives the manager's state on each scrape.
 */
export async function startMetrics(ctx: CommandContext, address: { host: string; port: number }, process: string, read: () => Promise<ManagerGauges | null>): Promise<RunningMetrics> {
  const env = ctx.engine();
  // A kernel of the installed plugins only (no config, nothing opened): the service outlives every pipeline the daemon opens.
  const kernel = new Kernel({ plugins: env.builtins, logger: env.logger, progress: env.progress, clock: env.clock, home: resolveHome(env.home, env.env ?? {}, undefined, undefined) });
  await kernel.start();
  try {
    if (!kernel.has(TOKENS.metrics)) throw new QonlineError('QONLINE_USAGE', '--metrics-port needs a plugin that provides metrics (the built-in metrics plugin)');
    const metrics = kernel.get(TOKENS.metrics).create(process);
    const endpoint = await metrics.listen({ ...address, read });
    if (address.host !== '127.0.0.1' && address.host !== '::1' && address.host !== 'localhost') env.logger.warn(`metrics served on ${address.host}: anyone who can reach this address reads them`);
    env.logger.info(`metrics at ${endpoint.url}`);
    return {
      metrics,
      endpoint,
      close: async () => {
        await endpoint.close();
        await kernel.stop();
      },
    };
  } catch (e) {
    await kernel.stop().catch(() => undefined);
    throw e;
  }
}
