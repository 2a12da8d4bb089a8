import * as AjvModule from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { isIsoDate } from '../calendar/calendar.js';
import { closestMatches } from './did-you-mean.js';

// ajv and ajv-formats are CommonJS; under ESM their classes sit on `.default`.
const Ajv2020 = (AjvModule as unknown as { default: typeof AjvModule.Ajv2020 }).default;
const addFormats = (addFormatsModule as unknown as { default: (ajv: unknown) => void }).default;

export interface SchemaProblem {
  /** JSON pointer inside the validated value. */
  path: string;
  message: string;
}

/** Compiles each schema once (by object identity) and turns ajv errors into readable problems. */
export class SchemaValidator {
  private readonly ajv: AjvModule.Ajv2020;
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  /** Frozen component specs already validated whole (with their nested specs): the kernel does not check them again. */
  private readonly validatedSpecs = new WeakSet<object>();

  constructor() {
    this.ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false, allowUnionTypes: true, verbose: true });
    addFormats(this.ajv);
    // ajv-formats' date accepts year 0000; qonline's dates are the ones isIsoDate accepts, everywhere.
    this.ajv.addFormat('date', { type: 'string', validate: (s: string) => isIsoDate(s) });
    this.ajv.addKeyword({ keyword: 'x-qonline-kind', schemaType: 'string' });
  }

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
      fn = this.ajv.compile(schema) as ValidateFunction;
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
      return e.message?.includes('\\d{4}') || String(p['pattern']).includes('\\d{4}') ? 'expected a date YYYY-MM-DD' : `expected to match ${String(p['pattern'])}`;
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
