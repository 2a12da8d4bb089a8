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
import { rollingExtremumInto } from './kernels/extrema.js';
import { rollingMoments } from './kernels/moments.js';
import { rollingOrderStatsInto, SMALL_WINDOW, type OrderStat, type OrderStatOutput } from './kernels/order-stats.js';
import { rollingPair } from './kernels/pairwise.js';
import { rollingRegressionInto, type RegressionStat } from './kernels/regression.js';
import { deltaRows, shiftRows } from './kernels/shift.js';
import { valueRanks, type ValueRanks } from './kernels/value-ranks.js';
import { emaAlpha, ewmMean, rollingWma } from './kernels/weighted.js';
import { claimNextSeries, newSeries, recycleSeries } from './kernels/series-pool.js';
import { f64Series, infinitiesAsNaN, rowsOf, type Alloc, type Series } from './kernels/window.js';
import { firstValueRows, minusFirstRows, qlibArgExtremum, qlibExpandingEma } from './kernels/qlib.js';
import { qlibExpandingRegression, qlibRollingRegression } from './kernels/qlib-regression.js';
import { NEAR_CONSTANT_STD } from './kernels/regression.js';
import { operatorSpec, QLIB_EWM_WINDOW_OPERATORS, type ExprMode } from './operators.js';
import { parseExpressionWith } from './parser.js';
import { cachedPlanOf, planOf, type Plan } from './plan.js';

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
  fieldArrays: Set<Float32Array>;
  /** Value ranks of series used by several order-statistic operators. */
  ranks: Map<Float32Array, ValueRanks>;
  /**
   * Each step's value with infinities as NaN (what windowed operators read), by step index, kept
   * while the value lives: a field or difference is read by a dozen windowed calls.
   */
  finite: (Series | undefined)[];
  /** Outputs of each shared kernel pass of the program once it ran (by pass index). */
  passOutputs: (Map<string, Series> | null)[];
  program: Program;
  /**
   * Outputs of windowed operators: float64 under `expressions: qlib` (pandas and Qlib's Cython return
   * float64), else float32 from the scratch pool.
   */
  alloc: Alloc;
  /**
   * The rows are `segmentCount` segments of `segmentLength` rows each (evaluateSegments; one segment
   * of all rows otherwise). Operators that read other rows pass the segment length to their kernels,
   * which run once over all rows and restart at every boundary (kernels/window.ts).
   */
  segmentCount: number;
  segmentLength: number;
  /**
   * With segments, for the few kernels that do not take a segment length (qlib mode's own, see
   * overSegments): one context per segment, in which such a step runs on that segment alone.
   * Made on the first such step.
   */
  segments: Context[] | null;
  /** Float32 outputs whatever the mode (pooled; plain small arrays in a segment's context). */
  f32: Alloc;
  /** With segments: each step's value cut into its segments' rows, made once for all its readers (by step index). */
  segmentViews: (Series[] | undefined)[];
}

/**
 * Rolling statistics computed together in one kernel pass: Slope, Rsquare
 * and Resi share the regression sums; Max and IdxMax (Min and IdxMin) one
 * deque; Quantile, Med, Mad and Rank one sorted window or set of trees.
 * Alpha158 asks for all of these on the same field and window.
 */
type SharedFamily = 'regression' | 'max' | 'min' | 'order';

interface SharedPass {
  family: SharedFamily;
  /** The statistics asked for, by their output name (see outputName). */
  stats: Map<string, { stat: string; q: number }>;
}

const FAMILY_OF: Readonly<Record<string, SharedFamily>> = {
  Slope: 'regression',
  Rsquare: 'regression',
  Resi: 'regression',
  Max: 'max',
  IdxMax: 'max',
  Min: 'min',
  IdxMin: 'min',
  Quantile: 'order',
  Med: 'order',
  Mad: 'order',
  Rank: 'order',
};

