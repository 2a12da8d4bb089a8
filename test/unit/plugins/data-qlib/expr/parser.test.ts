import { describe, expect, it } from 'vitest';
import { isQonlineError } from '../../../../../core/index.js';
import {
  compileExpression,
  evaluate,
  fieldsOf,
  formatExpression,
  OPERATORS,
  parseExpression,
  windowExtent,
  type ExprNode,
} from '../../../../../plugins/data-qlib/src/expr/index.js';
import { rng } from './series.js';

const F = (name: string): ExprNode => ({ type: 'field', name });
const C = (value: number): ExprNode => ({ type: 'number', value });
const call = (op: string, ...args: ExprNode[]): ExprNode => ({ type: 'call', op, args });

/** The error parseExpression throws for `src`, checked to be a syntax error. */
function syntaxErrorOf(src: string): { message: string; column?: number; hint?: string } {
  try {
    parseExpression(src);
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    expect(e.code).toBe('QONLINE_EXPRESSION_SYNTAX');
    return { message: e.message, column: e.location?.column, hint: e.hint };
  }
  throw new Error(`expected a syntax error for ${src}`);
}

describe('parseExpression: precedence', () => {
  it('binds * and / tighter than + and -, all left-associative', () => {
    expect(parseExpression('$a + $b * $c')).toEqual(call('Add', F('a'), call('Mul', F('b'), F('c'))));
    expect(parseExpression('($a + $b) * $c')).toEqual(call('Mul', call('Add', F('a'), F('b')), F('c')));
    expect(parseExpression('$a - $b - $c')).toEqual(call('Sub', call('Sub', F('a'), F('b')), F('c')));
    expect(parseExpression('$a / $b / $c')).toEqual(call('Div', call('Div', F('a'), F('b')), F('c')));
    expect(parseExpression('$a - $b + $c')).toEqual(call('Add', call('Sub', F('a'), F('b')), F('c')));
  });

  it('parses unary minus (Qlib cannot), binding tighter than * as in Python', () => {
    expect(parseExpression('-$close')).toEqual(call('Neg', F('close')));
    expect(parseExpression('-$a * $b')).toEqual(call('Mul', call('Neg', F('a')), F('b')));
    expect(parseExpression('$a * -$b')).toEqual(call('Mul', F('a'), call('Neg', F('b'))));
    expect(parseExpression('- -$a')).toEqual(call('Neg', call('Neg', F('a'))));
    expect(parseExpression('+$a')).toEqual(F('a'));
    expect(parseExpression('$a - -1')).toEqual(call('Sub', F('a'), C(-1)));
    expect(parseExpression('-(1 + $a)')).toEqual(call('Neg', call('Add', C(1), F('a'))));
  });

  it("follows Python for & and |: & tighter than |, both looser than + and tighter than comparisons", () => {
    expect(parseExpression('$a | $b & $c')).toEqual(call('Or', F('a'), call('And', F('b'), F('c'))));
    expect(parseExpression('$a & $b + $c')).toEqual(call('And', F('a'), call('Add', F('b'), F('c'))));
    expect(parseExpression('($a > $b) & ($c <= 1)')).toEqual(
      call('And', call('Gt', F('a'), F('b')), call('Le', F('c'), C(1))),
    );
    expect(parseExpression('$a + 1 > $b * 2')).toEqual(call('Gt', call('Add', F('a'), C(1)), call('Mul', F('b'), C(2))));
    expect(parseExpression('$a > ($b & $c)')).toEqual(call('Gt', F('a'), call('And', F('b'), F('c'))));
    for (const [src, op] of [
      ['$a >= $b', 'Ge'],
      ['$a < $b', 'Lt'],
      ['$a == $b', 'Eq'],
      ['$a != $b', 'Ne'],
    ] as const) {
      expect(parseExpression(src)).toEqual(call(op, F('a'), F('b')));
    }
  });

  it('reads numbers: integers, decimals, scientific notation', () => {
    for (const [src, v] of [
      ['1', 1],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['3.', 3],
      ['1e-12', 1e-12],
      ['2.5E+3', 2500],
      ['7e2', 700],
    ] as const) {
      expect(parseExpression(src)).toEqual(C(v));
    }
  });

  it('folds arithmetic on numbers as Python would before Qlib sees it', () => {
    expect(parseExpression('Mean($close, 2*5)')).toEqual(call('Mean', F('close'), C(10)));
    expect(parseExpression('$a * (1/4)')).toEqual(call('Mul', F('a'), C(0.25)));
    expect(parseExpression('1/0')).toEqual(call('Div', C(1), C(0)));
  });

  it('parses function calls, nested, with any spacing; field names may hold digits and _', () => {
    expect(parseExpression('Corr( $close , Log( $volume+1 ) , 10 )')).toEqual(
      call('Corr', F('close'), call('Log', call('Add', F('volume'), C(1))), C(10)),
    );
    expect(parseExpression('Quantile($my_field_5, 20, 0.8)')).toEqual(call('Quantile', F('my_field_5'), C(20), C(0.8)));
    expect(parseExpression('Add($a, 1)')).toEqual(parseExpression('$a + 1'));
  });
});

