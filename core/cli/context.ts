import type { PluginManifest } from '../contracts/plugin.js';
import type { EngineEnv } from '../engine/pipeline.js';
import { ConsoleLogger, SilentLogger } from '../kernel/logger.js';
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
}

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  home: { value: true, description: 'Home folder (data, store, reports). Default: $QONLINE_HOME or .qonline' },
  json: { description: 'Print machine-readable JSON on stdout' },
  quiet: { short: 'q', description: 'No progress or log lines' },
  verbose: { short: 'v', description: 'Debug logs; stack traces on errors' },
  help: { short: 'h', description: 'Show help for this command' },
  'trust-plugin': { value: true, multiple: true, description: "Load this plugin file (or the plugins under this folder) although it lies outside the config's folder (repeatable)" },
};

export function makeContext(args: ParsedArgs, io: CliIo, builtins: CommandContext['builtins']): CommandContext {
  const json = Boolean(args.flags['json']);
  const quiet = Boolean(args.flags['quiet']);
  const verbose = Boolean(args.flags['verbose']);
  return {
    args,
    io,
    builtins,
    json,
    engine: () => ({
      builtins,
      logger: quiet ? new SilentLogger() : new ConsoleLogger({ level: verbose ? 'debug' : json ? 'warn' : 'info', write: (l) => io.stderr(l + '\n') }),
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