const STAT_OF: Readonly<Record<string, string>> = {
  Slope: 'slope',
  Rsquare: 'rsquare',
  Resi: 'resi',
  Max: 'value',
  Min: 'value',
  IdxMax: 'position',
  IdxMin: 'position',
  Quantile: 'quantile',
  Med: 'median',
  Mad: 'mad',
  Rank: 'rank',
};

type CallPlan = Extract<Plan, { kind: 'call' }>;

/**
 * The key of the kernel pass a rolling call can share, or null when it goes
 * its own way (qlib mode's EWM windows and unmasked expanding Rsquare).
 */
function sharedKernelKey(plan: CallPlan, mode: ExprMode): string | null {
  const family = FAMILY_OF[plan.spec.name];
  if (!family) return null;
  const N = plan.params[0]!;
  if (!Number.isInteger(N)) return null;
  // Qlib's Slope/Rsquare/Resi have their own kernels (Cython's running sums) in qlib mode.
  if (mode === 'qlib' && family === 'regression') return null;
  return `${family}|${N}|${plan.inputs[0]!.key}`;
}

/** Qlib mode's operators with kernels of their own (kernels/qlib*.ts), which see one segment at a time. */
const QLIB_OWN_KERNELS = new Set(['IdxMax', 'IdxMin', 'Slope', 'Rsquare', 'Resi']);

/**
 * Whether a call's kernel takes the segment length (runs once over all segments, see
 * kernels/window.ts): all but qlib mode's own kernels (Ref/Delta/EMA with N = 0 and those above),
 * which run segment by segment (computeBySegment).
 */
function overSegments(plan: CallPlan, mode: ExprMode): boolean {
  if (mode === 'default' || plan.spec.extent === 'elementwise') return true;
  if (plan.spec.extent === 'shift' || plan.spec.extent === 'ema') return plan.params[0] !== 0;
  return !QLIB_OWN_KERNELS.has(plan.spec.name);
}

const STD_SPEC = operatorSpec('Std')!;

/** The plan of Std(x, N), keyed as the parser would key it. */
function stdPlanOf(x: Plan, N: number): Plan {
  return { kind: 'call', key: `Std(${x.key}, ${String(N)})`, spec: STD_SPEC, inputs: [x], params: [N] };
}

function outputName(plan: CallPlan): string {
  const stat = STAT_OF[plan.spec.name]!;
  return stat === 'quantile' ? `quantile:${plan.params[1]}` : stat;
}

/** One distinct sub-expression of a program, with its inputs as step indices. */
interface Step {
  plan: Plan;
  inputs: number[];
  /** Index of the shared kernel pass it reads its output from, -1 for none. */
  pass: number;
  /** Its output name in that pass. */
  output: string;
  /** With segments: its kernel runs once over all of them (overSegments), else segment by segment. */
  overSegments: boolean;
}

/**
 * A set of root plans compiled for evaluation: every distinct sub-expression
 * once, inputs before the calls that read them (the order the recursive
 * evaluation had), how many calls read each one (so an intermediate series
 * goes back to the scratch pool after its last reader), and the shared
 * kernel passes. Built once per list of plans and reused for every
 * instrument.
 */
interface Program {
  roots: readonly Plan[];
  steps: Step[];
  rootSteps: number[];
  /** Readers of each step among the steps (roots are kept regardless). */
  readers: Int32Array;
  isRoot: Uint8Array;
  /**
   * Per step, the result slot an elementwise root writes straight into (default mode: its one
   * output, float32, is the result), -1 for none.
   */
  directSlot: Int32Array;
  passes: SharedPass[];
}

