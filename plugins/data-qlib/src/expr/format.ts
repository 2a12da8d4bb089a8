import type { ExprNode } from './ast.js';

/** Infix operators: symbol and binding strength (higher binds tighter). */
const INFIX: Record<string, { symbol: string; prec: number }> = {
  Gt: { symbol: '>', prec: 1 },
  Ge: { symbol: '>=', prec: 1 },
  Lt: { symbol: '<', prec: 1 },
  Le: { symbol: '<=', prec: 1 },
  Eq: { symbol: '==', prec: 1 },
  Ne: { symbol: '!=', prec: 1 },
  Or: { symbol: '|', prec: 2 },
  And: { symbol: '&', prec: 3 },
  Add: { symbol: '+', prec: 4 },
  Sub: { symbol: '-', prec: 4 },
  Mul: { symbol: '*', prec: 5 },
  Div: { symbol: '/', prec: 5 },
};
const COMPARE_PREC = 1;
const LOGIC_MAX_PREC = 3;
const UNARY_PREC = 6;
const ATOM_PREC = 7;

/**
 * Canonical text of an expression: infix operators with single spaces and
 * only the parentheses the grammar needs, calls as `Name(a, b)`, numbers in
 * JavaScript's shortest round-trip form. Stable: it is part of cache keys, and
 * parseExpression(formatExpression(n)) gives back n.
 */
export function formatExpression(node: ExprNode): string {
  return render(node).text;
}

function render(node: ExprNode): { text: string; prec: number } {
  switch (node.type) {
    case 'field':
      return { text: '$' + node.name, prec: ATOM_PREC };
    case 'number': {
      const text = Object.is(node.value, -0) ? '-0' : String(node.value);
      return { text, prec: node.value < 0 || text.startsWith('-') ? UNARY_PREC : ATOM_PREC };
    }
    case 'call': {
      const infix = INFIX[node.op];
      if (infix && node.args.length === 2) {
        const left = render(node.args[0]!);
        const right = render(node.args[1]!);
        // Comparisons neither chain nor sit next to a bare & or | (the parser rejects both).
        const leftNeeds = infix.prec === COMPARE_PREC ? left.prec <= LOGIC_MAX_PREC : left.prec < infix.prec;
        const rightNeeds = infix.prec === COMPARE_PREC ? right.prec <= LOGIC_MAX_PREC : right.prec <= infix.prec;
        return {
          text: `${wrap(left.text, leftNeeds)} ${infix.symbol} ${wrap(right.text, rightNeeds)}`,
          prec: infix.prec,
        };
      }
      if (node.op === 'Neg' && node.args.length === 1) {
        const operand = render(node.args[0]!);
        return { text: '-' + wrap(operand.text, operand.prec < UNARY_PREC), prec: UNARY_PREC };
      }
      return { text: `${node.op}(${node.args.map((a) => render(a).text).join(', ')})`, prec: ATOM_PREC };
    }
  }
}

function wrap(text: string, needed: boolean): string {
  return needed ? `(${text})` : text;
}
