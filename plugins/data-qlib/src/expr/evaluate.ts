import { QonlineError } from '../../../../core/index.js';
import type { ExprNode } from './ast.js';
import { fieldsOf } from './ast.js';
import { formatExpression } from './format.js';
import { rollingCount } from './kernels/count.js';
import {
  binaryArray,
  binaryScalar,
  binarySeriesScalar,
  ifArray,
  unaryArray,
  unaryScalar,
  type BinaryOp,
  type UnaryOp,
} from './kernels/elementwise.js';
import { rollingExtremum } from './kernels/extrema.js';
import { rollingMoments } from './kernels/moments.js';
import { rollingOrderStat } from './kernels/order-stats.js';
import { rollingPair } from './kernels/pairwise.js';
import { rollingRegression } from './kernels/regression.js';
import { deltaRows, shiftRows } from './kernels/shift.js';
import { valueRanks, type ValueRanks } from './kernels/value-ranks.js';
import { emaAlpha, ewmMean, rollingWma } from './kernels/weighted.js';
import { f32Series, f64Series, infinitiesAsNaN, type Alloc, type Series } from './kernels/window.js';
import { firstValueRows, minusFirstRows, qlibArgExtremum, qlibExpandingEma } from './kernels/qlib.js';
import { qlibExpandingRegression, qlibRollingRegression } from './kernels/qlib-regression.js';
import { NEAR_CONSTANT_STD } from './kernels/regression.js';
import { QLIB_EWM_WINDOW_OPERATORS, type ExprMode } from './operators.js';
import { parseExpressionWith } from './parser.js';
import { planOf, type Plan } from './plan.js';

/**
 * One instrument's rows: every calendar day from its first to its last stored
 * day, NaN where data is missing. Each field array has exactly `length` values.
 */
export interface SeriesInput {
  length: number;
  field(name: string): Float32Array;
}

/**
 * A number (a constant sub-expression, kept in float64 as Python would) or a
 * series: float32, or float64 where Qlib keeps float64 (`expressions: qlib`).
 */
type Value = Series | number;

/** Evaluation options: `mode: 'qlib'` gives Qlib's semantics (docs/expressions.md). */
export interface EvaluateOptions {
  mode?: ExprMode;
}

interface Context {
  mode: ExprMode;
  input: SeriesInput;
  length: number;
  memo: Map<string, Value>;
  fieldArrays: Set<Float32Array>;
  /** Value ranks of series used by several order-statistic operators. */
  ranks: Map<Float32Array, ValueRanks>;
  /** Outputs of windowed operators: float64 under `expressions: qlib` (pandas and Qlib's Cython return float64), else float32. */
  alloc: Alloc;
}

/** Evaluates an expression over one instrument's rows; the result has `input.length` float32 values. */
export function evaluate(node: ExprNode, input: SeriesInput, options: EvaluateOptions = {}): Float32Array {
  const mode = options.mode ?? 'default';
  return evaluatePlans([plannedOf(node, mode)], input, mode)[0]!;
}

/**
 * Plans of the AST nodes seen so far: callers (the provider, the feature
 * workers) evaluate the same parsed nodes for every instrument, and planning
 * formats every sub-expression's text. Nodes are treated as immutable once
 * evaluated.
 */
const plans = { default: new WeakMap<ExprNode, Plan>(), qlib: new WeakMap<ExprNode, Plan>() };

function plannedOf(node: ExprNode, mode: ExprMode): Plan {
  let plan = plans[mode].get(node);
  if (!plan) {
    plan = planOf(node, mode);
    plans[mode].set(node, plan);
  }
  return plan;
}

/**
 * Evaluates several expressions over the same rows, computing each distinct
 * sub-expression once (Alpha158 repeats many). Results never alias the
 * input's arrays or each other.
 */
export function evaluateAll(nodes: readonly ExprNode[], input: SeriesInput, options: EvaluateOptions = {}): Float32Array[] {
  const mode = options.mode ?? 'default';
  return evaluatePlans(
    nodes.map((n) => plannedOf(n, mode)),
    input,
    mode,
  );
}

export interface CompiledExpression {
  node: ExprNode;
  /** Canonical text (formatExpression). */
  text: string;
  /** Raw field names, sorted. */
  fields: string[];
  evaluate(input: SeriesInput): Float32Array;
}

