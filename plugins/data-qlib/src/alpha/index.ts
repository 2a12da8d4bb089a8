export { alpha158Fields, ALPHA158_CONFIG, ALPHA158_DEFAULTS, ALPHA158_ROLLING_KEYS, type Alpha158Config } from './alpha158.js';
export { alpha360Fields, ALPHA360_DEFAULTS } from './alpha360.js';
export { DEFAULT_LABEL, DEFAULT_INFER_PROCESSORS, DEFAULT_LEARN_PROCESSORS, type FeatureSet, type HandlerDefaults } from './handler-defaults.js';
