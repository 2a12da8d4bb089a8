import type { ExprNode } from './ast.js';
import { cachedPlanOf, type Plan } from './plan.js';

/**
 * Rows of history (`back`) and future (`forward`) beyond the requested rows
 * that the expression reads: to compute rows a..b, load a-back .. b+forward.
 * Infinity where the result depends on all earlier rows (window 0, EMA,
 * Delta(x, 0)). Unlike Qlib's estimate, nested shifts add up exactly
 * (Ref(Ref($x, -1), 1) needs one row each way).
 */
export function windowExtent(node: ExprNode): { back: number; forward: number } {
  return extentOf(cachedPlanOf(node));
}

function extentOf(plan: Plan): { back: number; forward: number } {
  if (plan.kind !== 'call') return { back: 0, forward: 0 };
  let back = 0;
  let forward = 0;
  for (const input of plan.inputs) {
    const e = extentOf(input);
    back = Math.max(back, e.back);
    forward = Math.max(forward, e.forward);
  }
  const N = plan.params[0] ?? 0;
  switch (plan.spec.extent) {
    case 'elementwise':
      return { back, forward };
    case 'shift':
      if (plan.spec.name === 'Delta' && N === 0) return { back: Infinity, forward };
      // Delta also reads the current row, which the child's extent already covers.
      return { back: back + Math.max(N, 0), forward: forward + Math.max(-N, 0) };
    case 'ema':
      return { back: Infinity, forward };
    case 'rolling':
      return { back: N === 0 ? Infinity : back + N - 1, forward };
  }
}
