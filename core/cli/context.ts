import type { PluginManifest } from '../contracts/plugin.js';
import type { EngineEnv } from '../engine/pipeline.js';
import { QonlineError } from '../errors/index.js';
import { ConsoleLogger, JsonLogger, SilentLogger } from '../kernel/logger.js';
import { NullProgress, TerminalProgress } from '../kernel/progress.js';
import { SystemClock } from '../kernel/clock.js';
import { trustedPluginPaths } from '../kernel/plugin-loader.js';
import type { FlagSpec, ParsedArgs } from './args.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface CommandContext {
  args: ParsedArgs;
  io: CliIo;
  builtins: { manifest: PluginManifest; source: string }[];
  /** Engine environment built from the common flags (--home, --json, --quiet, --verbose). */
  engine(): EngineEnv;
  json: boolean;
  /** Prints a result: JSON on --json, text otherwise. */
  print(value: unknown, text: () => string): void;
}

export interface Command {
  /** e.g. `run` or `models list`. */
  name: string;
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  run(ctx: CommandContext): Promise<number | void>;
  /** A long-running process (daemon, worker, serve): its text log lines carry timestamps. */
  longRunning?: boolean;
}

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  home: { value: true, description: 'Home folder (data, store, reports). Default: $QONLINE_HOME or .qonline' },
  json: { description: 'Print machine-readable JSON on stdout' },
  quiet: { short: 'q', description: 'No progress or log lines' },
  verbose: { short: 'v', description: 'Debug logs; stack traces on errors' },
  help: { short: 'h', description: 'Show help for this command' },
  'log-format': { value: true, description: 'Log lines as text (default) or json (one JSON object per line, with a timestamp)' },
  'trust-plugin': { value: true, multiple: true, description: "Load this plugin file (or the plugins under this folder) although it lies outside the config's folder (repeatable)" },
};

export function makeContext(args: ParsedArgs, io: CliIo, builtins: CommandContext['builtins'], options: { longRunning?: boolean } = {}): CommandContext {
  const json = Boolean(args.flags['json']);
  const quiet = Boolean(args.flags['quiet']);
  const verbose = Boolean(args.flags['verbose']);
  const logFormat = (args.flags['log-format'] as string | undefined) ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new QonlineError('QONLINE_USAGE', `--log-format is text or json, got ${JSON.stringify(logFormat)}`);
  const level = verbose ? 'debug' : json ? 'warn' : 'info';
  const write = (l: string): void => io.stderr(l + '\n');
  return {
    args,
    io,
    builtins,
    json,
    engine: () => ({
      builtins,
      logger: quiet
        ? new SilentLogger()
        : logFormat === 'json'
          ? new JsonLogger({ level, write })
          : new ConsoleLogger({ level, write, timestamps: options.longRunning }),
      progress: quiet || json ? new NullProgress() : new TerminalProgress(process.stderr),
      clock: new SystemClock(),
      env: io.env,
      home: typeof args.flags['home'] === 'string' ? (args.flags['home'] as string) : undefined,
      trustedPlugins: trustedPluginPaths(io.env, (args.flags['trust-plugin'] as string[] | undefined) ?? []),
    }),
    print(value, text) {
      if (json) io.stdout(JSON.stringify(value, null, 2) + '\n');
      else io.stdout(text() + '\n');
    },
  };
}