function buildProgram(roots: readonly Plan[], mode: ExprMode): Program {
  const steps: Step[] = [];
  const index = new Map<string, number>();
  const passIndex = new Map<string, number>();
  const passes: SharedPass[] = [];
  const visit = (p: Plan): number => {
    const known = index.get(p.key);
    if (known !== undefined) return known;
    const inputs = p.kind === 'call' ? p.inputs.map(visit) : [];
    // Corr masks rows where either side's own Std(x, N) is near zero: those stds become steps, shared
    // with the same Std elsewhere in the list (Alpha158's STD and CORR both ask for Std($close, N)).
    // Default mode only: qlib mode's Std is float64, the mask's float32.
    if (p.kind === 'call' && p.spec.name === 'Corr' && mode === 'default') {
      for (const side of p.inputs) inputs.push(visit(stdPlanOf(side, p.params[0]!)));
    }
    let pass = -1;
    let output = '';
    if (p.kind === 'call') {
      const key = sharedKernelKey(p, mode);
      if (key !== null) {
        pass = passIndex.get(key) ?? -1;
        if (pass < 0) {
          pass = passes.length;
          passes.push({ family: FAMILY_OF[p.spec.name]!, stats: new Map() });
          passIndex.set(key, pass);
        }
        output = outputName(p);
        passes[pass]!.stats.set(output, { stat: STAT_OF[p.spec.name]!, q: p.params[1] ?? 0.5 });
      }
    }
    steps.push({ plan: p, inputs, pass, output, overSegments: p.kind !== 'call' || overSegments(p, mode) });
    index.set(p.key, steps.length - 1);
    return steps.length - 1;
  };
  const rootSteps = roots.map(visit);
  const readers = new Int32Array(steps.length);
  for (const s of steps) for (const i of s.inputs) readers[i]!++;
  const isRoot = new Uint8Array(steps.length);
  for (const r of rootSteps) isRoot[r] = 1;
  const directSlot = new Int32Array(steps.length).fill(-1);
  if (mode === 'default') {
    rootSteps.forEach((i, r) => {
      const plan = steps[i]!.plan;
      if (plan.kind === 'call' && plan.spec.extent === 'elementwise' && directSlot[i] === -1) directSlot[i] = r;
    });
  }
  return { roots, steps, rootSteps, readers, isRoot, directSlot, passes };
}

/** Programs by their first root plan (then compared root by root): callers repeat the same lists. */
const programs = { default: new WeakMap<Plan, Program[]>(), qlib: new WeakMap<Plan, Program[]>() };

function programOf(roots: readonly Plan[], mode: ExprMode): Program {
  if (roots.length === 0) return buildProgram(roots, mode);
  let list = programs[mode].get(roots[0]!);
  if (!list) {
    list = [];
    programs[mode].set(roots[0]!, list);
  }
  for (const p of list) {
    if (p.roots.length === roots.length && p.roots.every((r, i) => r === roots[i])) return p;
  }
  const program = buildProgram(roots, mode);
  // A few lists per first plan (the provider's full list, tails, single expressions) at most.
  if (list.length >= 8) list.shift();
  list.push(program);
  return program;
}

/** Evaluates an expression over one instrument's rows; the result has `input.length` float32 values. */
export function evaluate(node: ExprNode, input: SeriesInput, options: EvaluateOptions = {}): Float32Array {
  const mode = options.mode ?? 'default';
  return evaluatePlans([plannedOf(node, mode)], input, mode)[0]!;
}

function plannedOf(node: ExprNode, mode: ExprMode): Plan {
  return cachedPlanOf(node, mode);
}

/**
 * Evaluates several expressions over the same rows, computing each distinct
 * sub-expression once (Alpha158 repeats many). The results are views of one
 * new buffer, in order: they never alias the input's arrays or each other.
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

/**
 * `evaluateAll` over `segments` series of equal length laid end to end
 * (`input.length` = segments x their length): each segment's rows of the
 * results are exactly what `evaluateAll` gives for that segment alone.
 * Elementwise operators run once over all rows; so do operators that read
 * other rows (Ref, windows, EMA, shared kernel passes): their kernels take
 * the segment length and restart at every boundary, so no window crosses
 * one and warm-up rows are the same (qlib mode's own kernels run segment by
 * segment instead). One program run for many instruments: a routine's tails
 * of 300 instruments pay the per-step cost once instead of 300 times.
 */
