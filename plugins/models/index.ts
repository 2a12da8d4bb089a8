import { modelsPlugin } from './src/manifest.js';

export { modelsPlugin } from './src/manifest.js';
export default modelsPlugin;
export { createModel, restoreModel, importModel } from './src/standalone.js';
export { ImportedModel } from './src/import/imported-model.js';
export { LinearModel } from './src/linear/linear-model.js';
export { GBDTModel, type ImportanceType } from './src/gbdt/gbdt-model.js';
export { XGBModel } from './src/xgb/xgb-model.js';
