import { defineComponent, S } from '../../../../core/index.js';
import { IMPORT_FORMATS, IMPORTED_CLASS, ImportedModel } from './imported-model.js';

export const importedComponent = defineComponent({
  kind: 'model',
  name: IMPORTED_CLASS,
  aliases: ['Imported'],
  description:
    'A model trained elsewhere, read from its file: XGBoost JSON (save_model("m.json")) or LightGBM text (save_model("m.txt")). Predicts what the library predicts; fit trains nothing (it checks the columns).',
  schema: S.object(
    {
      file: S.optional(S.string({ minLength: 1, description: 'Path of the model file (relative to the working directory).' })),
      format: S.enum(IMPORT_FORMATS, { description: '`xgboost-json` (XGBoost Booster.save_model JSON, 1.x and 2.x) or `lightgbm-text` (LightGBM model.txt).' }),
      sha256: S.optional(S.string({ pattern: '^[0-9a-fA-F]{64}$', description: 'Expected sha256 of the file: a changed file is refused.' })),
      feature_names: S.optional(S.array(S.string(), { description: "Column names (override the file's, or supply them when it has none); checked against the data's." })),
      source: S.optional(S.any({ description: "The file's text (or XGBoost's parsed JSON) instead of `file`, for use from code (`importModel`)." })),
    },
    { description: 'Options of an imported model.' },
  ),
  create: (options) => ImportedModel.create({ ...(options as any) }),
  restore: (serialized) => ImportedModel.fromJSON(serialized),
});