export function evaluateSegments(nodes: readonly ExprNode[], input: SeriesInput, segments: number, options: EvaluateOptions = {}): Float32Array[] {
  const mode = options.mode ?? 'default';
  if (!Number.isInteger(segments) || segments < 1 || input.length % segments !== 0) {
    throw new QonlineError('QONLINE_DATA_INVALID', `evaluateSegments: ${input.length} rows do not split into ${segments} equal segments`);
  }
  return evaluatePlans(
    nodes.map((n) => plannedOf(n, mode)),
    input,
    mode,
    segments,
  );
}

function newContext(program: Program, input: SeriesInput, length: number, mode: ExprMode): Context {
  return {
    mode,
    input,
    length,
    fieldArrays: new Set(),
    ranks: new Map(),
    finite: new Array(program.steps.length),
    passOutputs: program.passes.map(() => null),
    program,
    alloc: mode === 'qlib' ? f64Series : newSeries,
    segmentCount: 1,
    segmentLength: length,
    segments: null,
    f32: newSeries,
    segmentViews: [],
  };
}

/**
 * A segment's kernels write their output straight into the step's rows of
 * that segment when the output is the first array they take (segmentTarget);
 * their other arrays are plain small ones: the pool holds buffers of the
 * longest series (all segments together), too large to hand out per segment.
 */
let segmentTarget: Float32Array | null = null;
const segmentAlloc: Alloc = (n) => {
  const t = segmentTarget;
  if (t !== null && t.length === n) {
    segmentTarget = null;
    return t;
  }
  return new Float32Array(n);
};

/**
 * A segment's context: small, as there is one per instrument of a request. Its per-step
 * arrays fill as steps run; the value ranks (keyed by each segment's own arrays) and the
 * (unused) field set are shared by the segments of one evaluation.
 */
function newSegmentContext(whole: Context, length: number): Context {
  return {
    mode: whole.mode,
    input: NO_FIELDS,
    length,
    fieldArrays: whole.fieldArrays,
    ranks: whole.ranks,
    finite: [],
    passOutputs: [],
    program: whole.program,
    alloc: whole.mode === 'default' ? segmentAlloc : f64Series,
    segmentCount: 1,
    segmentLength: length,
    segments: null,
    f32: segmentAlloc,
    segmentViews: [],
  };
}

/** Segments read fields only through the whole input (field steps are elementwise). */
const NO_FIELDS: SeriesInput = {
  length: 0,
  field: (name) => {
    throw new QonlineError('QONLINE_INTERNAL', `a segment read field $${name} directly`);
  },
};

