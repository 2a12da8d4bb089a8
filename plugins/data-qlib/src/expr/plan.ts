import type { ExprNode } from './ast.js';
import { formatExpression } from './format.js';
import { checkParam, type ExprMode, operatorSignature, operatorSpec, suggestOperators, type OperatorSpec } from './operators.js';
import { nodeError } from './syntax-error.js';

/**
 * A checked expression tree ready to evaluate: series arguments as child
 * plans, numeric parameters as numbers, and each node's canonical text as
 * the key that shares equal sub-expressions within one evaluation.
 */
export type Plan =
  | { kind: 'field'; key: string; name: string }
  | { kind: 'number'; key: string; value: number }
  | { kind: 'call'; key: string; spec: OperatorSpec; inputs: Plan[]; params: number[] };

/**
 * Builds the plan of an AST, checking what the parser checks (a node built by
 * hand or read from JSON gets the same errors, without a column).
 */
export function planOf(node: ExprNode, mode: ExprMode = 'default'): Plan {
  const text = (): string => safeFormat(node);
  if (node === null || typeof node !== 'object') throw nodeError(`an expression node must be an object, found ${String(node)}`);
  switch (node.type) {
    case 'field':
      if (typeof node.name !== 'string' || !/^\w+$/.test(node.name)) {
        throw nodeError(`a field name must be letters, digits or _, found ${JSON.stringify(node.name)}`);
      }
      return { kind: 'field', key: '$' + node.name, name: node.name };
    case 'number':
      if (typeof node.value !== 'number' || !Number.isFinite(node.value)) {
        throw nodeError(`a number node must hold a finite number, found ${JSON.stringify(node.value)}`);
      }
      return { kind: 'number', key: text(), value: node.value };
    case 'call': {
      const spec = operatorSpec(node.op);
      if (!spec) {
        const near = suggestOperators(String(node.op));
        throw nodeError(`unknown operator '${node.op}'`, near.length ? `did you mean ${near.join(', ')}?` : undefined);
      }
      if (!Array.isArray(node.args) || node.args.length !== spec.params.length) {
        throw nodeError(
          `${spec.name} takes ${spec.params.length} arguments ${operatorSignature(spec)}, found ${Array.isArray(node.args) ? node.args.length : 'none'}`,
        );
      }
      const inputs: Plan[] = [];
      const params: number[] = [];
      spec.params.forEach((param, k) => {
        const arg = node.args[k]!;
        if (param.kind === 'series') {
          inputs.push(planOf(arg, mode));
          return;
        }
        if (arg?.type !== 'number') {
          throw nodeError(`argument ${param.name} of ${operatorSignature(spec)} must be a number in ${text()}`);
        }
        const problem = checkParam(spec, param.kind, arg.value, mode);
        if (problem) throw nodeError(`${problem} in ${text()}`);
        params.push(arg.value);
      });
      return { kind: 'call', key: text(), spec, inputs, params };
    }
    default:
      throw nodeError(`unknown expression node type ${JSON.stringify((node as { type?: unknown }).type)}`);
  }
}

function safeFormat(node: ExprNode): string {
  try {
    return formatExpression(node);
  } catch {
    return JSON.stringify(node);
  }
}

/**
 * Plans of the AST nodes seen so far, per mode: callers (the provider, the
 * feature workers) evaluate the same parsed nodes for every instrument and
 * ask their extents, and planning formats every sub-expression's text.
 * Nodes are treated as immutable once planned.
 */
const plans = { default: new WeakMap<ExprNode, Plan>(), qlib: new WeakMap<ExprNode, Plan>() };

export function cachedPlanOf(node: ExprNode, mode: ExprMode = 'default'): Plan {
  let plan = plans[mode].get(node);
  if (!plan) {
    plan = planOf(node, mode);
    plans[mode].set(node, plan);
  }
  return plan;
}
