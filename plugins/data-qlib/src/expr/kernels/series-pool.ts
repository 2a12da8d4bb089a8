/**
 * Scratch series reused within and across evaluations on one thread. An
 * evaluation of Alpha158 creates some 190 intermediate series per
 * instrument (differences, Greater, Abs, sums before a division...); each
 * went to the garbage collector after its last reader. The evaluator hands
 * an intermediate back with `recycleSeries` once nothing reads it any more,
 * and kernels take their outputs from `newSeries`. Only series of one
 * length are kept (an instrument's): a new length drops the pool.
 *
 * A series from `newSeries` holds old values: a kernel that takes one must
 * write every element. At most MAX_POOLED series are kept (2.5 MB at 2500 rows).
 */
const MAX_POOLED = 256;
let pooledLength = -1;
const free: Float32Array[] = [];

/** A series of n values, recycled when one of that length is free (contents arbitrary: write them all). */
export function newSeries(n: number): Float32Array {
  return n === pooledLength && free.length > 0 ? free.pop()! : new Float32Array(n);
}

/** Gives a series no one reads any more back for reuse. */
export function recycleSeries(x: Float32Array): void {
  // Views of a larger buffer (a worker's packed results, a caller's subarray) are not ours to reuse.
  if (x.byteOffset !== 0 || x.buffer.byteLength !== x.byteLength) return;
  if (x.length !== pooledLength) {
    free.length = 0;
    pooledLength = x.length;
  }
  if (free.length < MAX_POOLED) free.push(x);
}
