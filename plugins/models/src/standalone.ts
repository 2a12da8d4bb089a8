import { standaloneComponents, type Model, type SerializedModel, type StandaloneComponents } from '../../../core/index.js';
import type { ImportedModel } from './import/imported-model.js';
import { modelInputError } from './model-error.js';
import { modelsPlugin } from './manifest.js';

let components: StandaloneComponents | undefined;

/** A small kernel over this plugin: the library helpers build through the same path as a run. */
function kernel(): StandaloneComponents {
  return (components ??= standaloneComponents([modelsPlugin]));
}

/**
 * Builds a model by class name or alias (`GBDT`, `LGBModel`, `Linear`, ...)
 * through the kernel: options are validated against the model's schema
 * (QONLINE_CONFIG_INVALID; QONLINE_UNKNOWN_CLASS with did-you-mean).
 */
export function createModel(name: string, kwargs: Record<string, unknown> = {}): Model {
  return kernel().create('model', { class: name, kwargs });
}

/** Rebuilds a fitted model from `model.toJSON()` output (or its JSON text, parsed). */
export function restoreModel(serialized: SerializedModel): Model {
  if (!serialized || typeof serialized !== 'object' || serialized.format !== 'qonline-model') {
    throw modelInputError(`expected a serialised model ({format: "qonline-model", version, class, kwargs, state}), found ${describe(serialized)}`);
  }
  return kernel().restoreModel(serialized);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `an object with format ${JSON.stringify((v as { format?: unknown }).format)}`;
}

/**
 * A model trained by XGBoost or LightGBM, from its file's text (or XGBoost's
 * parsed JSON): `importModel(text, 'xgboost-json' | 'lightgbm-text')`, built
 * through the kernel as the `ImportedModel` component.
 */
export function importModel(source: string | object, format: 'xgboost-json' | 'lightgbm-text', options: { feature_names?: string[] } = {}): ImportedModel {
  return createModel('ImportedModel', { source, format, ...options }) as ImportedModel;
}
