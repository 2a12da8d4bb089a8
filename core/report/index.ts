export * from './risk.js';
export * from './report.js';
