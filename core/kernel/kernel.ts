import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { Clock, Logger, Progress } from '../contracts/logger.js';
import type { SerializedModel } from '../contracts/model.js';
import type { ComponentContext, ComponentKind, PluginManifest } from '../contracts/plugin.js';
import type { Token } from '../contracts/token.js';
import { TOKENS } from '../contracts/tokens.js';
import { configError, validateComponentSpec } from '../config/validate.js';
import { deepFreeze } from '../config/load.js';
import { QonlineError, wrapComponentError } from '../errors/index.js';
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
}

/**
 * The composition root of one process: registered plugins, a tsyringe
 * container with explicit tokens, component resolution with validation, and
 * an async start/stop lifecycle for resources (stores, pools).
 */
export class Kernel {
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

  /** A child scope (one pipeline run): its registrations do not leak to the parent. */
  createScope(): Kernel {
    return new Kernel({ plugins: [], logger: this.logger, progress: this.get(TOKENS.progress), clock: this.get(TOKENS.clock), home: this.get(TOKENS.home) }, this);
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

  async stop(): Promise<void> {
    const errors: unknown[] = [];
    while (this.disposables.length) {
      const d = this.disposables.pop()!;
      try {
        await d.dispose();
      } catch (e) {
        errors.push(e);
        this.logger.warn(`closing ${d.name} failed: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Builds a component from `{class, kwargs}`: looks it up, validates its
   * options, checks its dependencies, and calls its factory with frozen options.
   */
  async resolve<T = unknown>(kind: ComponentKind, spec: ComponentSpec, pointer = ''): Promise<T> {
    const problems = validateComponentSpec(kind, spec, pointer, this.registry, this.validator);
    if (problems.length) throw configError(undefined, problems);
    const entry = this.registry.lookup(kind, spec.class, spec.module_path);
    const missing = (entry.def.deps ?? []).filter((t) => !this.has(t));
    if (missing.length) {
      throw new QonlineError(
        'QONLINE_DEPENDENCY_MISSING',
        `${kind} ${entry.def.name} (plugin ${entry.plugin.name}) needs ${missing.map((t) => t.name).join(', ')}, which nothing provides`,
      );
    }
    const options = deepFreeze(structuredClone(spec.kwargs ?? {}));
    const ctx = this.context(entry, pointer);
    try {
      return (await entry.def.create(options, ctx)) as T;
    } catch (e) {
      throw wrapComponentError(e, entry.plugin.name, entry.def.name, 'create');
    }
  }

  /** Rebuilds a fitted model from its serialised form through its component's restore(). */
  async restoreModel<T = unknown>(serialized: SerializedModel): Promise<T> {
    const entry = this.registry.lookup('model', serialized.class);
    if (!entry.def.restore) {
      throw new QonlineError('QONLINE_PLUGIN_INVALID', `model ${entry.def.name} (plugin ${entry.plugin.name}) cannot restore saved models (no restore())`);
    }
    try {
      return (await entry.def.restore(serialized as never, this.context(entry, ''))) as T;
    } catch (e) {
      throw wrapComponentError(e, entry.plugin.name, entry.def.name, 'restore');
    }
  }

  private context(entry: RegisteredComponent, pointer: string): ComponentContext {
    const logger = this.logger.child(`${entry.plugin.name}/${entry.def.name}`);
    return {
      plugin: entry.plugin.name,
      component: entry.def.name,
      logger,
      get: <T>(token: Token<T>) => this.get(token),
      has: (token) => this.has(token),
      resolve: <T>(kind: ComponentKind, spec: ComponentSpec, path?: string) => this.resolve<T>(kind, spec, path ?? pointer),
    };
  }
}
