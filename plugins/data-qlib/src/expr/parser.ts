import { callNode, fieldNode, numberNode, type ExprNode } from './ast.js';
import {
  checkParam,
  type ExprMode,
  operatorSignature,
  operatorSpec,
  suggestOperators,
  UNSUPPORTED_QLIB_OPERATORS,
} from './operators.js';
import { syntaxError } from './syntax-error.js';
import { tokenize, type Token } from './tokenizer.js';

/**
 * Grammar (Python's precedence, because Qlib evaluates expressions with
 * Python's parser), lowest binding first:
 *
 *   expr       := bitOr [ compareOp bitOr ]          one comparison, no chains
 *   bitOr      := bitAnd { '|' bitAnd }
 *   bitAnd     := additive { '&' additive }
 *   additive   := term { ('+' | '-') term }
 *   term       := unary { ('*' | '/') unary }
 *   unary      := ('-' | '+') unary | primary
 *   primary    := number | '$'name | Name '(' [ expr { ',' expr } ] ')' | '(' expr ')'
 *
 * As in Python, `&` and `|` bind tighter than comparisons, so `a > b & c > d`
 * would mean `a > (b & c) > d`. Every such text is rejected: a comparison
 * whose operand is an unparenthesized `&`/`|` expression, and any chained
 * comparison, are errors asking for parentheses.
 */
export function parseExpression(src: string): ExprNode {
  return parseExpressionWith(src, {});
}

/** parseExpression with options: `mode: 'qlib'` accepts what only Qlib's semantics define (EMA(x, 0), Mean(x, 0.5)). */
export function parseExpressionWith(src: string, options: { mode?: ExprMode }): ExprNode {
  if (typeof src !== 'string') {
    throw syntaxError(String(src), 1, `an expression must be a string, found ${typeof src}`);
  }
  const mode = options.mode ?? 'default';
  const memo = parsed[mode];
  let node = memo.get(src);
  if (!node) {
    node = new Parser(src, mode).parseAll();
    if (memo.size >= PARSED_MAX) memo.clear();
    memo.set(src, node);
  }
  return node;
}

/**
 * Nodes parsed so far, per mode: the config check, the provider and the
 * handlers parse the same texts (Alpha158's 158) in one process, and a
 * shared node also shares its evaluation plan. Nodes are never mutated.
 */
const parsed = { default: new Map<string, ExprNode>(), qlib: new Map<string, ExprNode>() };
const PARSED_MAX = 20_000;

/**
 * Deepest nesting of parentheses, calls and unary signs an expression may
 * have. The parser is recursive; stopping here gives a clear error instead of
 * a stack overflow (Alpha158's deepest formula nests 6 levels).
 */
export const MAX_EXPRESSION_DEPTH = 200;

const COMPARISONS: Record<string, string> = { '>': 'Gt', '>=': 'Ge', '<': 'Lt', '<=': 'Le', '==': 'Eq', '!=': 'Ne' };

