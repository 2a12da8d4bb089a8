export * from './codes.js';
export * from './qonline-error.js';
