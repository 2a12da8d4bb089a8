export * from './codes.js';
export * from './qonline-error.js';
export * from './state-conflict.js';
