import type { ComponentSpec } from '../schema/builder.js';
import type { Logger, Progress } from './logger.js';
import type { ComponentKind, ComponentKindMap } from './plugin.js';
import type { ExperimentStore } from './store.js';
import type { TaskPoolProvider } from './task-pool.js';
import type { StepPipeline } from './step.js';
import type { ReportSectionData } from './report.js';

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
  /**
   * Opens a pipeline config's store and manager for reading (no home lock),
   * e.g. for a server or a report. Optional: hosts that cannot open configs omit it.
   */
  openManager?(configFile: string): Promise<OpenedManager>;
}

/** A config's store and manager, opened read-only by `CliCommandContext.openManager`. */
export interface OpenedManager {
  home: string;
  manager: string;
  /** The config's strategy names (= experiment names). */
  strategies: string[];
  store: ExperimentStore;
  /** The store's task pools, when it hosts them. */
  taskPools?: TaskPoolProvider;
  /** Which recorder served each date: strategy -> date -> recorder id (the signal definition). */
  servedBy(dates: string[]): Promise<Map<string, Map<string, string>>>;
  /** Writes (each takes the home and manager locks for its duration, then releases them). */
  rollback(strategy: string, to: string, effective: string | null): Promise<unknown>;
  setOnline(strategy: string, recorderIds: string[], effective: string | null): Promise<unknown>;
  /** HTTP API routes the installed plugins contribute (`PluginManifest.apiRoutes`), for a server to mount. */
  apiRoutes?: { plugin: string; route: ApiRoute }[];
  /** What the installed `reportSection` components add to the manager's report (e.g. a stored backtest). */
  reportSections?(): Promise<ReportSectionData[]>;
  close(): Promise<void>;
}

/**
 * An HTTP API route a plugin adds to `qonline serve` (e.g. `/api/users`).
 * The server validates the request against `schema`, adds the state-version
 * and ETag headers, and mounts `write` routes only with --allow-writes and
 * the bearer token.
 */
export interface ApiRoute {
  method: 'GET' | 'POST';
  /**
   * Starts with /api/; a page: any path, with `contentType: 'text/html'`
   * (served under a content-security policy: no inline script or style);
   * a page's stylesheet or script: a GET under /assets/ with `contentType`
   * `text/css` or `text/javascript`. `:name` marks a path parameter.
   */
  url: string;
  schema: { summary: string; querystring?: object; params?: object; body?: object; response?: Record<number, object> };
  /** The handler returns this content as a string (default: JSON, serialised through `schema.response`). */
  contentType?: string;
  write?: boolean;
  handler(ctx: { store: ExperimentStore; manager: string; strategies: string[]; params: Record<string, string>; query: Record<string, string>; body: unknown }): Promise<unknown>;
}

/** A CLI command a plugin adds (e.g. `data import-csv`). */
export interface CliCommand {
  /** One or two words, e.g. `data synth`. */
  name: string;
  usage: string;
  summary: string;
  flags: Record<string, CliFlag>;
  /** A server or loop: text log lines carry a timestamp. */
  longRunning?: boolean;
  run(ctx: CliCommandContext): Promise<number | void>;
}