/** Parses, checks and prepares an expression once for many evaluations. */
export function compileExpression(src: string, options: EvaluateOptions = {}): CompiledExpression {
  const mode = options.mode ?? 'default';
  const node = parseExpressionWith(src, { mode });
  const plan = planOf(node, mode);
  return {
    node,
    text: formatExpression(node),
    fields: fieldsOf(node),
    evaluate: (input) => evaluatePlans([plan], input, mode)[0]!,
  };
}

function evaluatePlans(plans: readonly Plan[], input: SeriesInput, mode: ExprMode): Float32Array[] {
  const length = input.length;
  if (!Number.isInteger(length) || length < 0) {
    throw new QonlineError('QONLINE_DATA_INVALID', `a series input needs a whole, non-negative length, found ${length}`);
  }
  const ctx: Context = { mode, input, length, memo: new Map(), fieldArrays: new Set(), ranks: new Map(), alloc: mode === 'qlib' ? f64Series : f32Series };
  const handedOut = new Set<Float32Array>();
  return plans.map((plan) => {
    const value = evaluatePlan(plan, ctx);
    // The result is float32, cast once at the end as Qlib does (float64 intermediates stay float64 until here).
    let result = typeof value === 'number' ? new Float32Array(length).fill(value) : value instanceof Float64Array ? Float32Array.from(value) : value;
    // Never give out the caller's own field arrays or one array twice.
    if (ctx.fieldArrays.has(result) || handedOut.has(result)) result = result.slice();
    handedOut.add(result);
    return result;
  });
}

function evaluatePlan(plan: Plan, ctx: Context): Value {
  const known = ctx.memo.get(plan.key);
  if (known !== undefined) return known;
  const value = compute(plan, ctx);
  ctx.memo.set(plan.key, value);
  return value;
}

function compute(plan: Plan, ctx: Context): Value {
  switch (plan.kind) {
    case 'number':
      return plan.value;
    case 'field':
      return loadField(plan.name, ctx);
    case 'call':
      break;
  }
  const args = plan.inputs.map((p) => evaluatePlan(p, ctx));
  const op = plan.spec.name;
  const [N = 0, q = 0.5] = plan.params;
  switch (plan.spec.extent) {
    case 'elementwise':
      return elementwise(op, args, ctx.length);
    case 'shift': {
      const x = asArray(args[0]!, ctx.length);
      if (N === 0 && ctx.mode === 'qlib') return op === 'Ref' ? firstValueRows(x) : minusFirstRows(x);
      return op === 'Ref' ? shiftRows(x, N) : deltaRows(x, N);
    }
    case 'ema': {
      const x = infinitiesAsNaN(asArray(args[0]!, ctx.length));
      if (N === 0 && ctx.mode === 'qlib') return qlibExpandingEma(x, ctx.alloc);
      return ewmMean(x, emaAlpha(N), ctx.alloc);
    }
    case 'rolling':
      break;
  }
  const raw = asArray(args[0]!, ctx.length);
  const alloc = ctx.alloc;
  if (ctx.mode === 'qlib') {
    // Qlib's Rolling turns a window between 0 and 1 into ewm(alpha=N).mean(), whatever the operator.
    if (N > 0 && N < 1 && QLIB_EWM_WINDOW_OPERATORS.has(op)) return ewmMean(infinitiesAsNaN(raw), N, alloc);
    if (op === 'IdxMax' || op === 'IdxMin') {
      const x = infinitiesAsNaN(raw);
      return qlibArgExtremum(x, N, rollingExtremum(x, N, op === 'IdxMax' ? 'idxmax' : 'idxmin'), alloc);
    }
    if (op === 'Slope' || op === 'Rsquare' || op === 'Resi') {
      const stat = op === 'Slope' ? 'slope' : op === 'Rsquare' ? 'rsquare' : 'resi';
      if (N === 0) return qlibExpandingRegression(raw, stat, alloc); // Qlib does not mask the expanding Rsquare
      const out = qlibRollingRegression(raw, N, stat, alloc);
      if (op === 'Rsquare') {
        // Qlib blanks rows where pandas' rolling std (min_periods 1; inf counts as missing) is np.isclose to 0.
        const std = rollingMoments(infinitiesAsNaN(raw), N, 'std', alloc);
        for (let t = 0; t < out.length; t++) if (Math.abs(std[t]!) <= NEAR_CONSTANT_STD) out[t] = NaN;
      }
      return out;
    }
  }
  if (op === 'Count') return rollingCount(raw, N, alloc);
  const x = infinitiesAsNaN(raw);
  // The order statistics rank float32 values (a float64 input is rounded first: not bit for bit with Qlib there).
  const x32 = (): Float32Array => (x instanceof Float32Array ? x : Float32Array.from(x));
  switch (op) {
    case 'Mean':
      return rollingMoments(x, N, 'mean', alloc);
    case 'Sum':
      return rollingMoments(x, N, 'sum', alloc);
    case 'Std':
      return rollingMoments(x, N, 'std', alloc);
    case 'Var':
      return rollingMoments(x, N, 'var', alloc);
    case 'Skew':
      return rollingMoments(x, N, 'skew', alloc);
    case 'Kurt':
      return rollingMoments(x, N, 'kurt', alloc);
    case 'Max':
      return rollingExtremum(x, N, 'max', alloc);
    case 'Min':
      return rollingExtremum(x, N, 'min', alloc);
    case 'IdxMax':
      return rollingExtremum(x, N, 'idxmax', alloc);
    case 'IdxMin':
      return rollingExtremum(x, N, 'idxmin', alloc);
    case 'Quantile':
    case 'Med':
    case 'Mad':
    case 'Rank': {
      const y = x32();
      const stat = op === 'Quantile' ? 'quantile' : op === 'Med' ? 'median' : op === 'Mad' ? 'mad' : 'rank';
      return rollingOrderStat(y, N, stat, op === 'Quantile' ? q : 0.5, () => ranksOf(y, ctx), alloc);
    }
    case 'Slope':
      return rollingRegression(x, N, 'slope', true, alloc);
    case 'Rsquare':
      return rollingRegression(x, N, 'rsquare', true, alloc);
    case 'Resi':
      return rollingRegression(x, N, 'resi', true, alloc);
    case 'WMA':
      return rollingWma(x, N, alloc);
    case 'Corr':
      return rollingPair(x, infinitiesAsNaN(asArray(args[1]!, ctx.length)), N, 'corr', alloc);
    case 'Cov':
      return rollingPair(x, infinitiesAsNaN(asArray(args[1]!, ctx.length)), N, 'cov', alloc);
    default:
      throw new QonlineError('QONLINE_INTERNAL', `operator ${op} has no kernel`);
  }
}

