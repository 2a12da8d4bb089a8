import type { ComponentSpec } from '../schema/builder.js';
import type { Logger, Progress } from './logger.js';
import type { ComponentKind, ComponentKindMap } from './plugin.js';
import type { StepPipeline } from './step.js';

/** A config opened for a plugin command (`qonline backtest CONFIG`): its pipeline, as steps see it. */
export interface OpenedConfig {
  readonly pipeline: StepPipeline;
  /** The config's `steps:` entries as component specs, with where each sits in the YAML. */
  readonly steps: readonly { spec: ComponentSpec; pointer: string }[];
  /** Builds a component in the config's scope (its plugins, data, store). */
  resolve<K extends ComponentKind>(kind: K, spec: ComponentSpec, pointer?: string): Promise<ComponentKindMap[K]>;
  /** Closes the store, the data and the locks. */
  close(): Promise<void>;
}

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
  /**
   * Builds a component of the installed plugins (e.g. a `dataProvider`
   * `{class: QlibData, kwargs: {uri}}`) in a kernel over the home folder
   * (`--home`); the kernel stops when the command ends.
   */
  resolve<K extends ComponentKind>(kind: K, spec: ComponentSpec, pointer?: string): Promise<ComponentKindMap[K]>;
  /**
   * Loads, validates and opens a pipeline config (`--home` applies) as
   * `qonline run` does; `lock` takes the manager's locks (for commands that write).
   */
  openConfig(file: string, options?: { lock?: boolean }): Promise<OpenedConfig>;
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
