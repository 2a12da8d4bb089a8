/**
 * The expression AST: plain JSON data, so it can be stored, hashed and sent
 * to worker threads. Infix operators are calls too (`$a + 1` is
 * `{type:'call', op:'Add', ...}`), so one canonical form exists per meaning.
 */
export type ExprNode =
  | { type: 'field'; name: string }
  | { type: 'number'; value: number }
  | { type: 'call'; op: string; args: ExprNode[] };

export function fieldNode(name: string): ExprNode {
  return { type: 'field', name };
}

export function numberNode(value: number): ExprNode {
  return { type: 'number', value };
}

/**
 * A call node, folding arithmetic on two numbers (and unary minus of a number)
 * the way Python evaluates it before Qlib sees it: `Mean($x, 2*5)` is
 * `Mean($x, 10)`. Results that are not finite are left unfolded.
 */
export function callNode(op: string, args: ExprNode[]): ExprNode {
  const folded = foldConstants(op, args);
  return folded ?? { type: 'call', op, args };
}

function foldConstants(op: string, args: ExprNode[]): ExprNode | undefined {
  if (op === 'Neg' && args.length === 1 && args[0]!.type === 'number') return numberNode(-args[0]!.value);
  if (args.length !== 2 || args[0]!.type !== 'number' || args[1]!.type !== 'number') return undefined;
  const a = args[0]!.value;
  const b = args[1]!.value;
  let v: number;
  switch (op) {
    case 'Add':
      v = a + b;
      break;
    case 'Sub':
      v = a - b;
      break;
    case 'Mul':
      v = a * b;
      break;
    case 'Div':
      v = a / b;
      break;
    default:
      return undefined;
  }
  return Number.isFinite(v) ? numberNode(v) : undefined;
}

/** Raw field names used by the expression, sorted, without duplicates. */
export function fieldsOf(node: ExprNode): string[] {
  const names = new Set<string>();
  const visit = (n: ExprNode): void => {
    if (n.type === 'field') names.add(n.name);
    else if (n.type === 'call') n.args.forEach(visit);
  };
  visit(node);
  return [...names].sort();
}
