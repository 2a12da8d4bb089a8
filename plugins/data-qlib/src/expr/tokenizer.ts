import { syntaxError } from './syntax-error.js';

export type TokenKind = 'number' | 'field' | 'name' | 'op' | '(' | ')' | ',' | 'end';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for `op`: the operator symbol). */
  text: string;
  /** Parsed value of a number token. */
  value: number;
  /** 1-based column of the token's first character. */
  column: number;
}

const OPERATOR_SYMBOLS = ['>=', '<=', '==', '!=', '+', '-', '*', '/', '>', '<', '&', '|'];

const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const WORD = /^\w+/;

/** Splits an expression into tokens; the last token is always `end`. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const column = i + 1;
    const rest = src.slice(i);
    if (ch === '$') {
      if (rest.startsWith('$$')) {
        throw syntaxError(src, column, "point-in-time fields ('$$name') are not supported");
      }
      const word = WORD.exec(rest.slice(1));
      if (!word) throw syntaxError(src, column, "expected a field name after '$' (letters, digits or _)");
      tokens.push({ kind: 'field', text: word[0], value: NaN, column });
      i += 1 + word[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      const after = rest[num[0].length];
      if (after !== undefined && /[\w.]/.test(after)) {
        throw syntaxError(src, column + num[0].length, `unexpected '${after}' after the number ${num[0]}`);
      }
      const value = Number(num[0]);
      if (!Number.isFinite(value)) throw syntaxError(src, column, `the number ${num[0]} is out of range`);
      tokens.push({ kind: 'number', text: num[0], value, column });
      i += num[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ kind: 'name', text: word[0], value: NaN, column });
      i += word[0].length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, text: ch, value: NaN, column });
      i++;
      continue;
    }
    if (rest.startsWith('**')) throw syntaxError(src, column, "'**' is not supported", 'use Power(x, y)');
    const symbol = OPERATOR_SYMBOLS.find((s) => rest.startsWith(s));
    if (symbol) {
      tokens.push({ kind: 'op', text: symbol, value: NaN, column });
      i += symbol.length;
      continue;
    }
    const hint =
      ch === '='
        ? "did you mean '=='?"
        : ch === '!'
          ? "use '!=' for 'not equal' or Not(x) for negation"
          : ch === '^'
            ? 'use Power(x, y) for powers'
            : undefined;
    throw syntaxError(src, column, `unexpected character '${ch}'`, hint);
  }
  tokens.push({ kind: 'end', text: '', value: NaN, column: src.length + 1 });
  return tokens;
}
