/**
 * qonline/plugin-api: everything a plugin may import. Plugins import nothing
 * else from qonline (a test enforces it).
 */
import 'reflect-metadata';

export * from './contracts/index.js';
export * from './errors/index.js';
export * from './schema/builder.js';
export * from './calendar/calendar.js';
export * from './calendar/time-adjuster.js';
export * from './task/index.js';
export * from './store/index.js';
// The online domain a plugin builds on (strategies, trainers, collectors); the manager, the
// signal assembly and the prediction updater are engine internals (qonline's own entry exports them).
export * from './online/resolver.js';
export * from './online/task-info.js';
export * from './online/metrics.js';
export * from './online/task-runner.js';
export * from './online/pool-training.js';
export * from './online/online-tool.js';
export * from './online/collector.js';
export * from './kernel/did-you-mean.js';
export { standaloneComponents, type StandaloneComponents } from './kernel/standalone.js';
export { autoThreads, idleCores, machineLoad, sampledMachineLoad, type MachineLoad } from './engine/machine.js';
export { featureCacheShare, inFeatureCacheShare, type FeatureCacheShare } from './engine/task-thread.js';
export { riskAnalysis, riskScaler, PERIODS_PER_YEAR, type RiskReport, type RiskOptions } from './report/risk.js';