function evaluatePlans(plans: readonly Plan[], input: SeriesInput, mode: ExprMode, segments = 1): Float32Array[] {
  const length = input.length;
  if (!Number.isInteger(length) || length < 0) {
    throw new QonlineError('QONLINE_DATA_INVALID', `a series input needs a whole, non-negative length, found ${length}`);
  }
  const program = programOf(plans, mode);
  const { steps, readers: initialReaders, isRoot, directSlot } = program;
  const ctx = newContext(program, input, length, mode);
  if (segments > 1) {
    ctx.segmentCount = segments;
    ctx.segmentLength = length / segments;
  }
  const values: (Value | undefined)[] = new Array(steps.length);
  const readers = initialReaders.slice();
  // The results are views of one buffer, one per root (float64 series are cast to float32 there, once
  // at the end as Qlib does): the caller's cache holds one allocation per instrument instead of one
  // per expression (tens of thousands of buffers for Alpha158 kept the garbage collector busy).
  // Elementwise roots (most of Alpha158's: a statistic over $close...) are computed into their view;
  // the others are copied there at the end and their series go back to the pool.
  const roots = program.rootSteps;
  const packed = new Float32Array(length * roots.length);
  const slotView = (r: number): Float32Array => packed.subarray(r * length, (r + 1) * length);
  // Arrays that may not go back to the pool: the caller's fields and results that are one of their inputs.
  const kept = new Set<Series>();
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const inputs = step.inputs;
    // A plain loop, not inputs.map: a routine runs thousands of short programs (20-row tails), where per-step overhead shows.
    const args: Value[] = new Array(inputs.length);
    for (let k = 0; k < inputs.length; k++) args[k] = values[inputs[k]!]!;
    const slot = directSlot[i]!;
    let value: Value;
    if (slot < 0) value = compute(step, args, ctx);
    else {
      claimNextSeries(slotView(slot));
      try {
        value = compute(step, args, ctx);
      } finally {
        claimNextSeries(null); // unused when the result is a number or float64
      }
    }
    values[i] = value;
    if (typeof value !== 'number' && args.includes(value)) kept.add(value);
    for (const j of step.inputs) {
      if (--readers[j]! > 0 || isRoot[j]) continue;
      const v = values[j]!;
      values[j] = undefined;
      ctx.finite[j] = undefined;
      ctx.segmentViews[j] = undefined;
      if (typeof v === 'number' || !(v instanceof Float32Array) || kept.has(v) || ctx.fieldArrays.has(v) || v.buffer === packed.buffer) continue;
      ctx.ranks.delete(v);
      recycleSeries(v);
    }
  }
  const results = roots.map((i, r) => {
    const value = values[i]!;
    if (directSlot[i] === r && value instanceof Float32Array && value.buffer === packed.buffer) return value;
    const view = slotView(r);
    if (typeof value === 'number') view.fill(value);
    else view.set(value);
    return view;
  });
  const recycled = new Set<Float32Array>();
  for (const i of roots) {
    const v = values[i]!;
    if (typeof v === 'number' || !(v instanceof Float32Array) || kept.has(v) || ctx.fieldArrays.has(v) || recycled.has(v) || v.buffer === packed.buffer) continue;
    recycled.add(v);
    recycleSeries(v);
  }
  return results;
}

/**
 * A step whose kernel does not take a segment length (overSegments), run on each segment's rows (its own context:
 * infinity-free inputs, value ranks and shared passes per segment) and laid
 * end to end. All segments have one length, so each gives the same array
 * type as the others (some kernels choose it by the window and the length).
 */
function computeBySegment(step: Step, args: Value[], ctx: Context): Series {
  const segments = segmentContextsOf(ctx);
  const n = ctx.segmentLength;
  const segArgs: Value[] = new Array(args.length);
  const views: (Series[] | null)[] = new Array(args.length);
  for (let a = 0; a < args.length; a++) {
    const v = args[a]!;
    views[a] = typeof v === 'number' ? null : segmentViewsOf(step.inputs[a]!, v, n, ctx);
  }
  // Default mode gives float32 only; qlib mode's type is known after the first segment.
  let out: Series | null = ctx.mode === 'default' ? newSeries(ctx.length) : null;
  for (let k = 0; k < segments.length; k++) {
    const lo = k * n;
    for (let a = 0; a < args.length; a++) segArgs[a] = views[a]?.[k] ?? args[a]!;
    // Not for a shared pass: its first output may be another step's (the siblings read them all later).
    const target = step.pass < 0 && out instanceof Float32Array ? out.subarray(lo, lo + n) : null;
    segmentTarget = target;
    claimNextSeries(target);
    let v: Series;
    try {
      v = compute(step, segArgs, segments[k]!) as Series;
    } finally {
      segmentTarget = null;
      claimNextSeries(null);
    }
    if (out === null) out = v instanceof Float32Array ? newSeries(ctx.length) : new Float64Array(ctx.length);
    else if (v.constructor !== out.constructor) throw new QonlineError('QONLINE_INTERNAL', `${step.plan.key} gave float32 and float64 segments`);
    // A kernel may have taken the target as scratch and returned another array: the output is copied over it.
    if (v !== target) out.set(v, lo);
  }
  return out ?? newSeries(0);
}

/** The segments' own contexts, made on first use. */
function segmentContextsOf(ctx: Context): Context[] {
  if (ctx.segments === null) {
    ctx.segments = [];
    for (let k = 0; k < ctx.segmentCount; k++) ctx.segments.push(newSegmentContext(ctx, ctx.segmentLength));
  }
  return ctx.segments;
}

