import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020 as Ajv2020Type } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { closestMatches } from './did-you-mean.js';

export interface SchemaProblem {
  /** JSON pointer inside the validated value. */
  path: string;
  message: string;
}

const require = createRequire(import.meta.url);
// verbose: errors carry their parent schema (known property names for "did you mean").
const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: false, allowUnionTypes: true, verbose: true } as const;

/** An ajv instance with the project's options, formats and keywords (loaded on first use: about 40 ms of modules). */
function newAjv(code?: { source: boolean }): Ajv2020Type {
  // ajv and ajv-formats are CommonJS; their classes sit on `.default`.
  const Ajv2020 = (require('ajv/dist/2020.js') as { default: typeof Ajv2020Type }).default;
  const addFormats = (require('ajv-formats') as { default: (ajv: unknown) => void }).default;
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...(code ? { code } : {}) });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-qonline-kind', schemaType: 'string' });
  return ajv;
}

/** The name of a schema's validator in the precompiled module: a hash of its JSON text. */
export function schemaKey(schema: object): string {
  return 'v' + createHash('sha1').update(JSON.stringify(schema)).digest('hex');
}

/** Where the CLI bundle (dist/cli-main.cjs) puts its precompiled validators: key -> the module's code as a function. */
const BUNDLED_VALIDATORS = Symbol.for('qonline.precompiled-validators');

/** Validators by `schemaKey`: a table, or a lookup that loads one validator on demand. */
export type PrecompiledValidators = Record<string, ValidateFunction> | ((key: string) => ValidateFunction | undefined);

/**
 * The validators precompiled at build time (`dist/validators/<key>.cjs`, one
 * ajv standalone module per schema: the pipeline schema and every built-in
 * component schema, written by `dist/precompile-validators.js` after tsup):
 * compiling them cost 50-150 ms of every CLI call. Each is loaded on first
 * use: a config needs a few dozen of the 84, and loading all of them as one
 * 0.8 MB module cost `validate` 4-6% more instructions (one module of lazy
 * factories, 5% more). Absent when running from source, where every schema
 * is compiled (the same ajv, the same options).
 */
function precompiledValidators(): PrecompiledValidators | null {
  const bundled = (globalThis as Record<symbol, unknown>)[BUNDLED_VALIDATORS] as Record<string, (exports: { validate?: ValidateFunction }, req: NodeJS.Require) => void> | undefined;
  if (bundled) {
    // The CLI bundle carries the same modules as functions (tsup.config.ts), so its code cache holds them compiled.
    const loaded = new Map<string, ValidateFunction | undefined>();
    return (key) => {
      if (!loaded.has(key)) {
        const factory = Object.hasOwn(bundled, key) ? bundled[key] : undefined;
        const exports: { validate?: ValidateFunction } = {};
        factory?.(exports, require);
        loaded.set(key, exports.validate);
      }
      return loaded.get(key);
    };
  }
  if (!import.meta.url.endsWith('.js')) return null;
  const dir = fileURLToPath(new URL('./validators/', import.meta.url));
  return (key) => {
    try {
      return (require(dir + key + '.cjs') as { validate: ValidateFunction }).validate;
    } catch (e) {
      // Not precompiled (a user plugin's schema, or a build without the step): compiled at run time.
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
      throw e;
    }
  };
}

/**
 * Every schema validated on its own during config validation: the roots and,
 * recursively, each branch of an `anyOf` (config walking tests branches one
 * by one), keyed by `schemaKey`.
 */
export function validatedSchemas(roots: object[]): Map<string, object> {
  const out = new Map<string, object>();
  const visit = (node: unknown, root: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => visit(n, false));
    const n = node as Record<string, unknown>;
    if (root) out.set(schemaKey(n), n);
    const anyOf = n['anyOf'];
    if (Array.isArray(anyOf)) for (const b of anyOf) visit(b, true);
    for (const [k, v] of Object.entries(n)) if (k !== 'anyOf') visit(v, false);
  };
  for (const r of roots) visit(r, true);
  return out;
}

/**
 * ESM-free CommonJS source of one module per schema (by `schemaKey`), each
 * exporting its validator as `validate`; a module holds only the code its
 * schema needs.
 */
