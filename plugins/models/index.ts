import { definePlugin } from '../../core/index.js';
import { MODEL_COMPONENTS } from './src/model-components.js';

/** The `models` plugin: matrix-level models (Linear, GBDT) behind the model contract. */
export const modelsPlugin = definePlugin({
  name: 'models',
  version: '0.1.0',
  description: 'Ridge/OLS linear regression and histogram gradient-boosted trees (LightGBM/XGBoost-compatible parameters).',
  components: MODEL_COMPONENTS,
});

export default modelsPlugin;
export { createModel, restoreModel, findModelComponent, importModel } from './src/standalone.js';
export { ImportedModel } from './src/import/imported-model.js';
export { LinearModel } from './src/linear/linear-model.js';
export { GBDTModel, type ImportanceType } from './src/gbdt/gbdt-model.js';