function ranksOf(x: Float32Array, ctx: Context): ValueRanks {
  let r = ctx.ranks.get(x);
  if (!r) {
    r = valueRanks(x);
    ctx.ranks.set(x, r);
  }
  return r;
}

function elementwise(op: string, args: Value[], length: number): Value {
  if (op === 'If') {
    const [c, a, b] = args as [Value, Value, Value];
    if (typeof c === 'number' && typeof a === 'number' && typeof b === 'number') return c !== 0 ? a : b;
    return ifArray(asArray(c, length), asArray(a, length), asArray(b, length));
  }
  if (args.length === 1) {
    const a = args[0]!;
    return typeof a === 'number' ? unaryScalar(op as UnaryOp, a) : unaryArray(op as UnaryOp, a);
  }
  const [a, b] = args as [Value, Value];
  if (typeof a === 'number' && typeof b === 'number') return binaryScalar(op as BinaryOp, a, b);
  if (typeof a === 'number') return binarySeriesScalar(op as BinaryOp, b as Float32Array, a, true);
  if (typeof b === 'number') return binarySeriesScalar(op as BinaryOp, a, b, false);
  return binaryArray(op as BinaryOp, a, b);
}

/** A number used as a series: broadcast, rounded to float32 as numpy casts a scalar to the array's dtype. */
function asArray(v: Value, length: number): Series {
  return typeof v === 'number' ? new Float32Array(length).fill(v) : v;
}

function loadField(name: string, ctx: Context): Float32Array {
  const values = ctx.input.field(name);
  if (!(values instanceof Float32Array)) {
    throw new QonlineError('QONLINE_DATA_INVALID', `field $${name} must be a Float32Array, found ${describe(values)}`);
  }
  if (values.length !== ctx.length) {
    throw new QonlineError(
      'QONLINE_DATA_INVALID',
      `field $${name} has ${values.length} values but the series has ${ctx.length} rows`,
    );
  }
  ctx.fieldArrays.add(values);
  return values;
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v;
}