export function standaloneValidators(schemas: Map<string, object>): Map<string, string> {
  const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (ajv: unknown, refs: Record<string, string>) => string }).default;
  const ajv = newAjv({ source: true });
  for (const [key, schema] of schemas) ajv.addSchema(schema, key);
  const out = new Map<string, string>();
  for (const key of schemas.keys()) out.set(key, standaloneCode(ajv, { validate: key }));
  return out;
}

/** Compiles each schema once (by object identity) and turns ajv errors into readable problems. */
export class SchemaValidator {
  private ajv?: Ajv2020Type;
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  /** Frozen component specs already validated whole (with their nested specs): the kernel does not check them again. */
  private readonly validatedSpecs = new WeakSet<object>();
  /** Schemas compiled by this validator (not found precompiled). */
  runtimeCompiles = 0;

  /** `precompiled`: validators by `schemaKey` (default: the build's `validators/` when running built code). */
  constructor(private readonly precompiled: PrecompiledValidators | null = precompiledValidators()) {}

  /** Remembers a frozen spec that passed validation (a frozen value cannot change afterwards). */
  markValidated(spec: object): void {
    if (Object.isFrozen(spec)) this.validatedSpecs.add(spec);
  }

  isValidated(spec: object): boolean {
    return this.validatedSpecs.has(spec);
  }

  validate(schema: object, value: unknown): SchemaProblem[] {
    let fn = this.compiled.get(schema);
    if (!fn) {
      const key = schemaKey(schema);
      fn = typeof this.precompiled === 'function' ? this.precompiled(key) : this.precompiled?.[key];
      if (!fn) {
        this.ajv ??= newAjv();
        fn = this.ajv.compile(schema) as ValidateFunction;
        this.runtimeCompiles++;
      }
      this.compiled.set(schema, fn);
    }
    if (fn(value)) return [];
    return simplify(fn.errors ?? []);
  }
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `expected ${String(p['type'])}`;
    case 'required':
      return `missing required property ${JSON.stringify(p['missingProperty'])}`;
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const props = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const near = closestMatches(name, props);
      return `unknown property ${JSON.stringify(name)}${near.length ? ` (did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?)` : ''}`;
    }
    case 'enum':
      return `expected one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `expected ${JSON.stringify(p['allowedValue'])}`;
    case 'format':
      return p['format'] === 'date' ? 'expected a real calendar date YYYY-MM-DD' : `expected a ${String(p['format'])}`;
    case 'pattern':
      return e.message?.includes('\\d{4}') || String(p['pattern']).includes('\\d{4}') ? 'expected a real calendar date YYYY-MM-DD' : `expected to match ${String(p['pattern'])}`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * ajv reports anyOf failures branch by branch. Where the value's type matches
 * one branch (an object given to `object | array of object`), report that
 * branch's own errors; otherwise say it matches no allowed form.
 */
function simplify(errors: ErrorObject[]): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string): void => {
    const key = `${path}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const consumed = new Set<ErrorObject>();
  for (const a of anyOfs) {
    const prefix = a.schemaPath + '/';
    const branchErrors = errors.filter((e) => e !== a && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(a.instancePath));
    branchErrors.forEach((e) => consumed.add(e));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of branchErrors) {
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    // A branch whose errors are not a type mismatch of the value itself is the one the user meant.
    const meant = [...byBranch.values()].filter((errs) => !errs.some((e) => e.keyword === 'type' && e.instancePath === a.instancePath));
    if (meant.length === 1) {
      for (const e of meant[0]!) {
        if (e.keyword === 'anyOf') continue;
        let path = e.instancePath;
        if (e.keyword === 'additionalProperties') path += '/' + String((e.params as Record<string, unknown>)['additionalProperty']);
        push(path, describe(e));
      }
    } else push(a.instancePath, 'does not match any allowed form');
  }
  for (const e of errors) {
    if (e.keyword === 'anyOf' || consumed.has(e)) continue;
    let path = e.instancePath;
    if (e.keyword === 'additionalProperties') path += '/' + String((e.params as Record<string, unknown>)['additionalProperty']);
    push(path, describe(e));
  }
  return out;
}
