import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, parseExpression } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { expectClose, input } from './series.js';

/**
 * Results computed by Qlib's own ops.py (see fixtures/gen_qlib_reference.py)
 * on two synthetic instruments: a 160-row one with leading NaNs, gaps, a
 * 14-row gap and a flat suspension-like run, and a 7-row one shorter than
 * most windows. qonline rounds every intermediate to float32 where Qlib keeps
 * float64 after rolling operators, so values agree to float32 precision, not
 * bit for bit.
 */
type Encoded = number | null | 'Infinity' | '-Infinity';
interface Fixture {
  generator: string;
  series: Record<string, Record<string, Encoded[]>>;
  cases: { series: string; expr: string; expected: Encoded[] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/qlib-reference.json', import.meta.url), 'utf8'),
) as Fixture;

function decode(values: Encoded[]): number[] {
  return values.map((v) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

const inputs = Object.fromEntries(
  Object.entries(fixture.series).map(([name, fields]) => [
    name,
    input(Object.fromEntries(Object.entries(fields).map(([f, v]) => [f, Float32Array.from(decode(v))]))),
  ]),
);

describe(`matches Qlib's operators (${fixture.generator})`, () => {
  it('covers every case in the fixture', () => {
    expect(fixture.cases.length).toBeGreaterThan(250);
  });

  for (const name of Object.keys(fixture.series)) {
    it(`agrees on every expression for the ${name} series`, () => {
      for (const c of fixture.cases.filter((k) => k.series === name)) {
        const expected = decode(c.expected);
        const scale = Math.max(0, ...expected.filter(Number.isFinite).map(Math.abs));
        const actual = evaluate(parseExpression(c.expr), inputs[name]!);
        expectClose(actual, expected, {
          what: `${c.expr} on ${name}`,
          relTol: 5e-6,
          absTol: 1e-6,
          scale: expected.map(() => scale),
        });
      }
    });
  }
});
