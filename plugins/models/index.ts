import { modelsPlugin } from './src/manifest.js';

export { modelsPlugin } from './src/manifest.js';
export default modelsPlugin;
export { createModel, restoreModel } from './src/standalone.js';
export { LinearModel } from './src/linear/linear-model.js';
export { GBDTModel, type ImportanceType } from './src/gbdt/gbdt-model.js';
