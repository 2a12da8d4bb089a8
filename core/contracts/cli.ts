import type { Logger, Progress } from './logger.js';

export interface CliFlag {
  /** Takes a value (`--at 2020-01-01`); otherwise boolean. */
  value?: boolean;
  /** May repeat (values collected in order). */
  multiple?: boolean;
  short?: string;
  /** The value is a calendar date `YYYY-MM-DD`; the parser refuses anything else (2021-02-30 included) with exit 2. */
  date?: boolean;
  description: string;
}

/** What a plugin-contributed command receives. */
export interface CliCommandContext {
  args: { positionals: string[]; flags: Record<string, string | boolean | string[] | undefined> };
  /** --json was given: print JSON on stdout. */
  json: boolean;
  /** Prints a result: JSON on --json, text otherwise. */
  print(value: unknown, text: () => string): void;
  stdout(s: string): void;
  logger: Logger;
  progress: Progress;
  /** The process environment (a plain record: plugin types compile without @types/node). */
  env: Readonly<Record<string, string | undefined>>;
}

/** A CLI command a plugin adds (e.g. `data import-csv`). */
export interface CliCommand {
  /** One or two words, e.g. `data synth`. */
  name: string;
  usage: string;
  summary: string;
  flags: Record<string, CliFlag>;
  run(ctx: CliCommandContext): Promise<number | void>;
}