/** Step `j`'s value (`v`) as one view per segment of `n` rows. */
function segmentViewsOf(j: number, v: Series, n: number, ctx: Context): Series[] {
  let views = ctx.segmentViews[j];
  if (views === undefined || views[0]!.buffer !== v.buffer || views[0]!.byteOffset !== v.byteOffset) {
    views = new Array(ctx.segmentCount);
    for (let k = 0; k < views.length; k++) views[k] = v.subarray(k * n, (k + 1) * n);
    ctx.segmentViews[j] = views;
  }
  return views;
}

function compute(step: Step, args: Value[], ctx: Context): Value {
  const plan = step.plan;
  if (ctx.segmentCount > 1 && !step.overSegments) return computeBySegment(step, args, ctx);
  switch (plan.kind) {
    case 'number':
      return plan.value;
    case 'field':
      return loadField(plan.name, ctx);
    case 'call':
      break;
  }
  const op = plan.spec.name;
  const N = plan.params[0] ?? 0; // indexed, not destructured: destructuring runs the iterator protocol on every step
  const seg = ctx.segmentLength;
  switch (plan.spec.extent) {
    case 'elementwise':
      return elementwise(op, args, ctx.length);
    case 'shift': {
      const x = asArray(args[0]!, ctx.length);
      if (N === 0 && ctx.mode === 'qlib') return op === 'Ref' ? firstValueRows(x) : minusFirstRows(x);
      return op === 'Ref' ? shiftRows(x, N, seg) : deltaRows(x, N, seg);
    }
    case 'ema': {
      const x = finiteArg(step, args, 0, ctx);
      if (N === 0 && ctx.mode === 'qlib') return qlibExpandingEma(x, ctx.alloc);
      return ewmMean(x, emaAlpha(N), ctx.alloc, seg);
    }
    case 'rolling':
      break;
  }
  const raw = asArray(args[0]!, ctx.length);
  const alloc = ctx.alloc;
  if (ctx.mode === 'qlib') {
    // Qlib's Rolling turns a window between 0 and 1 into ewm(alpha=N).mean(), whatever the operator.
    if (N > 0 && N < 1 && QLIB_EWM_WINDOW_OPERATORS.has(op)) return ewmMean(finiteArg(step, args, 0, ctx), N, alloc, seg);
    if (op === 'IdxMax' || op === 'IdxMin') {
      const x = finiteArg(step, args, 0, ctx);
      return qlibArgExtremum(x, N, sharedKernel(step, x, ctx), alloc);
    }
    if (op === 'Slope' || op === 'Rsquare' || op === 'Resi') {
      const stat = op === 'Slope' ? 'slope' : op === 'Rsquare' ? 'rsquare' : 'resi';
      if (N === 0) return qlibExpandingRegression(raw, stat, alloc); // Qlib does not mask the expanding Rsquare
      const out = qlibRollingRegression(raw, N, stat, alloc);
      if (op === 'Rsquare') {
        // Qlib blanks rows where pandas' rolling std (min_periods 1; inf counts as missing) is np.isclose to 0.
        const std = rollingMoments(finiteArg(step, args, 0, ctx), N, 'std', alloc);
        for (let t = 0; t < out.length; t++) if (Math.abs(std[t]!) <= NEAR_CONSTANT_STD) out[t] = NaN;
      }
      return out;
    }
  }
  if (op === 'Count') return rollingCount(raw, N, alloc, seg);
  const x = finiteArg(step, args, 0, ctx);
  if (step.pass >= 0) return sharedKernel(step, x, ctx);
  switch (op) {
    case 'Mean':
      return rollingMoments(x, N, 'mean', alloc, seg);
    case 'Sum':
      return rollingMoments(x, N, 'sum', alloc, seg);
    case 'Std':
      return rollingMoments(x, N, 'std', alloc, seg);
    case 'Var':
      return rollingMoments(x, N, 'var', alloc, seg);
    case 'Skew':
      return rollingMoments(x, N, 'skew', alloc, seg);
    case 'Kurt':
      return rollingMoments(x, N, 'kurt', alloc, seg);
    case 'WMA':
      return rollingWma(x, N, alloc, seg);
    case 'Corr': {
      // Default mode: the sides' Std(x, N) steps follow the two inputs (buildProgram).
      const stds = args.length === 4 ? { a: args[2] as Float32Array, b: args[3] as Float32Array } : undefined;
      return rollingPair(x, finiteArg(step, args, 1, ctx), N, 'corr', alloc, stds, seg);
    }
    case 'Cov':
      return rollingPair(x, finiteArg(step, args, 1, ctx), N, 'cov', alloc, undefined, seg);
    default:
      throw new QonlineError('QONLINE_INTERNAL', `operator ${op} has no kernel`);
  }
}

