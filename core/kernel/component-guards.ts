import type { MatrixInput, Model } from '../contracts/model.js';
import type { ComponentKind } from '../contracts/plugin.js';
import { QonlineError } from '../errors/index.js';

/**
 * Plugin components are checked where their results enter the engine, so a
 * component that returns the wrong shape fails with an error naming its
 * plugin and component (QONLINE_COMPONENT_FAILED) instead of a TypeError or
 * a database constraint far away. Built-in components pass the same checks.
 */
export function guardComponent<T>(kind: ComponentKind, made: T, plugin: string, component: string): T {
  if (kind !== 'model') return made;
  return guardModel(made as unknown as Model, plugin, component) as unknown as T;
}

function shapeError(plugin: string, component: string, phase: string, message: string): QonlineError {
  return new QonlineError('QONLINE_COMPONENT_FAILED', `${plugin}/${component}: ${message}`, {
    plugin,
    component,
    phase,
    hint: 'see docs/plugins.md, "A model plugin from scratch", for what each method returns',
  });
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as { length: number }).length}`;
  return typeof v === 'object' ? `an object with keys ${Object.keys(v as object).slice(0, 6).join(', ') || '(none)'}` : `${typeof v} ${String(v).slice(0, 40)}`;
}

/** A model whose fit, predict and toJSON results are checked (a Proxy: identity, prototype and extra members are kept). */
export function guardModel(model: Model, plugin: string, component: string): Model {
  if (!model || typeof model !== 'object') throw shapeError(plugin, component, 'create', `create() must return a model object, got ${describeValue(model)}`);
  const missing = (['fit', 'predict', 'toJSON'] as const).filter((m) => typeof (model as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length) throw shapeError(plugin, component, 'create', `the model has no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''}`);
  const fit: Model['fit'] = async (train, valid, options) => {
    // What a model throws passes unchanged (the task runner records it); only a wrong result is reported here.
    const info: unknown = await model.fit(train, valid, options);
    if (!info || typeof info !== 'object' || Array.isArray(info)) {
      throw shapeError(plugin, component, 'fit', `fit() must resolve to a FitInfo object {rounds, bestRound, trainLoss, validLoss}, got ${describeValue(info)}`);
    }
    return info as Awaited<ReturnType<Model['fit']>>;
  };
  const predict: Model['predict'] = (input: MatrixInput) => {
    const out: unknown = model.predict(input);
    if (!(out instanceof Float32Array) && !(out instanceof Float64Array)) {
      throw shapeError(plugin, component, 'predict', `predict() must return a Float32Array with one score per row (${input.rows}), got ${describeValue(out)}`);
    }
    if (out.length !== input.rows) throw shapeError(plugin, component, 'predict', `predict() returned ${out.length} scores for ${input.rows} rows`);
    return out instanceof Float32Array ? out : Float32Array.from(out);
  };
  const toJSON: Model['toJSON'] = () => {
    const s: unknown = model.toJSON();
    const o = s as Record<string, unknown> | null;
    const problems: string[] = [];
    if (!o || typeof o !== 'object') problems.push(`got ${describeValue(s)}`);
    else {
      if (o['format'] !== 'qonline-model') problems.push(`format must be "qonline-model", got ${JSON.stringify(o['format'])}`);
      if (typeof o['version'] !== 'number') problems.push('version must be a number');
      if (typeof o['class'] !== 'string' || o['class'] === '') problems.push('class must name the model component');
      if (!o['kwargs'] || typeof o['kwargs'] !== 'object' || Array.isArray(o['kwargs'])) problems.push('kwargs must be an object (the options the model was built with)');
      if (!('state' in o)) problems.push('state is missing (what restore() needs to predict again)');
    }
    if (problems.length) throw shapeError(plugin, component, 'toJSON', `toJSON() must return {format: "qonline-model", version, class, kwargs, state}: ${problems.join('; ')}`);
    return s as ReturnType<Model['toJSON']>;
  };
  const replaced: Record<string, unknown> = { fit, predict, toJSON };
  return new Proxy(model, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in replaced) return replaced[prop];
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
