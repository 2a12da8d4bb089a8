// tsyringe checks for the Reflect metadata polyfill when it loads; both are bundled into dist/, and this
// import keeps the polyfill first whichever entry (CLI, library, worker) loads the kernel.
import 'reflect-metadata';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { Clock, Logger, Progress } from '../contracts/logger.js';
import type { Model, SerializedModel } from '../contracts/model.js';
import type { ComponentContext, ComponentKind, ComponentKindMap, DepsSpec, OptionalDep, PluginManifest } from '../contracts/plugin.js';
import type { Resolver } from '../contracts/online.js';
import type { Token } from '../contracts/token.js';
import { TOKENS } from '../contracts/tokens.js';
import { configError, validateComponentSpec } from '../config/validate.js';
import { deepFreeze } from '../config/load.js';
import { QonlineError, wrapComponentError } from '../errors/index.js';
import { guardComponent, guardModel } from './component-guards.js';
import type { ComponentSpec } from '../schema/builder.js';
import { ComponentRegistry, type RegisteredComponent } from './registry.js';
import { SchemaValidator } from './validator.js';

export interface KernelOptions {
  plugins: { manifest: PluginManifest; source: string }[];
  logger: Logger;
  progress: Progress;
  clock: Clock;
  home: string;
}

interface Disposable {
  name: string;
  dispose: () => Promise<void> | void;
  /** The component's `disposeAlongside`: the older ones are disposed while this one finishes. */
  alongside?: boolean;
}

/**
 * The composition root: registered plugins, a tsyringe container with typed
 * tokens, and the one way components are built (`resolve`): look up the
 * class, validate its options once, hand `create` exactly its declared
 * dependencies, and remember how to dispose what it built.
 *
 * A kernel is a scope: `createScope()` gives a child (one `run`, one worker
 * slot, one `serve`) with its own tsyringe child container; `stop()` closes
 * what the scope built or was given, in reverse order of creation, and
 * reports every failure together.
 */
export class Kernel implements Resolver {
  readonly registry: ComponentRegistry;
  readonly validator: SchemaValidator;
  readonly logger: Logger;
  private readonly container: DependencyContainer;
  private readonly disposables: Disposable[] = [];
  private readonly pendingProviders: { token: Token<unknown>; factory: () => unknown; dispose?: (v: unknown) => unknown; plugin: string }[] = [];
  private started = false;

  constructor(options: KernelOptions, parent?: Kernel) {
    this.logger = options.logger;
    if (parent) {
      this.registry = parent.registry;
      this.validator = parent.validator;
      this.container = parent.container.createChildContainer();
      return;
    }
    this.registry = new ComponentRegistry();
    this.registry.registerAll(options.plugins);
    this.validator = new SchemaValidator();
    // One root container per kernel; never the global one itself.
    this.container = globalContainer.createChildContainer();
    this.provideValue(TOKENS.logger, options.logger);
    this.provideValue(TOKENS.progress, options.progress);
    this.provideValue(TOKENS.clock, options.clock);
    this.provideValue(TOKENS.home, options.home);
  }

  /** A child scope (one pipeline run, one worker slot): its registrations and resources do not leak to the parent. */
  createScope(): Kernel {
    const scope = new Kernel({ plugins: [], logger: this.logger, progress: this.get(TOKENS.progress), clock: this.get(TOKENS.clock), home: this.get(TOKENS.home) }, this);
    scope.provideValue(TOKENS.resolver, scope);
    return scope;
  }

  provideValue<T>(token: Token<T>, value: T): void {
    this.container.register(token.key, { useValue: value });
  }

  /** Registers a value and a disposer run by stop(), in reverse order. */
  provideResource<T>(token: Token<T>, value: T, name: string, dispose?: (value: T) => Promise<void> | void): void {
    this.provideValue(token, value);
    if (dispose) this.disposables.push({ name, dispose: () => dispose(value) });
  }

  has(token: Token<unknown>): boolean {
    return this.container.isRegistered(token.key, true);
  }

  /** A service of this scope (engine code only: components receive theirs through `ctx.deps`). */
  get<T>(token: Token<T>): T {
    if (!this.has(token)) {
      throw new QonlineError('QONLINE_DEPENDENCY_MISSING', `no service is registered for ${token.name}`, {
        hint: 'a plugin providing it must be loaded, or the kernel must be started first',
      });
    }
    return this.container.resolve<T>(token.key);
  }

