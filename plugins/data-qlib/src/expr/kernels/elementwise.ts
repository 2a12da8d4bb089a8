import { newSeries } from './series-pool.js';
import type { Series } from './window.js';
/**
 * Row-by-row operators. Inputs and outputs are float32 arrays, so each
 * result is the float32 rounding of the exact result, as numpy computes on
 * Qlib's float32 features. Numbers combined with a series are rounded to
 * float32 first (numpy casts a Python scalar to the array's dtype).
 */

export type UnaryOp = 'Neg' | 'Abs' | 'Sign' | 'Log' | 'Not';
export type BinaryOp =
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Power'
  | 'Greater'
  | 'Less'
  | 'Gt'
  | 'Ge'
  | 'Lt'
  | 'Le'
  | 'Eq'
  | 'Ne'
  | 'And'
  | 'Or';

/** numpy's power: C pow() special cases that differ from Math.pow. */
export function numpyPower(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

/** Truth as numpy sees a float: nonzero, NaN included. */
function truthy(v: number): boolean {
  return v !== 0;
}

export function unaryScalar(op: UnaryOp, a: number): number {
  switch (op) {
    case 'Neg':
      return -a;
    case 'Abs':
      return Math.abs(a);
    case 'Sign':
      return a > 0 ? 1 : a < 0 ? -1 : a === 0 ? 0 : NaN;
    case 'Log':
      return Math.log(a);
    case 'Not':
      return truthy(a) ? 0 : 1;
  }
}

export function binaryScalar(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'Add':
      return a + b;
    case 'Sub':
      return a - b;
    case 'Mul':
      return a * b;
    case 'Div':
      return a / b;
    case 'Power':
      return numpyPower(a, b);
    case 'Greater':
      return a !== a || b !== b ? NaN : Math.max(a, b);
    case 'Less':
      return a !== a || b !== b ? NaN : Math.min(a, b);
    case 'Gt':
      return a > b ? 1 : 0;
    case 'Ge':
      return a >= b ? 1 : 0;
    case 'Lt':
      return a < b ? 1 : 0;
    case 'Le':
      return a <= b ? 1 : 0;
    case 'Eq':
      return a === b ? 1 : 0;
    case 'Ne':
      return a !== b ? 1 : 0;
    case 'And':
      return truthy(a) && truthy(b) ? 1 : 0;
    case 'Or':
      return truthy(a) || truthy(b) ? 1 : 0;
  }
}

/** An output of the input's dtype (numpy keeps float32 for float32 input). */
function like(a: Series, n: number): Series {
  return a instanceof Float64Array ? new Float64Array(n) : newSeries(n);
}

/** numpy's promotion: float64 if either operand is, else float32. Comparisons' 0/1 are exact either way. */
function promoted(a: Series, b: Series, n: number): Series {
  return a instanceof Float64Array || b instanceof Float64Array ? new Float64Array(n) : newSeries(n);
}

export function unaryArray(op: UnaryOp, a: Series): Series {
  const n = a.length;
  const out = like(a, n);
  switch (op) {
    case 'Neg':
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      break;
    case 'Abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]!);
      break;
    case 'Log':
      for (let i = 0; i < n; i++) out[i] = Math.log(a[i]!);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = unaryScalar(op, a[i]!);
  }
  return out;
}

export function binaryArray(op: BinaryOp, a: Series, b: Series): Series {
  const n = a.length;
  const out = promoted(a, b, n);
  // The hot arithmetic gets its own loops; the rest share the scalar definition.
  switch (op) {
    case 'Add':
      for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
      break;
    case 'Sub':
      for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
      break;
    case 'Mul':
      for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
      break;
    case 'Div':
      for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
      break;
    case 'Gt':
      for (let i = 0; i < n; i++) out[i] = a[i]! > b[i]! ? 1 : 0;
      break;
    case 'Lt':
      for (let i = 0; i < n; i++) out[i] = a[i]! < b[i]! ? 1 : 0;
      break;
    case 'Greater':
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        const y = b[i]!;
        out[i] = x !== x || y !== y ? NaN : Math.max(x, y);
      }
      break;
    case 'Less':
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        const y = b[i]!;
        out[i] = x !== x || y !== y ? NaN : Math.min(x, y);
      }
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = binaryScalar(op, a[i]!, b[i]!);
  }
  return out;
}

/**
 * A binary operator between a series and a number (`scalarFirst`: the number
 * is the left operand), without broadcasting the number into an array. The
 * number is cast to the array's dtype first, as numpy does (float32: rounded).
 */
export function binarySeriesScalar(op: BinaryOp, a: Series, scalar: number, scalarFirst: boolean): Series {
  const n = a.length;
  const out = like(a, n);
  const s = a instanceof Float32Array ? Math.fround(scalar) : scalar;
  switch (op) {
    case 'Add':
      for (let i = 0; i < n; i++) out[i] = a[i]! + s;
      return out;
    case 'Mul':
      for (let i = 0; i < n; i++) out[i] = a[i]! * s;
      return out;
    case 'Sub':
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = s - a[i]!;
      else for (let i = 0; i < n; i++) out[i] = a[i]! - s;
      return out;
    case 'Div':
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = s / a[i]!;
      else for (let i = 0; i < n; i++) out[i] = a[i]! / s;
      return out;
    // Symmetric, so the order of the operands does not matter (Alpha158: Greater(x, 0) in SUMP and VSUMP).
    case 'Greater':
      if (s !== s) out.fill(NaN);
      else
        for (let i = 0; i < n; i++) {
          const x = a[i]!;
          out[i] = x !== x ? NaN : Math.max(x, s);
        }
      return out;
    case 'Less':
      if (s !== s) out.fill(NaN);
      else
        for (let i = 0; i < n; i++) {
          const x = a[i]!;
          out[i] = x !== x ? NaN : Math.min(x, s);
        }
      return out;
    default:
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = binaryScalar(op, s, a[i]!);
      else for (let i = 0; i < n; i++) out[i] = binaryScalar(op, a[i]!, s);
      return out;
  }
}

/** If(cond, a, b): a where cond is nonzero (NaN counts as true, as numpy.where), else b. */
export function ifArray(cond: Series, a: Series, b: Series): Series {
  const n = cond.length;
  const out = promoted(a, b, n);
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i]! : b[i]!;
  return out;
}
