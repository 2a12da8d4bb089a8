import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Calendar } from '../calendar/calendar.js';
import type { DataProvider } from '../contracts/data.js';
import type { Clock, Logger, Progress } from '../contracts/logger.js';
import type { Ensemble, OnlineStrategy, Trainer } from '../contracts/online.js';
import type { DataFacts, PluginManifest } from '../contracts/plugin.js';
import type { ExperimentStore } from '../contracts/store.js';
import { isTaskPoolHost, type TaskExecutor } from '../contracts/task-pool.js';
import { TOKENS } from '../contracts/tokens.js';
import { isQonlineError, QonlineError } from '../errors/index.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import { validateConfig, type FoundComponent } from '../config/validate.js';
import { checkConfig } from '../config/check.js';
import { Kernel } from '../kernel/kernel.js';
import { loadPlugins, trustedPluginPaths } from '../kernel/plugin-loader.js';
import { canonicalJson } from '../task/canonical.js';
import { OnlineManager } from '../online/online-manager.js';
import type { ComponentSpec } from '../schema/builder.js';
import { ensureHome, HomeLock, resolveHome } from './home.js';

export interface EngineEnv {
  builtins: { manifest: PluginManifest; source: string }[];
  logger: Logger;
  progress: Progress;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  /** --home flag. */
  home?: string;
  /** Plugin files or folders trusted beyond the default rule (--trust-plugin, QONLINE_TRUSTED_PLUGINS). */
  trustedPlugins?: readonly string[];
}

/** Defaults for the optional top-level components. */
export const DEFAULT_COMPONENTS = {
  data: { class: 'SyntheticMarket' } as ComponentSpec,
  store: { class: 'SQLiteStore' } as ComponentSpec,
  trainer: { class: 'TrainerR' } as ComponentSpec,
  ensemble: { class: 'AverageEnsemble' } as ComponentSpec,
};

/** A loaded, validated config and a kernel with its plugins registered (nothing opened, nothing written). */
export interface PreparedConfig {
  config: LoadedConfig;
  pipeline: PipelineConfig;
  kernel: Kernel;
  home: string;
  /** What the data provider says of its data, read without writing (its calendar's first and last dates). */
  facts?: DataFacts;
}

