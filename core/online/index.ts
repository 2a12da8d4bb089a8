export * from './resolver.js';
export * from './task-info.js';
export * from './metrics.js';
export * from './task-runner.js';
export * from './online-tool.js';
export * from './pred-updater.js';
export * from './signals.js';
export * from './online-manager.js';
