import type { ComponentSpec, Static, TSchema } from '../schema/builder.js';
import type { ApiRoute, CliCommand } from './cli.js';
import type { DataProvider } from './data.js';
import type { Dataset, Handler, Processor } from './dataset.js';
import type { Logger } from './logger.js';
import type { Model, SerializedModel } from './model.js';
import type { Ensemble, OnlineStrategy, Trainer } from './online.js';
import type { ExperimentStore, ReadOnlyStore } from './store.js';
import type { ReportSection } from './report.js';
import type { TaskGenerator } from './task.js';
import type { TaskRecord } from './record.js';
import type { PipelineStep } from './step.js';
import type { Token } from './token.js';
import type { MigrationSource } from '../store/sql-driver.js';

/**
 * The plugin API version this core implements; plugins declare the one they need.
 * v2: `deps` is a record of tokens and `create` reads them from `ctx.deps`
 * (`ctx.get`/`ctx.has` are gone); kinds are typed by `ComponentKindMap`;
 * components may declare `dispose`; plugins may add kinds (`kinds`).
 * v1 plugins (no `deps`, no `ctx.get`) keep working: see SUPPORTED_PLUGIN_API_VERSIONS.
 */
export const PLUGIN_API_VERSION = 2;

/** Versions a plugin may declare: a v1 plugin that reads no service through `ctx.get` runs unchanged. */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [1, 2];

/**
 * What each kind of component builds. `kernel.resolve('model', spec)` is a
 * `Model`, and so on. Plugins add kinds by declaration merging:
 *
 * ```ts
 * declare module 'qonline/plugin-api' {
 *   interface ComponentKindMap { exchange: Exchange }
 * }
 * ```
 * and list the new kind's name in their manifest's `kinds`.
 */
export interface ComponentKindMap {
  dataProvider: DataProvider;
  handler: Handler;
  processor: Processor;
  dataset: Dataset;
  model: Model;
  taskGenerator: TaskGenerator;
  strategy: OnlineStrategy;
  trainer: Trainer;
  ensemble: Ensemble;
  store: ExperimentStore;
  /** A task record (core/contracts/record.ts). */
  record: TaskRecord;
  /** A pipeline step (core/contracts/step.ts). */
  step: PipelineStep;
  /** What a plugin adds to `qonline report` (core/contracts/report.ts). */
  reportSection: ReportSection;
}

export type ComponentKind = keyof ComponentKindMap & string;

/** The kinds core knows; plugins add more through `PluginManifest.kinds`. */
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'dataProvider',
  'handler',
  'processor',
  'dataset',
  'model',
  'taskGenerator',
  'strategy',
  'trainer',
  'ensemble',
  'record',
  'store',
  'step',
  'reportSection',
];

/** A dependency the component can do without: `ctx.deps.x` is `undefined` when nothing provides it. */
export interface OptionalDep<T> {
  readonly token: Token<T>;
  readonly optional: true;
}

/** Marks a dependency optional: `deps: { threads: optionalDep(TOKENS.taskThreads) }`. */
export function optionalDep<T>(token: Token<T>): OptionalDep<T> {
  return Object.freeze({ token, optional: true as const });
}

/** What a component declares it needs: a name per token. */
export type DepsSpec = Readonly<Record<string, Token<any> | OptionalDep<any>>>;

/** The typed record `create` receives for a `deps` declaration. */
export type DepsOf<D extends DepsSpec> = {
  readonly [K in keyof D]: D[K] extends OptionalDep<infer T> ? T | undefined : D[K] extends Token<infer T> ? T : never;
};

/** What a component factory receives besides its options. */
export interface ComponentContext<D extends DepsSpec = DepsSpec> {
  readonly plugin: string;
  readonly component: string;
  /** Already tagged with plugin/component. */
  readonly logger: Logger;
  /** Exactly the services declared in `deps` (optional ones may be undefined); nothing else can be read. */
  readonly deps: DepsOf<D>;
  /** Builds a nested component the same way the top level does. */
  resolve<K extends ComponentKind>(kind: K, spec: ComponentSpec, path?: string): Promise<ComponentKindMap[K]>;
}

/**
 * What a data provider answers about its data from its options alone, at
 * `validate` (nothing generated, nothing written). `null` = not known.
 */
export interface DataFacts {
  /** Raw field names, without `$` (`close`, `volume`, ...). */
  fields: readonly string[] | null;
  /** Market names a handler's `instruments:` may use. */
  markets: readonly string[] | null;
  /** First and last calendar dates and the number of dates. */
  calendar: { first: string; last: string; length: number } | null;
  /** Expression semantics of the provider (`qlib` accepts Qlib-only forms such as EMA(x, 0)); absent = default. */
  expressions?: 'default' | 'qlib';
}

/** A problem `check` finds in a component's options; `path` is a JSON pointer inside the options (`/features/RET1`). */
export interface OptionProblem {
  path: string;
  message: string;
  hint?: string;
}

