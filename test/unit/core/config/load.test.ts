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