export async function prepareConfig(configFile: string, envx: EngineEnv, loaded?: LoadedConfig): Promise<PreparedConfig> {
  // `loaded`: the file already parsed by the caller (with the same env): a config is parsed once per process.
  const config = loaded ?? (await loadConfigFile(configFile, envx.env ?? process.env));
  const pluginSpecs = Array.isArray(config.value['plugins']) ? (config.value['plugins'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const trusted = envx.trustedPlugins ?? trustedPluginPaths(envx.env ?? process.env);
  const extra = pluginSpecs.length ? await loadPlugins(pluginSpecs, config.file, { trusted }) : [];
  const home = resolveHome(envx.home, envx.env ?? process.env, typeof config.value['home'] === 'string' ? (config.value['home'] as string) : undefined, config.dir);
  const kernel = new Kernel({ plugins: [...envx.builtins, ...extra], logger: envx.logger, progress: envx.progress, clock: envx.clock, home });
  const found: FoundComponent[] = [];
  validateConfig(config, kernel.registry, kernel.validator, found);
  // Checks against the data (fields, markets, calendar) and each component's own rules: before anything is opened or written.
  const facts = await checkConfig(config, kernel.registry, kernel.validator, found, { home, defaultData: DEFAULT_COMPONENTS.data });
  return { config, pipeline: config.value as unknown as PipelineConfig, kernel, home, facts };
}

export interface Pipeline extends PreparedConfig {
  provider: DataProvider;
  calendar: Calendar;
  store: ExperimentStore;
  manager: OnlineManager;
  strategies: OnlineStrategy[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Take the home lock (steps that write). */
  lock?: boolean;
  allowStrategyChange?: boolean;
  /** Provided as TOKENS.taskThreads: trainers that fetch from a task pool train on these threads. */
  taskThreads?: () => TaskExecutor;
}

/**
 * Opens everything a step needs, in start-up order: home, plugins' start,
 * data provider + calendar, store, then the manager with its strategies,
 * trainer and ensemble.
 */
export async function openPipeline(prepared: PreparedConfig, options: OpenOptions = {}): Promise<Pipeline> {
  const { kernel, pipeline, home } = prepared;
  ensureHome(home);
  const lock = new HomeLock(path.join(home, 'qonline.lock'));
  if (options.lock) lock.acquire(`manager ${pipeline.manager.name}`);
  let scope: Kernel | undefined;
  try {
    await kernel.start();
    // One child container per pipeline run: its registrations never leak into the process-wide kernel.
    scope = kernel.createScope();
    const provider = await scope.resolve('dataProvider', pipeline.data ?? DEFAULT_COMPONENTS.data, '/data');
    scope.provideValue(TOKENS.dataProvider, provider);
    const calendar = await provider.calendar(pipeline.manager.freq ?? 'day');
    scope.provideValue(TOKENS.calendar, calendar);
    const store = await scope.resolve('store', pipeline.store ?? DEFAULT_COMPONENTS.store, '/store');
    // The store component's dispose closes it when the scope ends (reverse creation order).
    scope.provideValue(TOKENS.store, store);
    if (isTaskPoolHost(store)) scope.provideValue(TOKENS.taskPool, store.taskPools());
    if (options.taskThreads) scope.provideValue(TOKENS.taskThreads, options.taskThreads);
    if (options.lock && store.tryLock) {
      // The home lock covers one machine; a shared store (PostgreSQL) also needs a lock all machines see.
      const release = await store.tryLock(`qonline:manager:${pipeline.manager.name}`);
      if (!release) {
        throw new QonlineError('QONLINE_STORE_LOCKED', `another process, perhaps on another machine, is running a step of manager ${JSON.stringify(pipeline.manager.name)} on this store`, {
          hint: 'wait for it to finish; the lock is released when its process ends',
        });
      }
      scope.provideResource(TOKENS.managerLock, release, 'manager lock', (r) => r());
    }
    const strategies: OnlineStrategy[] = [];
    for (let i = 0; i < pipeline.strategies.length; i++) {
      strategies.push(await scope.resolve('strategy', pipeline.strategies[i]!, `/strategies/${i}`));
    }
    const names = strategies.map((s) => s.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new QonlineError('QONLINE_CONFIG_INVALID', `two strategies are named ${JSON.stringify(dup)}; names must be unique`);
    const trainer = await scope.resolve('trainer', pipeline.manager.trainer ?? DEFAULT_COMPONENTS.trainer, '/manager/trainer');
    const ensemble = await scope.resolve('ensemble', pipeline.manager.ensemble ?? DEFAULT_COMPONENTS.ensemble, '/manager/ensemble');
    const manager = new OnlineManager({
      name: pipeline.manager.name,
      beginTime: pipeline.manager.begin_time ?? null,
      freq: pipeline.manager.freq ?? 'day',
      strategies,
      trainer,
      ensemble,
      store,
      resolver: scope,
      calendar,
      logger: scope.logger.child('manager'),
      progress: scope.get(TOKENS.progress),
      configHash: configHash(pipeline),
      updateOnlinePred: pipeline.manager.update_online_pred ?? true,
      allowStrategyChange: options.allowStrategyChange,
    });
    return {
      ...prepared,
      kernel: scope,
      provider,
      calendar,
      store,
      manager,
      strategies,
      async close() {
        // Both scopes are closed even if the first fails; failures are reported together.
        const errors: unknown[] = [];
        await scope!.stop().catch((e: unknown) => errors.push(e));
        await kernel.stop().catch((e: unknown) => errors.push(e));
        lock.release();
        if (errors.length === 1) throw errors[0];
        if (errors.length > 1) {
          const details = errors.flatMap((e) => (isQonlineError(e) && e.details.length ? e.details : [e instanceof Error ? e.message : String(e)]));
          throw new QonlineError('QONLINE_COMPONENT_FAILED', `${details.length} resources failed to close: ${details.join('; ')}`, { details, phase: 'dispose', cause: new AggregateError(errors) });
        }
      },
    };
  } catch (e) {
    // The open failed: that error is the one reported; closing failures are logged, not lost.
    const logClose = (c: unknown): void => kernel.logger.warn(`while closing after a failed start: ${c instanceof Error ? c.message : String(c)}`);
    await scope?.stop().catch(logClose);
    await kernel.stop().catch(logClose);
    lock.release();
    throw e;
  }
}

export function configHash(pipeline: PipelineConfig): string {
  const { steps: _s, daemon: _d, home: _h, ...rest } = pipeline as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * Opens only the store: from a config when given, else the default SQLite
 * store of the home folder (for read-only commands like `models list`).
 */
export async function openStoreOnly(envx: EngineEnv, configFile?: string, options: { readOnly?: boolean } = {}): Promise<{ store: ExperimentStore; kernel: Kernel; home: string; managerName?: string; close(): Promise<void> }> {
  let kernel: Kernel;
  let spec: ComponentSpec = DEFAULT_COMPONENTS.store;
  let home: string;
  let managerName: string | undefined;
  if (configFile) {
    const prepared = await prepareConfig(configFile, envx);
    kernel = prepared.kernel;
    home = prepared.home;
    spec = prepared.pipeline.store ?? spec;
    managerName = prepared.pipeline.manager.name;
  } else {
    home = resolveHome(envx.home, envx.env ?? process.env, undefined, undefined);
    kernel = new Kernel({ plugins: envx.builtins, logger: envx.logger, progress: envx.progress, clock: envx.clock, home });
  }
  if (options.readOnly) {
    // A read-only command never creates a home or an empty store: it says there is nothing to read.
    const missing = (): QonlineError =>
      new QonlineError('QONLINE_NOT_FOUND', `no store to read in ${home}: nothing has run with this home yet`, {
        hint: 'pass the --home (or --config) the pipeline ran with, or run `qonline run CONFIG` first',
      });
    let exists = true;
    try {
      const reg = kernel.registry.lookup('store', spec.class, spec.module_path);
      if (reg.def.exists) exists = await reg.def.exists((spec.kwargs ?? {}) as never, { home, configDir: configFile ? path.dirname(path.resolve(configFile)) : process.cwd() });
      else if (!existsSync(home)) exists = false;
    } catch (e) {
      if (!isQonlineError(e)) throw e;
    }
    if (!exists) throw missing();
  }
  ensureHome(home);
  await kernel.start();
  const store = await kernel.resolve('store', spec, '/store');
  kernel.provideValue(TOKENS.store, store);
  if (isTaskPoolHost(store)) kernel.provideValue(TOKENS.taskPool, store.taskPools());
  return { store, kernel, home, managerName, close: () => kernel.stop() };
}
