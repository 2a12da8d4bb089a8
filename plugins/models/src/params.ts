import { S, type TSchema } from '../../../core/index.js';
import { modelInputError } from './model-error.js';

/**
 * One declarative table per model gives the JSON Schema the kernel validates
 * options against (names, aliases, types, ranges) and the defaults and alias
 * folding the model reads, so they cannot drift apart. Aliases (LightGBM /
 * XGBoost / Qlib spellings) map to one canonical name.
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

/** The TypeScript type of one parameter's value. */
type ParamType<P> = P extends { type: 'number' | 'integer' } ? number : P extends { type: 'boolean' } ? boolean : string;

/** Canonical names -> values; parameters without a default may be undefined. */
export type ParamValues<T extends ParamTable> = {
  readonly [K in keyof T]: T[K] extends { default: unknown } ? ParamType<T[K]> : ParamType<T[K]> | undefined;
};

/**
 * Folds validated options (the kernel checked them against `paramSchema`
 * once: names, types, ranges) to canonical names, with enum spellings
 * canonicalised and defaults filled in. The one thing a schema cannot say is
 * checked here: two aliases of one parameter given different values.
 */
export function foldParams<T extends ParamTable>(table: T, options: Readonly<Record<string, unknown>>, model: string): ParamValues<T> {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    byName.set(name, name);
    for (const a of spec.aliases ?? []) byName.set(a, name);
  }
  const out: Record<string, unknown> = {};
  const givenAs: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(options)) {
    const canonical = byName.get(key);
    if (canonical === undefined || raw === undefined) continue;
    const spec = table[canonical]!;
    const value = spec.type === 'enum' ? (spec.canonical?.[raw as string] ?? raw) : raw;
    const previous = givenAs[canonical];
    if (previous !== undefined && out[canonical] !== value) {
      problems.push(`"${key}" and "${previous}" both set ${canonical}, to different values (${String(value)} and ${String(out[canonical])})`);
      continue;
    }
    givenAs[canonical] = key;
    out[canonical] = value;
  }
  if (problems.length) throw modelInputError(`${model}: ${problems.join('; ')}`, problems);
  for (const [name, spec] of Object.entries(table)) if (out[name] === undefined) out[name] = spec.default;
  return out as ParamValues<T>;
}

/** Which of `names` (a canonical name and its aliases) the options set. */
export function givenAny(options: Readonly<Record<string, unknown>>, names: readonly string[]): boolean {
  return names.some((k) => options[k] !== undefined);
}
