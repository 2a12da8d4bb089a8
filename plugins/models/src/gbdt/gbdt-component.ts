import { defineComponent } from '../../../../core/index.js';
import { paramSchema } from '../params.js';
import { GBDT_CLASS, GBDTModel } from './gbdt-model.js';
import { GBDT_PARAMS } from './gbdt-params.js';

export const gbdtComponent = defineComponent({
  kind: 'model',
  name: GBDT_CLASS,
  aliases: ['LGBModel', 'LightGBM'],
  description:
    'Histogram gradient-boosted regression trees (LightGBM style: quantile bins, leaf-wise growth, missing-value directions, bagging, feature sampling, early stopping). Accepts LightGBM and XGBoost parameter names.',
  schema: paramSchema(GBDT_PARAMS, 'Options of the GBDT model; LightGBM names, with LightGBM/XGBoost/Qlib aliases.'),
  create: (options, ctx) => new GBDTModel(options, ctx.logger),
  restore: (serialized, ctx) => GBDTModel.fromJSON(serialized, ctx.logger),
});