  /** Runs each plugin's register() hook and opens the resources they provide. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const { manifest } of this.registry.pluginList()) {
      if (!manifest.register) continue;
      try {
        await manifest.register({
          logger: this.logger.child(manifest.name),
          provide: (token, factory, dispose) =>
            this.pendingProviders.push({ token, factory, dispose: dispose as (v: unknown) => unknown, plugin: manifest.name }),
        });
      } catch (e) {
        throw wrapComponentError(e, manifest.name, '(plugin)', 'register');
      }
    }
    for (const p of this.pendingProviders) {
      try {
        const value = await p.factory();
        this.provideResource(p.token, value, `${p.plugin}:${p.token.name}`, p.dispose as (v: unknown) => Promise<void>);
      } catch (e) {
        throw wrapComponentError(e, p.plugin, p.token.name, 'start');
      }
    }
  }

  /**
   * Ends the scope: disposes everything it built or was given, newest first.
   * Every disposer runs; failures are collected and thrown together
   * (QONLINE_COMPONENT_FAILED, phase `dispose`, one detail line each).
   */
  async stop(): Promise<void> {
    // One outcome per disposer, in disposal order: a failure, or null. A disposer marked `alongside`
    // (disposeAlongside) is not waited for before the older ones start; all are awaited here.
    const outcomes: Promise<{ name: string; error: unknown } | null>[] = [];
    while (this.disposables.length) {
      const d = this.disposables.pop()!;
      let done: Promise<unknown>;
      try {
        done = Promise.resolve(d.dispose());
      } catch (e) {
        done = Promise.reject(e);
      }
      const outcome = done.then(
        () => null,
        (error: unknown) => ({ name: d.name, error }),
      );
      outcomes.push(outcome);
      if (!d.alongside) await outcome;
    }
    const errors = (await Promise.all(outcomes)).filter((x): x is { name: string; error: unknown } => x !== null);
    if (errors.length) {
      const lines = errors.map((x) => `closing ${x.name} failed: ${x.error instanceof Error ? x.error.message : String(x.error)}`);
      throw new QonlineError('QONLINE_COMPONENT_FAILED', lines.length === 1 ? lines[0]! : `${lines.length} resources failed to close: ${lines.join('; ')}`, {
        cause: errors.length === 1 ? errors[0]!.error : new AggregateError(errors.map((x) => x.error)),
        details: lines,
        phase: 'dispose',
      });
    }
  }

  /**
   * Builds a component from `{class, kwargs}`: looks it up, validates its
   * options (once: specs validated with their parent are not checked again),
   * hands `create` its declared dependencies, and registers its disposer.
   */
  async resolve<K extends ComponentKind>(kind: K, spec: ComponentSpec, pointer = ''): Promise<ComponentKindMap[K]> {
    const { entry, options, ctx } = this.prepare(kind, spec, pointer);
    let made: unknown;
    try {
      made = await entry.def.create(options, ctx);
    } catch (e) {
      throw wrapComponentError(e, entry.plugin.name, entry.def.name, 'create');
    }
    this.track(entry, made);
    return guardComponent(kind, made, entry.plugin.name, entry.def.name) as ComponentKindMap[K];
  }

  /**
   * `resolve` for components whose factory is synchronous (models,
   * processors): the library helpers (`createModel`, processors used
   * standalone) return the instance directly.
   */
  resolveSync<K extends ComponentKind>(kind: K, spec: ComponentSpec, pointer = ''): ComponentKindMap[K] {
    const { entry, options, ctx } = this.prepare(kind, spec, pointer);
    let made: unknown;
    try {
      made = entry.def.create(options, ctx);
    } catch (e) {
      throw wrapComponentError(e, entry.plugin.name, entry.def.name, 'create');
    }
    if (made instanceof Promise) {
      made.catch(() => undefined);
      throw new QonlineError('QONLINE_INTERNAL', `${kind} ${entry.def.name} (plugin ${entry.plugin.name}) is built asynchronously; use resolve()`);
    }
    this.track(entry, made);
    return guardComponent(kind, made, entry.plugin.name, entry.def.name) as ComponentKindMap[K];
  }

  /** Rebuilds a fitted model from its serialised form through its component's restore(). */
  async restoreModel(serialized: SerializedModel): Promise<Model> {
    const made = this.restoreWith(serialized);
    return made instanceof Promise ? await made : made;
  }

