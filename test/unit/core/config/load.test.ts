import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, parseConfigText } from '../../../../core/config/load.js';
import { isQonlineError } from '../../../../core/errors/index.js';

function refusal(text: string): { code: string; message: string; line?: number } {
  try {
    parseConfigText(text, '/x/c.yaml', {});
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    return { code: e.code, message: e.message, line: e.location?.line };
  }
  throw new Error('accepted');
}

describe('parseConfigText refuses hostile YAML as a parse error with a location', () => {
  it('an alias without an anchor', () => {
    const r = refusal('a: 1\nb: *x\n');
    expect(r.code).toBe('QONLINE_CONFIG_PARSE');
    expect(r.message).toMatch(/alias \*x has no anchor/);
    expect(r.line).toBe(2);
  });
  it('an alias before its anchor', () => {
    const r = refusal('a: *x\nb: &x 1\n');
    expect(r.code).toBe('QONLINE_CONFIG_PARSE');
    expect(r.line).toBe(1);
  });
  it('an alias bomb (10 levels of 10 aliases each)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const r = refusal(lines.join('\n') + '\n');
    expect(r.code).toBe('QONLINE_CONFIG_PARSE');
    expect(r.message).toMatch(/alias bomb/);
    expect(r.line).toBeGreaterThan(1);
  });
  it('duplicate keys (found in one pass)', () => {
    const r = refusal('a: 1\nb: 2\na: 3\n');
    expect(r.code).toBe('QONLINE_CONFIG_PARSE');
    expect(r.message).toMatch(/"a" appears twice/);
    expect(r.line).toBe(3);
  });
  it('20,000 nested brackets', () => {
    const r = refusal('a: ' + '['.repeat(20000) + ']'.repeat(20000) + '\n');
    expect(r.code).toMatch(/QONLINE_CONFIG_(PARSE|INVALID)/);
  });
  it('a file above the size limit', () => {
    const r = refusal('a: "' + 'x'.repeat(MAX_CONFIG_BYTES) + '"\n');
    expect(r.code).toBe('QONLINE_CONFIG_INVALID');
    expect(r.message).toMatch(/limit is 2 MiB/);
  });
  it('ordinary anchors and aliases still work', () => {
    expect(parseConfigText('a: &x {b: 1}\nc: *x\n', '/x/c.yaml', {}).value).toEqual({ a: { b: 1 }, c: { b: 1 } });
  });
});

describe('a config written as JSON (read by JSON.parse, YAML document built only for positions)', () => {
  const json = JSON.stringify(
    {
      version: 1,
      manager: { name: 'm', begin_time: '2021-12-13' },
      strategies: [{ class: 'RollingStrategy', kwargs: { name: 's', rolling_gen: { kwargs: { step: 250, rtype: 'sliding' } }, ratio: 1.5e-3, n: -0, big: 12345678901234567890, u: 'é\u00e9\\/', home: '${HOME_X:-/tmp/h}' } }],
      empty: {},
      list: [1, [2, { a: null }], true],
    },
    null,
    2,
  );
  // The same text read the YAML way (a leading comment keeps it off the JSON path, one line lower).
  const viaYaml = (text: string) => parseConfigText('# yaml\n' + text, '/x/c.yaml', {});

  it('gives the value and the positions the YAML path gives', () => {
    const fast = parseConfigText(json, '/x/c.yaml', {});
    const slow = viaYaml(json);
    expect(fast.value).toEqual(slow.value);
    expect(Object.is((fast.value['strategies'] as { kwargs: { n: number } }[])[0]!.kwargs.n, -0)).toBe(Object.is((slow.value['strategies'] as { kwargs: { n: number } }[])[0]!.kwargs.n, -0));
    for (const [pointer, preferKey] of [['/manager/begin_time', false], ['/strategies/0/kwargs/rolling_gen', false], ['/strategies/0/kwargs/nope', true], ['/list/1/1/a', true], ['', false]] as const) {
      const a = fast.locate(pointer, preferKey);
      const b = slow.locate(pointer, preferKey);
      expect({ ...a, line: a.line }, pointer).toEqual({ ...b, line: b.line === undefined ? undefined : b.line - 1 });
    }
  });

  it('reports what the YAML path reports: repeated keys, object-property keys, an unset variable', () => {
    const dup = '{\n  "a": 1,\n  "b": {"c": 1, "c": 2}\n}\n';
    expect(refusal(dup)).toEqual({ code: 'QONLINE_CONFIG_PARSE', message: 'invalid YAML: map keys must be unique: "c" appears twice', line: 3 });
    const proto = '{"a": {"__proto__": {"x": 1}}}';
    expect(refusal(proto).message).toMatch(/the key "__proto__" is not allowed/);
    const unset = '{\n  "a": {\n    "b": "${NOT_SET_ANYWHERE}"\n  }\n}\n';
    expect(refusal(unset)).toEqual({ code: 'QONLINE_CONFIG_ENV', message: expect.stringMatching(/NOT_SET_ANYWHERE is not set/), line: 3 });
    // Not an object at the top, or not JSON at all: the YAML path as before.
    expect(refusal('[1, 2]').code).toBe('QONLINE_CONFIG_INVALID');
    expect(parseConfigText('{a: 1}', '/x/c.yaml', {}).value).toEqual({ a: 1 });
  });
});
