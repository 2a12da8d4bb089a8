/**
 * `qonline`: the composition root. The plugin API, the built-in plugins and
 * the library functions (models, data, the CLI entry) for use from code.
 */
import 'reflect-metadata';

export * from '../core/index.js';
export { Kernel } from '../core/kernel/kernel.js';
export { OnlineManager, fingerprintDiff, type OnlineManagerOptions, type StepReport } from '../core/online/online-manager.js';
export { ScoreUpdater, type UpdateResult } from '../core/online/pred-updater.js';
export { computeSignals, assignRecorders, onlineSetAt, type StrategySignalInput } from '../core/online/signals.js';
export { ComponentRegistry } from '../core/kernel/registry.js';
export { ConsoleLogger, SilentLogger } from '../core/kernel/logger.js';
export { NullProgress, TerminalProgress } from '../core/kernel/progress.js';
export { SystemClock, TestClock } from '../core/kernel/clock.js';
export { loadConfigFile, parseConfigText } from '../core/config/load.js';
export { pipelineSchema } from '../core/config/pipeline-schema.js';
export { prepareConfig, openPipeline, openStoreOnly, type Pipeline } from '../core/engine/pipeline.js';
export { runStep, summarize, configuredSteps } from '../core/engine/run.js';
export { isWorkflowConfig, translateWorkflow, WORKFLOW_EXPERIMENT, type WorkflowResult } from '../core/engine/workflow.js';
export { BUILTIN_PLUGINS, builtinPluginEntries } from './builtins.js';
export { createModel, restoreModel, LinearModel } from './models/index.js';
export { importModel, ImportedModel } from './models/index.js';
export { openSqliteStore } from './store-sqlite/index.js';
export { openSyntheticMarket, QlibDataProvider, generateSyntheticMarket } from './data-qlib/index.js';
export { RollingGen, MultiHorizonGen, RollingStrategy } from './rolling/index.js';
export { AverageEnsemble } from './ensemble/index.js';
export { TrainerR, DelayTrainerR, TrainerRM, DelayTrainerRM } from './trainers/index.js';
export { openPostgresStore, PgDriver } from './store-postgres/index.js';
export { runWorkerLoop } from '../core/engine/worker.js';
export { runDaemon } from '../core/engine/daemon.js';
export { riskAnalysis } from '../core/report/index.js';
export { buildDashboardData, buildServer, pageHtml } from './serve/index.js';