  /** restoreModel for synchronous restore() factories. */
  restoreModelSync(serialized: SerializedModel): Model {
    const made = this.restoreWith(serialized);
    if (made instanceof Promise) {
      made.catch(() => undefined);
      throw new QonlineError('QONLINE_INTERNAL', `model ${serialized.class} is restored asynchronously; use restoreModel()`);
    }
    return made;
  }

  private restoreWith(serialized: SerializedModel): Model | Promise<Model> {
    const entry = this.registry.lookup('model', serialized.class);
    if (!entry.def.restore) {
      throw new QonlineError('QONLINE_PLUGIN_INVALID', `model ${entry.def.name} (plugin ${entry.plugin.name}) cannot restore saved models (no restore())`);
    }
    // The saved options go through the same one check as a model built from YAML.
    const spec = deepFreeze(structuredClone({ class: serialized.class, kwargs: serialized.kwargs ?? {} })) as ComponentSpec;
    const problems = validateComponentSpec('model', spec, '', this.registry, this.validator);
    if (problems.length) throw configError(undefined, problems);
    const wrap = (e: unknown) => wrapComponentError(e, entry.plugin.name, entry.def.name, 'restore');
    try {
      const made = entry.def.restore(serialized as never, this.context(entry, '')) as Model | Promise<Model>;
      const guard = (m: Model): Model => guardModel(m, entry.plugin.name, entry.def.name);
      // A restored model is disposed with its scope like a created one.
      if (!(made instanceof Promise)) {
        this.track(entry, made);
        return guard(made);
      }
      return made.then(
        (m) => {
          this.track(entry, m);
          return guard(m);
        },
        (e: unknown) => Promise.reject(wrap(e)),
      );
    } catch (e) {
      throw wrap(e);
    }
  }

  private prepare(kind: ComponentKind, spec: ComponentSpec, pointer: string): { entry: RegisteredComponent; options: Readonly<Record<string, unknown>>; ctx: ComponentContext } {
    // Frozen options are handed over as they are (a validated config is frozen), so nested specs keep their
    // identity and are known to be valid already; anything else is copied and frozen first, then validated.
    const frozen = Object.isFrozen(spec) && (spec.kwargs === undefined || Object.isFrozen(spec.kwargs));
    const s = frozen ? spec : (deepFreeze(structuredClone(spec)) as ComponentSpec);
    if (!this.validator.isValidated(s)) {
      const problems = validateComponentSpec(kind, s, pointer, this.registry, this.validator);
      if (problems.length) throw configError(undefined, problems);
    }
    const entry = this.registry.lookup(kind, s.class, s.module_path);
    const options = s.kwargs ?? EMPTY;
    return { entry, options, ctx: this.context(entry, pointer) };
  }

  private track(entry: RegisteredComponent, made: unknown): void {
    const dispose = entry.def.dispose;
    if (dispose) this.disposables.push({ name: `${entry.plugin.name}/${entry.def.name}`, dispose: () => dispose.call(entry.def, made), alongside: entry.def.disposeAlongside === true });
  }

  /** The declared dependencies, and nothing else. */
  private deps(entry: RegisteredComponent): Record<string, unknown> {
    const declared = (entry.def.deps ?? {}) as DepsSpec;
    const out: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const [name, dep] of Object.entries(declared)) {
      const optional = isOptionalDep(dep);
      const token = optional ? dep.token : (dep as Token<unknown>);
      if (this.has(token)) out[name] = this.get(token);
      else if (optional) out[name] = undefined;
      else missing.push(token.name);
    }
    if (missing.length) {
      throw new QonlineError(
        'QONLINE_DEPENDENCY_MISSING',
        `${entry.def.kind} ${entry.def.name} (plugin ${entry.plugin.name}) needs ${missing.join(', ')}, which nothing provides`,
      );
    }
    return Object.freeze(out);
  }

  private context(entry: RegisteredComponent, pointer: string): ComponentContext {
    const logger = this.logger.child(`${entry.plugin.name}/${entry.def.name}`);
    return {
      plugin: entry.plugin.name,
      component: entry.def.name,
      logger,
      deps: this.deps(entry) as ComponentContext['deps'],
      resolve: <K extends ComponentKind>(kind: K, spec: ComponentSpec, path?: string) => this.resolve(kind, spec, path ?? pointer),
    };
  }
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function isOptionalDep(dep: unknown): dep is OptionalDep<unknown> {
  return typeof dep === 'object' && dep !== null && (dep as { optional?: unknown }).optional === true && 'token' in dep;
}