/** Input k of a step as windowed operators read it (infinities as NaN), computed once per input step. */
function finiteArg(step: Step, args: Value[], k: number, ctx: Context): Series {
  const j = step.inputs[k]!;
  let x = ctx.finite[j];
  if (x === undefined) {
    x = infinitiesAsNaN(asArray(args[k]!, ctx.length));
    ctx.finite[j] = x;
  }
  return x;
}

/** A rolling call's output from the kernel pass it shares with its siblings (run on the first one's request). */
function sharedKernel(step: Step, x: Series, ctx: Context): Series {
  let outputs = ctx.passOutputs[step.pass];
  if (!outputs) {
    outputs = runSharedPass(ctx.program.passes[step.pass]!, x, (step.plan as CallPlan).params[0]!, ctx);
    ctx.passOutputs[step.pass] = outputs;
  }
  return outputs.get(step.output)!;
}

function runSharedPass(pass: SharedPass, x: Series, N: number, ctx: Context): Map<string, Series> {
  const outputs = new Map<string, Series>();
  switch (pass.family) {
    case 'regression': {
      const outs: Partial<Record<RegressionStat, Series>> = {};
      for (const [name, o] of pass.stats) outputs.set(name, (outs[o.stat as RegressionStat] = ctx.alloc(ctx.length)));
      rollingRegressionInto(x, N, outs, true, ctx.segmentLength);
      break;
    }
    case 'max':
    case 'min': {
      // The raw positions of qlib mode's IdxMax/IdxMin are whole numbers, float32 as before.
      const value = pass.stats.has('value') ? ctx.alloc(ctx.length) : null;
      const position = pass.stats.has('position') ? (ctx.mode === 'qlib' ? new Float32Array(ctx.length) : ctx.alloc(ctx.length)) : null;
      if (value) outputs.set('value', value);
      if (position) outputs.set('position', position);
      rollingExtremumInto(x, N, pass.family === 'max', value, position, ctx.segmentLength);
      break;
    }
    case 'order': {
      // The order statistics rank float32 values (a float64 input is rounded first: not bit for bit with Qlib there).
      const y = x instanceof Float32Array ? x : Float32Array.from(x);
      // Short windows give float32 whatever the mode (as rollingOrderStat), longer ones the mode's type
      // (short as a segment sees it).
      const short = rowsOf(N, ctx.segmentLength) <= SMALL_WINDOW;
      const outs: OrderStatOutput[] = [];
      for (const [name, o] of pass.stats) {
        const out = short ? ctx.f32(ctx.length) : ctx.alloc(ctx.length);
        outputs.set(name, out);
        outs.push({ stat: o.stat as OrderStat, q: o.q, out });
      }
      // Value ranks are the whole series' (segments rank their own values inside the kernel).
      rollingOrderStatsInto(y, N, outs, () => ranksOf(y, ctx), ctx.segmentLength);
      break;
    }
  }
  return outputs;
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
  if (typeof a === 'number') return binarySeriesScalar(op as BinaryOp, b as Series, a, true);
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
