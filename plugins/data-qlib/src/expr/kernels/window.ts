/**
 * Shared rules of rolling kernels.
 *
 * A window of N rows ending at row t covers rows max(0, t-N+1) .. t; window 0
 * (expanding) covers 0 .. t, which is the same as any N >= the series length,
 * so kernels take the resolved row count from `rowsOf`.
 *
 * Running sums are kept in float64 around a shift K close to the window's
 * mean. They drift when large values leave the window (the sum keeps their
 * rounding error while the remaining values are small) and, slowly, with the
 * number of updates. Each kernel therefore counts the updates (`ops`) and the
 * magnitude (`mass`) it has added and removed since its last rebuild, and
 * rebuilds from the window's values once ops * mass exceeds REBUILD_RATIO
 * times the window's own magnitude. The accumulated error is at most about
 * ops * 1.1e-16 * mass, so it stays near 1e-10 of the result, far below
 * float32's 6e-8; on ordinary data a rebuild happens every few thousand rows,
 * so the cost stays O(1) amortised per row.
 */
export const REBUILD_RATIO = 1e6;

/** Rows in the window for a window parameter N (0 = expanding) over `length` rows. */
export function rowsOf(N: number, length: number): number {
  return N === 0 ? Math.max(1, length) : Math.max(1, Math.min(N, length));
}

/** First row of the window ending at t, in a series (or segment, see below) that starts at row `lo`. */
export function windowStart(t: number, rows: number, lo = 0): number {
  return t - rows + 1 > lo ? t - rows + 1 : lo;
}

/**
 * Segments: the evaluator lays several instruments' rows end to end (all of
 * one length `seg`) and runs a kernel once over all of them. A kernel that
 * takes `seg` treats rows [k*seg, (k+1)*seg) as a series of its own: its
 * window state restarts at every boundary and no window reaches across, so
 * each segment's rows are bit for bit what the kernel gives that segment
 * alone (the same operations in the same order; row indices only enter as
 * differences). `seg` defaults to the whole series.
 */
export function checkSegments(n: number, seg: number): void {
  if (n > 0 && !(Number.isInteger(seg) && seg >= 1 && n % seg === 0)) {
    throw new RangeError(`${n} rows do not split into segments of ${seg}`);
  }
}

/**
 * Tracks whether all non-NaN values of the current window are identical (the
 * case pandas answers exactly: variance 0, skew 0, kurtosis -3). Feed every
 * row in order with `push`, then ask `identicalSince(start)`.
 */
export class IdenticalRun {
  /** Last non-NaN row whose value differs from the latest non-NaN value. */
  private lastDifferent = -1;
  private lastRow = -1;
  private lastValue = NaN;

  push(t: number, v: number): void {
    if (v !== v) return;
    if (this.lastRow >= 0 && v !== this.lastValue) this.lastDifferent = this.lastRow;
    this.lastValue = v;
    this.lastRow = t;
  }

  /** The latest non-NaN value pushed. */
  get value(): number {
    return this.lastValue;
  }

  /** True when every non-NaN value in rows start..(last pushed) equals the latest one. */
  identicalSince(start: number): boolean {
    return this.lastDifferent < start;
  }
}

/**
 * pandas' rolling, expanding and ewm operators treat +-Infinity as missing
 * (they replace it with NaN before computing), so every windowed operator
 * except Count sees infinities as NaN. Returns `x` itself when it holds none.
 */
export function infinitiesAsNaN<T extends Series>(x: T): T {
  // Found with indexOf, a native scan: as fast in a fresh process as later, where a JS loop over every
  // windowed operator's input ran unoptimised through most of a daily routine.
  const up = x.indexOf(Infinity);
  const down = x.indexOf(-Infinity);
  if (up < 0 && down < 0) return x;
  const out = x.slice() as T;
  for (let i = up < 0 ? down : down < 0 ? up : Math.min(up, down); i < out.length; i++) {
    if (out[i] === Infinity || out[i] === -Infinity) out[i] = NaN;
  }
  return out;
}

/**
 * A series of values: float32 as Qlib stores data, or float64 for the
 * results Qlib keeps in float64 under `expressions: qlib` (pandas' rolling
 * operators and the Cython ones return float64, and numpy promotes
 * arithmetic with them; only the final result is cast to float32).
 */
export type Series = Float32Array | Float64Array;
/** Allocates a kernel's output: float32 (the default) or float64 (Qlib's intermediates). */
export type Alloc = (n: number) => Series;
export const f32Series: Alloc = (n) => new Float32Array(n);
export const f64Series: Alloc = (n) => new Float64Array(n);
