import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { TaskExecutor } from '../../contracts/task-pool.js';
import { ThreadExecutor } from '../../engine/task-thread.js';
import { QonlineError } from '../../errors/index.js';
import type { CommandContext } from '../context.js';

export function requireConfig(ctx: CommandContext, command: string): string {
  const file = ctx.args.positionals[0];
  if (!file) throw new QonlineError('QONLINE_USAGE', `${command} needs a config file: qonline ${command} CONFIG`);
  if (ctx.args.positionals.length > 1) throw new QonlineError('QONLINE_USAGE', `unexpected argument ${JSON.stringify(ctx.args.positionals[1])}`);
  return file;
}

/** Pads columns of a text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The built CLI this process runs (training threads run it too); null when running from source (tests), where training stays in process. */
export function threadScript(): string | null {
  const entry = process.argv[1];
  if (!entry) return null;
  try {
    const real = realpathSync(entry);
    return /\.(m?js|cjs)$/.test(real) && existsSync(real) ? real : null;
  } catch {
    return null;
  }
}

/**
 * TOKENS.taskThreads for a step of CONFIG: a training thread that runs
 * `qonline worker CONFIG` with this process's home and log flags, so a
 * manager that trains pool tasks itself renews their leases from a free
 * event loop. Undefined when running from source.
 */
export function taskThreadsFor(ctx: CommandContext, file: string): (() => TaskExecutor) | undefined {
  const script = threadScript();
  if (!script) return undefined;
  // Same cwd and environment: the thread resolves the same home from the same flag.
  const argv = ['worker', path.resolve(file)];
  const home = ctx.args.flags['home'];
  if (typeof home === 'string') argv.push('--home', path.resolve(home));
  if (ctx.args.flags['quiet']) argv.push('--quiet');
  if (ctx.args.flags['verbose']) argv.push('--verbose');
  // The thread loads the same plugins: it needs the same consent for those outside the config's folder.
  for (const t of (ctx.args.flags['trust-plugin'] as string[] | undefined) ?? []) argv.push('--trust-plugin', path.resolve(t));
  const logFormat = ctx.args.flags['log-format'];
  if (typeof logFormat === 'string') argv.push('--log-format', logFormat);
  const logger = ctx.engine().logger;
  return () => new ThreadExecutor({ script, argv, logger });
}
