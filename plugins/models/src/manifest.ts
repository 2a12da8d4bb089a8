import { definePlugin } from '../../../core/index.js';
import { gbdtComponent } from './gbdt/gbdt-component.js';
import { importedComponent } from './import/imported-component.js';
import { linearComponent } from './linear/linear-component.js';

/** The `models` plugin: matrix-level models (Linear, GBDT, ImportedModel) behind the model contract. */
export const modelsPlugin = definePlugin({
  name: 'models',
  version: '0.1.0',
  description: 'Ridge/OLS linear regression and histogram gradient-boosted trees (LightGBM/XGBoost-compatible parameters).',
  components: [linearComponent, gbdtComponent, importedComponent],
});
