/**
 * A tiny TypeBox-like builder: each call returns a plain JSON Schema object that
 * also carries its TypeScript type, so a component's options schema and its
 * options type cannot disagree. `Static<typeof schema>` gives the type.
 */
export interface TSchema<T = unknown> {
  readonly [key: string]: unknown;
  /** Phantom field: never present at run time. */
  readonly __type?: T;
}

export type Static<S> = S extends TSchema<infer T> ? T : never;

interface Common {
  description?: string;
  default?: unknown;
  examples?: unknown[];
  title?: string;
}

type OptionalMarker = { readonly __optional: true };
type OptionalSchema<T> = TSchema<T> & OptionalMarker;

type Props = Record<string, TSchema<any>>;
type RequiredKeys<P extends Props> = { [K in keyof P]: P[K] extends OptionalMarker ? never : K }[keyof P];
type OptionalKeys<P extends Props> = { [K in keyof P]: P[K] extends OptionalMarker ? K : never }[keyof P];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectType<P extends Props> = Simplify<
  { [K in RequiredKeys<P>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }
>;

function make<T>(schema: Record<string, unknown>): TSchema<T> {
  return schema as TSchema<T>;
}

export const S = {
  string(opts: Common & { pattern?: string; minLength?: number; format?: string } = {}): TSchema<string> {
    return make({ type: 'string', ...opts });
  },
  /** A calendar date `YYYY-MM-DD` (a quoted or unquoted YAML date). */
  date(opts: Common = {}): TSchema<string> {
    // ajv-formats' `date` checks the day of the month (2021-02-30 fails); the pattern refuses year 0000, which it accepts.
    return make({ type: 'string', pattern: '^(?!0000)\\d{4}-\\d{2}-\\d{2}$', format: 'date', ...opts });
  },
  number(opts: Common & { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number } = {}): TSchema<number> {
    return make({ type: 'number', ...opts });
  },
  integer(opts: Common & { minimum?: number; maximum?: number } = {}): TSchema<number> {
    return make({ type: 'integer', ...opts });
  },
  boolean(opts: Common = {}): TSchema<boolean> {
    return make({ type: 'boolean', ...opts });
  },
  null(opts: Common = {}): TSchema<null> {
    return make({ type: 'null', ...opts });
  },
  literal<const V extends string | number | boolean>(value: V, opts: Common = {}): TSchema<V> {
    return make({ const: value, ...opts });
  },
  enum<const V extends readonly (string | number)[]>(values: V, opts: Common = {}): TSchema<V[number]> {
    return make({ enum: [...values], ...opts });
  },
  array<T>(items: TSchema<T>, opts: Common & { minItems?: number; maxItems?: number; uniqueItems?: boolean } = {}): TSchema<T[]> {
    return make({ type: 'array', items, ...opts });
  },
  tuple<const T extends readonly TSchema<any>[]>(items: T, opts: Common = {}): TSchema<{ [K in keyof T]: Static<T[K]> }> {
    return make({ type: 'array', prefixItems: [...items], items: false, minItems: items.length, maxItems: items.length, ...opts });
  },
  object<P extends Props>(properties: P, opts: Common & { additionalProperties?: boolean | TSchema<any> } = {}): TSchema<ObjectType<P>> {
    const required = Object.entries(properties)
      .filter(([, s]) => !(s as Record<string, unknown>)['__optional'])
      .map(([k]) => k);
    const props: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(properties)) {
      const { __optional, ...rest } = s as Record<string, unknown>;
      void __optional;
      props[k] = rest;
    }
    return make({ type: 'object', properties: props, ...(required.length ? { required } : {}), additionalProperties: false, ...opts });
  },
  record<T>(values: TSchema<T>, opts: Common = {}): TSchema<Record<string, T>> {
    return make({ type: 'object', additionalProperties: values, ...opts });
  },
  union<const T extends readonly TSchema<any>[]>(members: T, opts: Common = {}): TSchema<Static<T[number]>> {
    return make({ anyOf: [...members], ...opts });
  },
  nullable<T>(inner: TSchema<T>, opts: Common = {}): TSchema<T | null> {
    // Hoist the description so docs and editors see it on the option itself.
    const description = opts.description ?? (inner as Record<string, unknown>)['description'];
    return make({ anyOf: [inner, { type: 'null' }], ...(description ? { description } : {}), ...opts });
  },
  /** Anything (validated by the component itself or a nested component schema). */
  any(opts: Common = {}): TSchema<any> {
    return make({ ...opts });
  },
  /** A nested component spec `{class, kwargs?, module_path?}`, resolved with ctx.resolve(). */
  component(opts: Common & { kind?: string } = {}): TSchema<ComponentSpec> {
    const { kind, ...rest } = opts;
    return make({
      type: 'object',
      properties: {
        class: { type: 'string', description: 'Registered component name or alias.' },
        module_path: { type: 'string', description: 'Optional plugin name (or a Qlib module path, ignored).' },
        kwargs: { type: 'object', description: 'Options of the component.' },
      },
      required: ['class'],
      additionalProperties: false,
      ...(kind ? { 'x-qonline-kind': kind } : {}),
      ...rest,
    });
  },
  optional<T>(inner: TSchema<T>): OptionalSchema<T> {
    return { ...(inner as object), __optional: true } as unknown as OptionalSchema<T>;
  },
};

/** How YAML names a component, exactly Qlib's shape. */
export interface ComponentSpec {
  class: string;
  module_path?: string;
  kwargs?: Record<string, unknown>;
}
