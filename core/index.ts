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
export * from './online/index.js';
export { riskAnalysis, riskScaler, PERIODS_PER_YEAR, type RiskReport, type RiskOptions } from './report/risk.js';