describe('parseExpression: errors name the column and what was expected', () => {
  it('rejects & or | next to a comparison without parentheses', () => {
    const e = syntaxErrorOf('$a > $b & $c > $d');
    expect(e.column).toBe(6);
    expect(e.message).toMatch(/bind tighter than comparisons/);
    expect(e.hint).toMatch(/parentheses/);
    expect(syntaxErrorOf('$a & $b > $c').column).toBe(1);
    expect(syntaxErrorOf('$a > $b | $c').column).toBe(6);
  });

  it('rejects chained comparisons', () => {
    const e = syntaxErrorOf('$a < $b < $c');
    expect(e.message).toMatch(/chained comparison/);
    expect(e.column).toBe(9);
    expect(syntaxErrorOf('$a == $b == $c').column).toBe(10);
  });

  it('suggests operators for unknown names', () => {
    const e = syntaxErrorOf('Maen($close, 5)');
    expect(e.column).toBe(1);
    expect(e.message).toMatch(/unknown operator 'Maen'/);
    expect(e.hint).toMatch(/^did you mean Mean/);
    expect(syntaxErrorOf('1 + mean($close, 5)').hint).toMatch(/^did you mean Mean/);
    expect(syntaxErrorOf('Stdev($x, 5)').hint).toMatch(/Std/);
    expect(syntaxErrorOf('Mask($close, 5)').message).toMatch(/not supported/);
  });

  it('points at missing operands, parentheses and arguments', () => {
    expect(syntaxErrorOf('Mean($close, )')).toMatchObject({ column: 14 });
    expect(syntaxErrorOf('Mean($close 5)').column).toBe(13);
    expect(syntaxErrorOf('Mean($close, 5').message).toMatch(/expected '\)' to close the call of Mean opened at column 5/);
    expect(syntaxErrorOf('($a + 1').message).toMatch(/to close the '\(' at column 1/);
    expect(syntaxErrorOf('$a $b').column).toBe(4);
    expect(syntaxErrorOf('$a +').column).toBe(5);
    expect(syntaxErrorOf('').message).toMatch(/empty/);
    expect(syntaxErrorOf('()').column).toBe(2);
    expect(syntaxErrorOf('Ref($close)').message).toMatch(/Ref takes 2 arguments Ref\(x, N\), found 1/);
    expect(syntaxErrorOf('Abs($a, $b)').message).toMatch(/found 2/);
  });

  it('explains fields, operators and characters it cannot read', () => {
    expect(syntaxErrorOf('close + 1').message).toMatch(/fields start with '\$'/);
    expect(syntaxErrorOf('$ + 1').column).toBe(1);
    expect(syntaxErrorOf('$$close').message).toMatch(/point-in-time/);
    expect(syntaxErrorOf('$a = 1').hint).toMatch(/==/);
    expect(syntaxErrorOf('$a ** 2').hint).toMatch(/Power/);
    expect(syntaxErrorOf('$a ^ 2').hint).toMatch(/Power/);
    expect(syntaxErrorOf('5min').column).toBe(2);
    expect(syntaxErrorOf('1e400').message).toMatch(/out of range/);
    expect(syntaxErrorOf("Mean($a, 'x')").column).toBe(10);
  });

  it('checks windows and numeric parameters', () => {
    expect(syntaxErrorOf('Mean($close, $open)').message).toMatch(/argument N of Mean\(x, N\) must be a number/);
    const between = syntaxErrorOf('Mean($close, 0.5)');
    expect(between.column).toBe(14);
    expect(between.message).toMatch(/write EMA\(x, 0.5\)/);
    expect(syntaxErrorOf('Std($close, -1)').column).toBe(13);
    expect(syntaxErrorOf('Sum($close, 2.5)').message).toMatch(/whole number/);
    expect(syntaxErrorOf('Skew($close, 2)').message).toMatch(/at least 3/);
    expect(syntaxErrorOf('Kurt($close, 3)').message).toMatch(/at least 4/);
    expect(syntaxErrorOf('EMA($close, 0)').message).toMatch(/span N >= 1/);
    expect(syntaxErrorOf('EMA($close, -2)').message).toMatch(/span N >= 1/);
    expect(syntaxErrorOf('Quantile($close, 5, 1.5)').message).toMatch(/between 0 and 1/);
    expect(syntaxErrorOf('Ref($close, 1.5)').message).toMatch(/whole rows/);
    expect(syntaxErrorOf('Corr($a, $b, 0.3)').message).toMatch(/EMA/);
    // allowed edge values
    for (const ok of ['Skew($x, 0)', 'Kurt($x, 4)', 'EMA($x, 1)', 'EMA($x, 0.5)', 'Quantile($x, 3, 0)', 'Ref($x, -3)', 'Delta($x, 0)']) {
      expect(() => parseExpression(ok)).not.toThrow();
    }
  });
});

