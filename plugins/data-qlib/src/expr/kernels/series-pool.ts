/**
 * Scratch series reused within and across evaluations on one thread. An
 * evaluation of Alpha158 creates some 190 intermediate series per
 * instrument (differences, Greater, Abs, sums before a division...); each
 * went to the garbage collector after its last reader. The evaluator hands
 * an intermediate back with `recycleSeries` once nothing reads it any more,
 * and kernels take their outputs from `newSeries`.
 *
 * The pool keeps buffers of one capacity, the longest series asked for so
 * far, and hands out views of their first n values: instruments of different
 * lengths (late listings, delistings) share them. A longer series drops the
 * pool. A series from `newSeries` holds old values: a kernel that takes one
 * must write every element. At most MAX_POOLED buffers are kept (2.5 MB at
 * 2500 rows).
 */
const MAX_POOLED = 256;
let capacity = 0;
const free: Float32Array[] = [];
let claimed: Float32Array | null = null;

/**
 * Makes the next newSeries(n) of a matching length return `target` (null: cancel): the evaluator
 * has an elementwise kernel, which takes exactly one output from newSeries, write its result
 * straight into the caller's result buffer.
 */
export function claimNextSeries(target: Float32Array | null): void {
  claimed = target;
}

/** A series of n values, a view of a pooled buffer when one is free (contents arbitrary: write them all). */
export function newSeries(n: number): Float32Array {
  if (claimed !== null && claimed.length === n) {
    const target = claimed;
    claimed = null;
    return target;
  }
  if (n > capacity) {
    free.length = 0;
    capacity = n;
  }
  const buffer = free.pop() ?? new Float32Array(capacity);
  return buffer.length === n ? buffer : buffer.subarray(0, n);
}

/** Gives a series no one reads any more back for reuse. */
export function recycleSeries(x: Float32Array): void {
  // Only views of the start of a buffer of the pool's capacity: anything else (a caller's array, a
  // worker's packed results) is not ours to reuse.
  if (x.byteOffset !== 0 || x.buffer.byteLength !== capacity * 4 || free.length >= MAX_POOLED) return;
  free.push(x.length === capacity ? x : new Float32Array(x.buffer, 0, capacity));
}
