import { definePlugin } from '../../../core/index.js';
import { gbdtComponent } from './gbdt/gbdt-component.js';
import { importedComponent } from './import/imported-component.js';
import { linearComponent } from './linear/linear-component.js';
import { xgbComponent } from './xgb/xgb-component.js';

/** The `models` plugin: matrix-level models (Linear, GBDT, XGBModel, ImportedModel) behind the model contract. */
export const modelsPlugin = definePlugin({
  name: 'models',
  version: '0.1.0',
  description: 'Ridge/OLS linear regression and histogram gradient-boosted trees (LightGBM-style GBDT; XGBModel with XGBoost semantics).',
  components: [linearComponent, gbdtComponent, xgbComponent, importedComponent],
});
