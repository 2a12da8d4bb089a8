import { S, type TSchema } from '../../../core/index.js';
import { closestNames } from './closest-names.js';
import { modelInputError } from './model-error.js';

/**
 * One declarative table per model drives both the JSON Schema shown to users
 * and the run-time parser, so the accepted names, ranges and defaults cannot
 * drift apart. Aliases (LightGBM / XGBoost / Qlib spellings) map to one
 * canonical name.
 */
export type ParamSpec =
  | (Common & { type: 'number' | 'integer'; default?: number; min?: number; max?: number; exclusiveMin?: number })
  | (Common & { type: 'boolean'; default?: boolean })
  | (Common & { type: 'enum'; default?: string; values: readonly string[]; canonical?: Record<string, string> })
  | (Common & { type: 'string'; default?: string });

interface Common {
  aliases?: readonly string[];
  description: string;
}

export type ParamTable = Record<string, ParamSpec>;
export type ParamValues = Record<string, number | boolean | string | undefined>;

/** The JSON Schema of a parameter table: every canonical name and alias, all optional. */
export function paramSchema(table: ParamTable, description: string): TSchema<Record<string, unknown>> {
  const props: Record<string, TSchema<any>> = {};
  for (const [name, spec] of Object.entries(table)) {
    props[name] = S.optional(schemaOf(spec, spec.description, spec.default));
    for (const alias of spec.aliases ?? []) props[alias] = S.optional(schemaOf(spec, `Alias of \`${name}\`. ${spec.description}`, undefined));
  }
  return S.object(props, { description }) as TSchema<Record<string, unknown>>;
}

function schemaOf(spec: ParamSpec, description: string, dflt: unknown): TSchema<any> {
  const d = dflt === undefined ? {} : { default: dflt };
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const range = {
        ...(spec.min !== undefined ? { minimum: spec.min } : {}),
        ...(spec.max !== undefined ? { maximum: spec.max } : {}),
        ...(spec.exclusiveMin !== undefined ? { exclusiveMinimum: spec.exclusiveMin } : {}),
      };
      return spec.type === 'number' ? S.number({ description, ...range, ...d }) : S.integer({ description, ...range, ...d });
    }
    case 'boolean':
      return S.boolean({ description, ...d });
    case 'enum':
      return S.enum(spec.values, { description, ...d });
    case 'string':
      return S.string({ description, ...d });
  }
}

/**
 * Reads `kwargs` against `table`: canonical names out, defaults filled in.
 * Every problem (unknown name with did-you-mean, wrong type, out of range, two
 * aliases disagreeing) is reported at once as QONLINE_MODEL_INPUT.
 */
export function parseParams(table: ParamTable, kwargs: Record<string, unknown> | undefined, model: string): ParamValues {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    byName.set(name, name);
    for (const a of spec.aliases ?? []) byName.set(a, name);
  }
  const problems: string[] = [];
  const out: ParamValues = {};
  const givenAs: Record<string, string> = {};
  if (kwargs !== undefined && (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs))) {
    throw modelInputError(`${model}: kwargs must be an object of parameters, found ${Array.isArray(kwargs) ? 'an array' : String(kwargs)}`);
  }
  for (const [key, raw] of Object.entries(kwargs ?? {})) {
    const canonical = byName.get(key);
    if (canonical === undefined) {
      const near = closestNames(key, [...byName.keys()]);
      problems.push(`unknown parameter "${key}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`);
      continue;
    }
    if (raw === undefined) continue;
    const spec = table[canonical]!;
    const value = readValue(spec, key, raw, problems);
    if (value === undefined) continue;
    const previous = givenAs[canonical];
    if (previous !== undefined && out[canonical] !== value) {
      problems.push(`"${key}" and "${previous}" both set ${canonical}, to different values (${String(value)} and ${String(out[canonical])})`);
      continue;
    }
    givenAs[canonical] = key;
    out[canonical] = value;
  }
  if (problems.length) {
    const allowed = Object.entries(table)
      .map(([n, s]) => (s.aliases?.length ? `${n} (${s.aliases.join(', ')})` : n))
      .join('; ');
    throw modelInputError(
      `${model}: ${problems.length === 1 ? problems[0] : `${problems.length} parameter problems: ${problems.join('; ')}`}`,
      problems,
      `allowed parameters: ${allowed}`,
    );
  }
  for (const [name, spec] of Object.entries(table)) if (out[name] === undefined) out[name] = spec.default;
  return out;
}

function readValue(spec: ParamSpec, key: string, raw: unknown, problems: string[]): number | boolean | string | undefined {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        problems.push(`"${key}" must be a finite ${spec.type}, found ${JSON.stringify(raw)}`);
        return undefined;
      }
      if (spec.type === 'integer' && !Number.isInteger(raw)) {
        problems.push(`"${key}" must be a whole number, found ${raw}`);
        return undefined;
      }
      if ((spec.min !== undefined && raw < spec.min) || (spec.max !== undefined && raw > spec.max) || (spec.exclusiveMin !== undefined && raw <= spec.exclusiveMin)) {
        problems.push(`"${key}" must be ${rangeText(spec)}, found ${raw}`);
        return undefined;
      }
      return raw;
    }
    case 'boolean':
      if (typeof raw !== 'boolean') {
        problems.push(`"${key}" must be true or false, found ${JSON.stringify(raw)}`);
        return undefined;
      }
      return raw;
    case 'enum': {
      if (typeof raw !== 'string' || !spec.values.includes(raw)) {
        problems.push(`"${key}" must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, found ${JSON.stringify(raw)}`);
        return undefined;
      }
      return spec.canonical?.[raw] ?? raw;
    }
    case 'string':
      if (typeof raw !== 'string') {
        problems.push(`"${key}" must be a string, found ${JSON.stringify(raw)}`);
        return undefined;
      }
      return raw;
  }
}

function rangeText(spec: { min?: number; max?: number; exclusiveMin?: number }): string {
  const parts: string[] = [];
  if (spec.exclusiveMin !== undefined) parts.push(`> ${spec.exclusiveMin}`);
  if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  return parts.join(' and ');
}
