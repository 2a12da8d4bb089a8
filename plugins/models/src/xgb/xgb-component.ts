import { defineComponent } from '../../../../core/index.js';
import { paramSchema } from '../params.js';
import { XGB_CLASS, XGBModel } from './xgb-model.js';
import { XGB_PARAMS } from './xgb-params.js';

export const xgbComponent = defineComponent({
  kind: 'model',
  name: XGB_CLASS,
  aliases: ['XGBoost'],
  description:
    "XGBoost-semantics gradient boosting (Qlib's XGBModel): XGBoost 1.x `hist` trees grown depth-wise (or loss-guided), XGBoost's names and defaults, Qlib's fit (1000 rounds, early stopping after 50 on the valid set).",
  schema: paramSchema(XGB_PARAMS, "Options of XGBModel: XGBoost's parameter names and defaults (scikit-learn spellings as aliases)."),
  create: (options, ctx) => new XGBModel(options, ctx.logger),
  restore: (serialized, ctx) => XGBModel.fromJSON(serialized, ctx.logger),
});