describe('formatExpression', () => {
  const CORPUS = [
    'Ref($close, 1)/$close - 1',
    '($close-$open)/$open',
    '(2*$close-$high-$low)/($high-$low+1e-12)',
    'Corr($close, Log($volume+1), 10)',
    'Sum(Greater($close-Ref($close, 1), 0), 14)/(Sum(Abs($close-Ref($close, 1)), 14)+1e-12)',
    'Mean($close>Ref($close, 1), 5)-Mean($close<Ref($close, 1), 5)',
    '($close > $open) & ($volume > 0) | Not($high == $low)',
    '-$close * -2 - -(1 + $a)',
    '$a - ($b - $c)',
    '$a / ($b * $c)',
    '(($a > $b) > $c) != 0',
    'If($a > 0, $a, -$a)',
    'Quantile($close, 20, 0.8)/$close',
    '$a & ($b | $c)',
  ];

  it('is canonical: spacing, function-call spelling of infix operators and folding do not matter', () => {
    const texts = [
      'Ref($close,1)/$close-1',
      ' Ref( $close , 1 ) / $close - 1 ',
      'Sub(Div(Ref($close, 1), $close), 1)',
      'Ref($close, 2-1)/$close - 1',
    ].map((s) => formatExpression(parseExpression(s)));
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toBe('Ref($close, 1) / $close - 1');
  });

  it('round-trips: parse(format(node)) gives the node back, and formatting is idempotent', () => {
    for (const src of CORPUS) {
      const node = parseExpression(src);
      const text = formatExpression(node);
      expect(parseExpression(text), src).toEqual(node);
      expect(formatExpression(parseExpression(text))).toBe(text);
    }
  });

  it('round-trips random trees (needed parentheses only)', () => {
    const r = rng(5);
    const infix = ['Add', 'Sub', 'Mul', 'Div', 'And', 'Or', 'Gt', 'Le', 'Ne'];
    const gen = (depth: number): ExprNode => {
      const k = r();
      if (depth === 0 || k < 0.2) return r() < 0.5 ? F(['a', 'b', 'c'][Math.floor(r() * 3)]!) : C(Math.round((r() - 0.5) * 200) / 8);
      // Only forms the parser produces: no Neg of a number, no arithmetic on two numbers.
      if (k < 0.3) {
        const operand = gen(depth - 1);
        return operand.type === 'number' ? C(-operand.value) : call('Neg', operand);
      }
      if (k < 0.4) return call('Mean', gen(depth - 1), C(1 + Math.floor(r() * 9)));
      const left = gen(depth - 1);
      const right = left.type === 'number' ? F('c') : gen(depth - 1);
      return call(infix[Math.floor(r() * infix.length)]!, left, right);
    };
    for (let i = 0; i < 400; i++) {
      const node = gen(5);
      const text = formatExpression(node);
      expect(parseExpression(text), text).toEqual(node);
    }
    expect(formatExpression(call('Sub', F('a'), call('Sub', F('b'), F('c'))))).toBe('$a - ($b - $c)');
    expect(formatExpression(call('Neg', call('Mul', F('a'), F('b'))))).toBe('-($a * $b)');
    expect(formatExpression(call('Gt', call('And', F('a'), F('b')), C(0)))).toBe('($a & $b) > 0');
    expect(formatExpression(C(1e21))).toBe('1e+21');
  });
});

