import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isQonlineError } from '../../../../core/errors/index.js';
import { canonicalJson, plainJsonCopy, taskHash } from '../../../../core/task/canonical.js';

function rejection(value: unknown): { code: string; message: string; path?: string } {
  try {
    canonicalJson(value);
  } catch (e) {
    if (isQonlineError(e)) return { code: e.code, message: e.message, path: e.location?.path };
    throw e;
  }
  throw new Error('expected canonicalJson to reject');
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('ignores key order, keeps array order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson({ y: [1, 2] })).not.toBe(canonicalJson({ y: [2, 1] }));
  });

  it('orders keys by UTF-16 code units (upper case before lower, accents last)', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, a: 4, _: 5, '10': 6, '9': 7 })).toBe('{"10":6,"9":7,"Z":3,"_":5,"a":4,"z":2,"é":1}');
  });

  it('normalises numbers: 1.0 is 1, -0 is 0, exponents in shortest form', () => {
    expect(canonicalJson(JSON.parse('{"lr":1.0,"n":-0.0,"big":1e21,"small":0.000001,"f":0.1}'))).toBe(
      '{"big":1e+21,"f":0.1,"lr":1,"n":0,"small":0.000001}',
    );
    expect(canonicalJson({ a: -0 })).toBe(canonicalJson({ a: 0 }));
  });

  it('drops undefined members and writes undefined array items as null, as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: [1, undefined, 3] })).toBe('{"b":[1,null,3]}');
    const v = { a: undefined, b: { c: undefined, d: 2 } };
    expect(canonicalJson(v)).toBe(canonicalJson(JSON.parse(JSON.stringify(v))));
  });

  it('escapes strings as JSON', () => {
    expect(canonicalJson({ 'k"\n': 'a\\b\u0001"é' })).toBe('{"k\\"\\n":"a\\\\b\\u0001\\"é"}');
  });

  it('is stable through its own round trip', () => {
    const v = { model: { class: 'LGBModel', kwargs: { lr: 0.05, leaves: [31, 63] } }, x: [{ b: 1, a: 2 }] };
    const once = canonicalJson(v);
    expect(canonicalJson(JSON.parse(once))).toBe(once);
  });

  it('accepts a shared (non-circular) sub-object twice', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
  });

  it('rejects what JSON would mangle, naming where', () => {
    expect(rejection({ a: [1, NaN] })).toMatchObject({ code: 'QONLINE_CONFIG_INVALID', path: '/a/1' });
    expect(rejection({ a: Infinity }).message).toContain('Infinity at /a');
    expect(rejection({ f: () => 1 }).message).toContain('a function at /f');
    expect(rejection({ d: new Date(0) }).message).toContain('a Date object at /d');
    expect(rejection({ m: new Map() }).message).toContain('an instance of Map at /m');
    expect(rejection({ b: 10n }).message).toContain('bigint');
    expect(rejection({ s: Symbol('x') }).message).toContain('symbol');
    expect(rejection({ 'a/b': { c: new Set() } }).path).toBe('/a~1b/c');
    expect(rejection(undefined).code).toBe('QONLINE_CONFIG_INVALID');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(rejection(cyclic).message).toContain('circular reference at /self');
  });
});

describe('taskHash', () => {
  it('is the sha256 hex of the canonical text', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[2,{"c":"x","d":null}]}').digest('hex');
    expect(taskHash({ b: [2, { d: null, c: 'x' }], a: 1.0 })).toBe(expected);
    expect(taskHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('is equal for equivalent nested tasks and differs on any value change', () => {
    const a = { model: { class: 'M', kwargs: { lr: 1, depth: 3 } }, dataset: { kwargs: { segments: { test: ['2024-01-02', null] } } } };
    const b = { dataset: { kwargs: { segments: { test: ['2024-01-02', null] } } }, model: { kwargs: { depth: 3.0, lr: 1.0 }, class: 'M' } };
    expect(taskHash(a)).toBe(taskHash(b));
    expect(taskHash(a)).toMatch(/^[0-9a-f]{64}$/);
    const c = { ...a, model: { class: 'M', kwargs: { lr: 1, depth: 4 } } };
    expect(taskHash(c)).not.toBe(taskHash(a));
  });
});

describe('plainJsonCopy', () => {
  it('copies deeply into plain JSON data', () => {
    const src = { a: { b: [1, { c: 2 }] }, u: undefined, z: -0 };
    const copy = plainJsonCopy(src);
    expect(copy).toStrictEqual({ a: { b: [1, { c: 2 }] }, z: 0 });
    expect('u' in copy).toBe(false);
    expect(Object.is(copy.z, 0)).toBe(true);
    expect(copy.a).not.toBe(src.a);
    expect(copy.a.b[1]).not.toBe(src.a.b[1]);
  });

  it('rejects what canonicalJson rejects', () => {
    expect(() => plainJsonCopy({ d: new Date() })).toThrow(/Date object at \/d/);
  });
});
