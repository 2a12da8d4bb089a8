import { createHash } from 'node:crypto';
import { QonlineError } from '../errors/index.js';

/**
 * Tasks are identified by the sha256 of their canonical JSON, so two tasks that
 * differ only in key order, `1` vs `1.0` or `-0` vs `0` must serialise alike,
 * and a task must hash the same before and after a JSON round trip (store,
 * YAML). Hence JSON's own rules for `undefined` (dropped in objects, `null` in
 * arrays) and a hard error for anything JSON would silently mangle
 * (functions, NaN, Date, Map, class instances, cycles).
 */

function pointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? '/' : '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function reject(path: readonly (string | number)[], found: string): never {
  const at = pointer(path);
  throw new QonlineError('QONLINE_CONFIG_INVALID', `a task must be plain JSON data; found ${found} at ${at}`, {
    location: { path: at },
    hint: 'use strings, finite numbers, booleans, null, arrays and plain objects only (dates as "YYYY-MM-DD" strings)',
  });
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return `a bigint (${String(value)}n)`;
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return 'a Date object';
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `an instance of ${ctor}` : 'a non-plain object';
}

/**
 * Rebuilds `value` as plain JSON data, the way JSON.stringify would see it;
 * the canonical serialiser and the deep copy both go through it, so they
 * accept and reject exactly the same inputs.
 */
function toPlain(value: unknown, path: (string | number)[], seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) reject(path, describe(value));
      return value === 0 ? 0 : value; // -0 -> 0
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) reject(path, 'a circular reference');
      if (Array.isArray(value)) {
        seen.add(value);
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          path.push(i);
          out[i] = item === undefined ? null : toPlain(item, path, seen);
          path.pop();
        }
        seen.delete(value);
        return out;
      }
      if (!isPlainObject(value)) reject(path, describe(value));
      seen.add(value);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        path.push(key);
        out[key] = toPlain(item, path, seen);
        path.pop();
      }
      seen.delete(value);
      return out;
    }
    default:
      return reject(path, describe(value));
  }
}

/**
 * A deep copy that is plain JSON data: `undefined` object members dropped,
 * `undefined` array items as `null`, `-0` as `0`; throws QONLINE_CONFIG_INVALID
 * (naming the JSON pointer) on anything that is not JSON data.
 */
export function plainJsonCopy<T>(value: T): T {
  return toPlain(value, [], new Set()) as T;
}

function serialise(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    out.push(JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      serialise(value[i], out);
    }
    out.push(']');
    return;
  }
  // Default sort compares UTF-16 code units, as RFC 8785 (JCS) prescribes.
  const keys = Object.keys(value).sort();
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(keys[i]), ':');
    serialise((value as Record<string, unknown>)[keys[i]!], out);
  }
  out.push('}');
}

/**
 * Canonical JSON text: object keys sorted, no whitespace, arrays in order,
 * numbers in JavaScript's shortest round-trip form (so `1.0` and `1` agree),
 * `-0` as `0`, `undefined` members dropped. Throws QONLINE_CONFIG_INVALID on
 * functions, symbols, bigints, NaN/Infinity, Dates, non-plain objects and cycles.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) reject([], 'undefined');
  const plain = toPlain(value, [], new Set());
  const out: string[] = [];
  serialise(plain, out);
  return out.join('');
}

/** Hex sha256 of the task's canonical JSON: the task's identity in the store. */
export function taskHash(task: unknown): string {
  return createHash('sha256').update(canonicalJson(task), 'utf8').digest('hex');
}
