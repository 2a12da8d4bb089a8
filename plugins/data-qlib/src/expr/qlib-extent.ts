import type { ExprNode } from './ast.js';
import { planOf, type Plan } from './plan.js';

/**
 * With `expressions: qlib`, where loading starts matters: Qlib loads every
 * node of an expression over the same rows, from the query's first row minus
 * the expression's left extent (Qlib's `get_extended_window_size`), and some
 * operators read the first loaded row (Ref(x, 0), Delta(x, 0), expanding
 * windows, EMA, windows between 0 and 1) or read too few rows (Delta(x, N)
 * extends by N - 1 only). `qlibLeftExtent` is Qlib's extent, computed as Qlib
 * does (nested extents add up; window 0 and Ref(x, 0) add nothing).
 */
export function qlibLeftExtent(node: ExprNode): number {
  return leftOf(planOf(node, 'qlib'));
}

function leftOf(plan: Plan): number {
  if (plan.kind !== 'call') return 0;
  const l = Math.max(0, ...plan.inputs.map(leftOf));
  const N = plan.params[0] ?? 0;
  const op = plan.spec.name;
  switch (plan.spec.extent) {
    case 'elementwise':
      return l;
    case 'shift':
      if (op === 'Ref') return N === 0 ? l : Math.max(l + N, l);
      break; // Delta is one of Qlib's Rolling operators
    default:
      break;
  }
  if (N === 0) return l;
  if (N > 0 && N < 1) return Math.max(l + Math.trunc(Math.log(1e-6) / Math.log(1 - N)) - 1, l);
  return Math.max(l + Math.ceil(N) - 1, l);
}

/**
 * Qlib's right extent (the second value of `get_extended_window_size`): how
 * many rows after the query's last row Qlib loads. `Ref(x, -N)` adds N;
 * every other operator, `Delta(x, -N)` included (one of Qlib's Rolling
 * operators), adds nothing, so Qlib's `Delta(x, -N)` is NaN on the query's
 * last N rows even when later data exists.
 */
export function qlibRightExtent(node: ExprNode): number {
  return rightOf(planOf(node, 'qlib'));
}

function rightOf(plan: Plan): number {
  if (plan.kind !== 'call') return 0;
  const r = Math.max(0, ...plan.inputs.map(rightOf));
  const N = plan.params[0] ?? 0;
  if (plan.spec.name === 'Ref' && N !== 0) return Math.max(r - N, r);
  return r;
}

/**
 * Whether an expression's Qlib value depends on where loading started (so it
 * must be computed over Qlib's loaded rows, and cached per load start).
 */
export function qlibStartDependent(node: ExprNode): boolean {
  return dependsOnStart(planOf(node, 'qlib'));
}

function dependsOnStart(plan: Plan): boolean {
  if (plan.kind !== 'call') return false;
  const N = plan.params[0] ?? 0;
  const op = plan.spec.name;
  if (op === 'Delta' || plan.spec.extent === 'ema') return true;
  // Qlib's Cython running sums: their rounding, and an infinity's NaN, carry over from the first loaded row.
  if (op === 'Slope' || op === 'Rsquare' || op === 'Resi') return true;
  if (N === 0 && (op === 'Ref' || plan.spec.extent === 'rolling')) return true;
  if (plan.spec.extent === 'rolling' && N > 0 && N < 1) return true;
  return plan.inputs.some(dependsOnStart);
}
