import { f32Series, type Alloc, type Series } from './window.js';
/**
 * Kernels for `expressions: qlib`: Qlib's own behaviour where qonline's
 * default deliberately differs (docs/expressions.md, "Where qonline differs").
 * Every one works on the rows it is given: with Qlib semantics those are the
 * rows Qlib would have loaded (see qlibLoadExtent).
 */

/** Qlib's Ref(x, 0): the first loaded value (NaN included) on every row. */
export function firstValueRows(x: Series): Series {
  const out = new (x.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(x.length);
  if (x.length) out.fill(x[0]!);
  return out;
}

/** Qlib's Delta(x, 0): x minus the first loaded value (NaN if that is NaN), in float32. */
export function minusFirstRows(x: Series): Series {
  const out = new (x.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(x.length);
  if (!x.length) return out;
  const first = x[0]!;
  for (let t = 0; t < x.length; t++) out[t] = x[t]! - first;
  return out;
}

/**
 * Qlib's IdxMax/IdxMin: pandas rolling (or expanding, N = 0) apply of numpy
 * argmax/argmin + 1 with min_periods 1. numpy treats NaN as the extreme, so a
 * window holding a NaN gives the 1-based position of its first NaN; a window
 * without any value gives NaN. `plain` is the default kernel's result, which
 * equals Qlib's on windows without NaN (first occurrence of the extreme).
 * `x` has infinities already replaced by NaN (pandas does so before apply).
 */
export function qlibArgExtremum(x: Series, N: number, plain: Series, alloc: Alloc = f32Series): Series {
  const n = x.length;
  const out = alloc(n);
  // firstNaN[i]: the first NaN row at or after i (n when none).
  const firstNaN = new Int32Array(n + 1);
  firstNaN[n] = n;
  for (let i = n - 1; i >= 0; i--) firstNaN[i] = x[i] !== x[i] ? i : firstNaN[i + 1]!;
  // values[i]: non-NaN values among rows < i.
  const values = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) values[i + 1] = values[i]! + (x[i] === x[i] ? 1 : 0);
  for (let t = 0; t < n; t++) {
    const lo = N === 0 ? 0 : Math.max(0, t - N + 1);
    if (values[t + 1]! - values[lo]! === 0) out[t] = NaN;
    else if (firstNaN[lo]! <= t) out[t] = firstNaN[lo]! - lo + 1;
    else out[t] = plain[t]!;
  }
  return out;
}

/**
 * Qlib's EMA(x, 0): an expanding apply over the L loaded rows so far with
 * alpha = 2/(L+1): weights a^(L-1-i) for a = 1 - alpha (newest 1), divided by
 * their sum over all L rows (NaN rows included), then the sum of w·x over the
 * non-NaN rows (numpy nansum). NaN while no value has been seen. O(n²), as in
 * Qlib. `x` has infinities replaced by NaN.
 */
export function qlibExpandingEma(x: Series, alloc: Alloc = f32Series): Series {
  const n = x.length;
  const out = alloc(n);
  let seen = false;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) seen = true;
    if (!seen) {
      out[t] = NaN;
      continue;
    }
    const L = t + 1;
    const a = 1 - 2 / (1 + L);
    let wsum = 0;
    let acc = 0;
    for (let i = 0; i <= t; i++) {
      const w = Math.pow(a, t - i);
      wsum += w;
      const v = x[i]!;
      if (v === v) acc += w * v;
    }
    out[t] = acc / wsum;
  }
  return out;
}
