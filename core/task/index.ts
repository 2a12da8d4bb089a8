export * from './canonical.js';
export * from './task-generator.js';
