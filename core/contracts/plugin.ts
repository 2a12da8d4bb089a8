import type { ComponentSpec, Static, TSchema } from '../schema/builder.js';
import type { CliCommand } from './cli.js';
import type { Logger } from './logger.js';
import type { SerializedModel } from './model.js';
import type { Token } from './token.js';

/** The plugin API version this core implements; plugins declare the one they need. */
export const PLUGIN_API_VERSION = 1;

export type ComponentKind =
  | 'dataProvider'
  | 'handler'
  | 'processor'
  | 'dataset'
  | 'model'
  | 'taskGenerator'
  | 'strategy'
  | 'trainer'
  | 'ensemble'
  | 'record'
  | 'store'
  | 'step';

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
];

/** What a component factory receives besides its options. */
export interface ComponentContext {
  readonly plugin: string;
  readonly component: string;
  /** Already tagged with plugin/component. */
  readonly logger: Logger;
  /** A dependency by token (declared in `deps`, or a core service). */
  get<T>(token: Token<T>): T;
  /** Builds a nested component the same way the top level does. */
  resolve<T = unknown>(kind: ComponentKind, spec: ComponentSpec, path?: string): Promise<T>;
  /** Whether a token is registered (optional dependencies). */
  has(token: Token<unknown>): boolean;
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

export interface ComponentDefinition<S extends TSchema<any> = TSchema<any>, T = unknown> {
  kind: ComponentKind;
  name: string;
  /** Other names, e.g. Qlib class names such as `LGBModel`. */
  aliases?: string[];
  description: string;
  /** JSON Schema of `kwargs` (build it with `S`, so its type follows). */
  schema: S;
  /** Tokens this component needs; boot fails when one is missing. */
  deps?: Token<unknown>[];
  create(options: Readonly<Static<S>>, ctx: ComponentContext): T | Promise<T>;
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
  /** `dataProvider` components: the DataFacts of the data these options name, read without writing (may throw a QonlineError). */
  describe?(options: Readonly<Static<S>>, ctx: DescribeContext): DataFacts | Promise<DataFacts>;
  /**
   * For `model` components: rebuilds a fitted model from its serialised form
   * (`SerializedModel`), predicting bit-identically.
   */
  restore?(serialized: SerializedModel, ctx: ComponentContext): T | Promise<T>;
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
  components: ComponentDefinition<any, any>[];
  /** CLI commands this plugin adds (e.g. `data import-csv`). */
  commands?: CliCommand[];
  /** Optional set-up, run once at kernel start. */
  register?(ctx: PluginContext): void | Promise<void>;
}

export function definePlugin(manifest: PluginManifest): PluginManifest {
  return Object.freeze({ apiVersion: PLUGIN_API_VERSION, ...manifest });
}

export function defineComponent<S extends TSchema<any>, T>(def: ComponentDefinition<S, T>): ComponentDefinition<S, T> {
  return def;
}
