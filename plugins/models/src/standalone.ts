import type { ComponentContext, ComponentDefinition, Logger, Model, SerializedModel } from '../../../core/index.js';
import { closestNames } from './closest-names.js';
import type { ImportedModel } from './import/imported-model.js';
import { modelInputError } from './model-error.js';
import { MODEL_COMPONENTS } from './model-components.js';

const PLUGIN_NAME = 'models';

/** The component registered under `name` or one of its aliases. */
export function findModelComponent(name: string): ComponentDefinition<any, any> {
  for (const def of MODEL_COMPONENTS) if (def.name === name || def.aliases?.includes(name)) return def;
  const names = MODEL_COMPONENTS.flatMap((d) => [d.name, ...(d.aliases ?? [])]);
  const near = closestNames(String(name), names);
  throw modelInputError(
    `unknown model class ${JSON.stringify(name)}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; known models: ${names.join(', ')}`,
  );
}

/**
 * Builds a model by class name or alias (`GBDT`, `LGBModel`, `Linear`, ...)
 * without a kernel; parameters are checked by the model itself.
 */
export function createModel(name: string, kwargs: Record<string, unknown> = {}): Model {
  const def = findModelComponent(name);
  return synchronous(def.create(kwargs, standaloneContext(def.name)), def.name);
}

/** Rebuilds a fitted model from `model.toJSON()` output (or its JSON text, parsed). */
export function restoreModel(serialized: SerializedModel): Model {
  if (!serialized || typeof serialized !== 'object' || serialized.format !== 'qonline-model') {
    throw modelInputError(`expected a serialised model ({format: "qonline-model", version, class, kwargs, state}), found ${describe(serialized)}`);
  }
  const def = findModelComponent(serialized.class);
  if (!def.restore) throw modelInputError(`model class ${serialized.class} cannot be restored`);
  return synchronous(def.restore(serialized, standaloneContext(def.name)), def.name);
}

// This plugin's factories are synchronous, so the helpers can return the model directly.
function synchronous(made: unknown, component: string): Model {
  if (made instanceof Promise) throw modelInputError(`${component}: factory returned a promise; use the kernel to build it`);
  return made as Model;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `an object with format ${JSON.stringify((v as { format?: unknown }).format)}`;
}

const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

function standaloneContext(component: string): ComponentContext {
  const unavailable = (what: string) => () => {
    throw modelInputError(`${component}: ${what} is not available outside the kernel`);
  };
  return {
    plugin: PLUGIN_NAME,
    component,
    logger: silentLogger,
    get: unavailable('dependency injection') as ComponentContext['get'],
    resolve: unavailable('nested component resolution') as ComponentContext['resolve'],
    has: () => false,
  };
}

/**
 * A model trained by XGBoost or LightGBM, from its file's text (or XGBoost's
 * parsed JSON): `importModel(text, 'xgboost-json' | 'lightgbm-text')`.
 */
export function importModel(source: string | object, format: 'xgboost-json' | 'lightgbm-text', options: { feature_names?: string[] } = {}): ImportedModel {
  return createModel('ImportedModel', { source, format, ...options }) as ImportedModel;
}