describe('fieldsOf, OPERATORS, compileExpression', () => {
  it('lists raw fields once, sorted', () => {
    expect(fieldsOf(parseExpression('Corr($close, Log($volume+1), 10) / $close'))).toEqual(['close', 'volume']);
    expect(fieldsOf(parseExpression('1 + 2'))).toEqual([]);
  });

  it('documents every required operator', () => {
    const names = OPERATORS.map((o) => o.name);
    for (const op of 'Ref Mean Sum Std Var Skew Kurt Max Min IdxMax IdxMin Quantile Med Mad Rank Count Delta Slope Rsquare Resi WMA EMA Corr Cov Abs Sign Log Power Greater Less If Gt Ge Lt Le Eq Ne And Or Not Add Sub Mul Div'.split(' ')) {
      expect(names).toContain(op);
    }
    for (const o of OPERATORS) {
      expect(o.doc.length).toBeGreaterThan(5);
      expect(o.arity).toMatch(/^\(.*\)$/);
    }
  });

  it('compiles to node, canonical text, fields and an evaluator', () => {
    const c = compileExpression('Mean( $close ,5)/$open');
    expect(c.text).toBe('Mean($close, 5) / $open');
    expect(c.fields).toEqual(['close', 'open']);
    expect(c.node).toEqual(parseExpression(c.text));
    expect(JSON.parse(JSON.stringify(c.node))).toEqual(c.node);
  });

  it('checks hand-built nodes when evaluating them', () => {
    const input = { length: 1, field: () => new Float32Array(1) };
    const bad: ExprNode[] = [
      call('Nope', F('a')),
      call('Mean', F('a')),
      call('Mean', F('a'), F('b')),
      call('Mean', F('a'), C(0.5)),
      { type: 'number', value: NaN },
      { type: 'field', name: 'a b' },
      { type: 'what' } as unknown as ExprNode,
    ];
    for (const node of bad) {
      expect(() => evaluate(node, input)).toThrow(expect.objectContaining({ code: 'QONLINE_EXPRESSION_SYNTAX' }));
    }
  });
});

describe('windowExtent', () => {
  const ext = (s: string) => windowExtent(parseExpression(s));

  it('adds history for windows and shifts, future for negative shifts', () => {
    expect(ext('$close + 1')).toEqual({ back: 0, forward: 0 });
    expect(ext('Ref($close, 5)')).toEqual({ back: 5, forward: 0 });
    expect(ext('Ref($close, -2)')).toEqual({ back: 0, forward: 2 });
    expect(ext('Ref($close, 0)')).toEqual({ back: 0, forward: 0 });
    expect(ext('Mean($close, 20)')).toEqual({ back: 19, forward: 0 });
    expect(ext('Mean(Ref($close, 1), 5)')).toEqual({ back: 5, forward: 0 });
    expect(ext('Corr($a, Ref($b, 3), 10)')).toEqual({ back: 12, forward: 0 });
    expect(ext('Ref(Ref($x, -1), 1)')).toEqual({ back: 1, forward: 1 });
    expect(ext('Delta($x, 3) + Ref($y, -4)')).toEqual({ back: 3, forward: 4 });
    expect(ext('Quantile($x, 10, 0.2)')).toEqual({ back: 9, forward: 0 });
  });

  it('is infinite for expanding windows, EMA and Delta(x, 0)', () => {
    expect(ext('Mean($close, 0)').back).toBe(Infinity);
    expect(ext('EMA($close, 10)').back).toBe(Infinity);
    expect(ext('EMA($close, 0.2) / $close').back).toBe(Infinity);
    expect(ext('Delta($close, 0)').back).toBe(Infinity);
    expect(ext('Mean(Ref($close, -1), 0)')).toEqual({ back: Infinity, forward: 1 });
  });
});