interface Parsed {
  node: ExprNode;
  column: number;
  /** An `&`/`|` expression not wrapped in parentheses (ambiguous next to a comparison). */
  bareLogic: boolean;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly mode: ExprMode = 'default',
  ) {
    this.tokens = tokenize(src);
  }

  parseAll(): ExprNode {
    if (this.peek().kind === 'end') throw syntaxError(this.src, 1, 'the expression is empty');
    const result = this.expr();
    const next = this.peek();
    if (next.kind !== 'end') {
      throw syntaxError(this.src, next.column, `expected an operator or the end of the expression, found ${describe(next)}`);
    }
    return result.node;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isOp(...symbols: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && symbols.includes(t.text);
  }

  private expr(): Parsed {
    const left = this.bitOr();
    if (!this.isOp(...Object.keys(COMPARISONS))) return left;
    const opToken = this.next();
    const right = this.bitOr();
    for (const side of [left, right]) {
      if (side.bareLogic) {
        throw syntaxError(
          this.src,
          side.column,
          `ambiguous '${opToken.text}' next to '&'/'|': as in Python (and so in Qlib), '&' and '|' bind tighter than comparisons`,
          'add parentheses, e.g. ($a > $b) & ($c > $d)',
        );
      }
    }
    if (this.isOp(...Object.keys(COMPARISONS))) {
      throw syntaxError(
        this.src,
        this.peek().column,
        `chained comparison '${opToken.text} ... ${this.peek().text}' is not supported`,
        'compare two things at a time and combine them with &, e.g. ($a < $b) & ($b < $c)',
      );
    }
    return {
      node: callNode(COMPARISONS[opToken.text]!, [left.node, right.node]),
      column: left.column,
      bareLogic: false,
    };
  }

  private bitOr(): Parsed {
    return this.leftAssoc(() => this.bitAnd(), { '|': 'Or' }, true);
  }

  private bitAnd(): Parsed {
    return this.leftAssoc(() => this.additive(), { '&': 'And' }, true);
  }

  private additive(): Parsed {
    return this.leftAssoc(() => this.term(), { '+': 'Add', '-': 'Sub' }, false);
  }

  private term(): Parsed {
    return this.leftAssoc(() => this.unary(), { '*': 'Mul', '/': 'Div' }, false);
  }

  private leftAssoc(operand: () => Parsed, ops: Record<string, string>, logic: boolean): Parsed {
    let left = operand();
    while (this.isOp(...Object.keys(ops))) {
      const opToken = this.next();
      const right = operand();
      left = {
        node: callNode(ops[opToken.text]!, [left.node, right.node]),
        column: left.column,
        bareLogic: logic || left.bareLogic
      };
    }
    return left;
  }

  /** Enters one nesting level (a '(', a call or a unary sign); throws past MAX_EXPRESSION_DEPTH. */
  private nest<T>(column: number, inner: () => T): T {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      throw syntaxError(this.src, column, `the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`, 'split it into several features');
    }
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  private unary(): Parsed {
    if (this.isOp('-', '+')) {
      const opToken = this.next();
      const operand = this.nest(opToken.column, () => this.unary());
      const node = opToken.text === '-' ? callNode('Neg', [operand.node]) : operand.node;
      return { node, column: opToken.column, bareLogic: false };
    }
    return this.primary();
  }

  private primary(): Parsed {
    const t = this.next();
    const plain = (node: ExprNode): Parsed => ({ node, column: t.column, bareLogic: false });
    switch (t.kind) {
      case 'number':
        return plain(numberNode(t.value));
      case 'field':
        return plain(fieldNode(t.text));
      case 'name':
        return plain(this.nest(t.column, () => this.call(t)));
      case '(': {
        const inner = this.nest(t.column, () => this.expr());
        this.expect(')', `to close the '(' at column ${t.column}`);
        return { node: inner.node, column: t.column, bareLogic: false };
      }
      default:
        throw syntaxError(
          this.src,
          t.column,
          `expected an operand (a $field, a number, a function call or '('), found ${describe(t)}`,
        );
    }
  }

  private expect(kind: Token['kind'], why: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw syntaxError(this.src, t.column, `expected '${kind}' ${why}, found ${describe(t)}`);
    return this.next();
  }

  private call(nameToken: Token): ExprNode {
    const name = nameToken.text;
    if (this.peek().kind !== '(') {
      throw syntaxError(
        this.src,
        nameToken.column,
        `'${name}' is not an operand: fields start with '$' (e.g. $${name}) and operators are called as ${name}(...)`,
      );
    }
    const spec = operatorSpec(name);
    if (!spec) {
      if (UNSUPPORTED_QLIB_OPERATORS.includes(name)) {
        throw syntaxError(this.src, nameToken.column, `Qlib's operator ${name} is not supported by qonline`);
      }
      const near = suggestOperators(name);
      throw syntaxError(
        this.src,
        nameToken.column,
        `unknown operator '${name}'`,
        near.length ? `did you mean ${near.join(', ')}?` : 'see docs/expressions.md for the operators',
      );
    }
    const open = this.next();
    const args: Parsed[] = [];
    if (this.peek().kind !== ')') {
      for (;;) {
        args.push(this.expr());
        if (this.peek().kind !== ',') break;
        this.next();
      }
    }
    this.expect(')', `to close the call of ${name} opened at column ${open.column}`);
    if (args.length !== spec.params.length) {
      throw syntaxError(
        this.src,
        nameToken.column,
        `${name} takes ${spec.params.length} argument${spec.params.length === 1 ? '' : 's'} ` +
          `${operatorSignature(spec)}, found ${args.length}`,
      );
    }
    spec.params.forEach((param, k) => {
      if (param.kind === 'series') return;
      const arg = args[k]!;
      if (arg.node.type !== 'number') {
        throw syntaxError(
          this.src,
          arg.column,
          `argument ${param.name} of ${operatorSignature(spec)} must be a number, found an expression`,
        );
      }
      const problem = checkParam(spec, param.kind, arg.node.value, this.mode);
      if (problem) throw syntaxError(this.src, arg.column, problem);
    });
    return callNode(
      name,
      args.map((a) => a.node),
    );
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end of the expression';
    case 'number':
      return `the number ${t.text}`;
    case 'field':
      return `the field $${t.text}`;
    case 'name':
      return `the name ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}