/** What `check` receives besides the (schema-valid) options. */
export interface CheckContext {
  readonly plugin: string;
  readonly component: string;
  /** What the config's data provider answers (DataFacts). */
  readonly data: DataFacts;
  /**
   * Checks a nested component the schema does not mark as one (e.g. a
   * processor named by a bare string): its class, its options and its own
   * `check`. `path` is a JSON pointer inside these options.
   */
  checkComponent(kind: ComponentKind, spec: unknown, path: string): Promise<void>;
}

/** What a data provider's `describe` receives. */
export interface DescribeContext {
  /** The home folder (not created by validate). */
  readonly home: string;
  /** The config file's folder. */
  readonly configDir: string;
}

export interface ComponentDefinition<S extends TSchema<any> = TSchema<any>, T = unknown, D extends DepsSpec = DepsSpec> {
  kind: ComponentKind;
  name: string;
  /** Other names, e.g. Qlib class names such as `LGBModel`. */
  aliases?: string[];
  description: string;
  /** JSON Schema of `kwargs` (build it with `S`, so its type follows); the kernel validates options against it once. */
  schema: S;
  /** Services this component needs, by name; boot fails when a required one is missing. */
  deps?: D;
  create(options: Readonly<Static<S>>, ctx: ComponentContext<D>): T | Promise<T>;
  /**
   * Releases what an instance owns (files, connections, threads). The kernel
   * calls it when the scope that built the instance ends, in reverse order of
   * creation.
   */
  dispose?(instance: T): void | Promise<void>;
  /**
   * True when `dispose` needs nothing the components created before this one
   * own, and they need nothing of it while they close (a store closing its
   * own connections): the scope starts it, then goes on disposing the older
   * components while it finishes, and waits for all. A SQLite store's
   * closing checkpoint (disk syncs) then overlaps the data provider's cache
   * flush. Failures are reported as for any disposer.
   */
  disposeAlongside?: boolean;
  /**
   * Optional checks beyond the schema, run by `qonline validate` and before
   * `run` writes anything: dates in order, expressions, names the data must
   * know. Must not open, generate or write anything. Returns every problem.
   */
  check?(options: Readonly<Static<S>>, ctx: CheckContext): OptionProblem[] | Promise<OptionProblem[]>;
  /**
   * `store` components: whether the store these options name already exists
   * (read-only commands refuse to create one). Must not create anything.
   */
  exists?(options: Readonly<Static<S>>, ctx: DescribeContext): boolean | Promise<boolean>;
  /**
   * `store` components: opens the existing store for reading without
   * creating, migrating or writing anything (`qonline doctor`); null when
   * there is no store there.
   */
  openReadOnly?(options: Readonly<Static<S>>, ctx: DescribeContext): Promise<ReadOnlyStore | null>;
  /** `dataProvider` components: the DataFacts of the data these options name, read without writing (may throw a QonlineError). */
  describe?(options: Readonly<Static<S>>, ctx: DescribeContext): DataFacts | Promise<DataFacts>;
  /**
   * `dataProvider` components: the trading dates of the data as it is on
   * disk (ascending), read without generating or writing anything
   * (`qonline doctor`); null when the data does not exist yet (a provider
   * that creates it on first use).
   */
  tradingDays?(options: Readonly<Static<S>>, ctx: DescribeContext): readonly string[] | null | Promise<readonly string[] | null>;
  /**
   * For `model` components: rebuilds a fitted model from its serialised form
   * (`SerializedModel`), predicting bit-identically.
   */
  restore?(serialized: SerializedModel, ctx: ComponentContext<D>): T | Promise<T>;
}

export interface PluginContext {
  readonly logger: Logger;
  /** Provides a service under a token (e.g. a store opened during start). */
  provide<T>(token: Token<T>, factory: () => T | Promise<T>, dispose?: (value: T) => Promise<void> | void): void;
}

export interface PluginManifest {
  name: string;
  version: string;
  /** Plugin-API version this plugin was written against. */
  apiVersion?: number;
  description?: string;
  /** Component kinds this plugin introduces (typed through `ComponentKindMap` merging). */
  kinds?: string[];
  components: ComponentDefinition<any, any, any>[];
  /** CLI commands this plugin adds (e.g. `data import-csv`). */
  commands?: CliCommand[];
  /** HTTP API routes this plugin adds to `qonline serve`. */
  apiRoutes?: ApiRoute[];
  /** Optional set-up, run once at kernel start. */
  register?(ctx: PluginContext): void | Promise<void>;
  /**
   * Store migrations the plugin applies itself when first used (not on
   * every store open), by owner: `qonline doctor` checks them, read-only,
   * in stores that have them.
   */
  migrationsOnUse?: Readonly<Record<string, MigrationSource>>;
}

export function definePlugin(manifest: PluginManifest): PluginManifest {
  return Object.freeze({ apiVersion: PLUGIN_API_VERSION, ...manifest });
}

/**
 * Declares a component. Its options type follows its schema, its `ctx.deps`
 * follows its `deps`, and what `create` returns must fit its kind.
 */
export function defineComponent<K extends ComponentKind, S extends TSchema<any>, T extends ComponentKindMap[K], D extends DepsSpec = {}>(
  def: ComponentDefinition<S, T, D> & { kind: K },
): ComponentDefinition<S, T, D> & { kind: K } {
  return def;
}
