import { SeededRandom } from './seeded-random.js';
import type { BinSampleCache } from './bin-sample-cache.js';
import { keyToFloat32, NEG_ZERO_KEY, POS_ZERO_KEY, sortedFloat32Keys } from './sort-float32.js';
import { BIN_TABLE_WIDTH, binRowRange, type BinRowsTask } from './bin-rows.js';


/**
 * Quantile bins per feature, computed from a seeded sample of rows. A value x
 * falls in the first bin b with x <= upper[b] (the last value bin is open);
 * NaN falls in its own bin, numBins[f]. Bins fit a byte: at most 255 value
 * bins plus the NaN bin.
 */
export interface BinMapper {
  cols: number;
  /** Value bins per feature (>= 1). The NaN bin index equals this count. */
  numBins: Int32Array;
  /** All features' bin upper bounds (numBins[f] - 1 each, the open last bin omitted), flat. */
  upper: Float64Array;
  upperOffset: Int32Array;
}

/**
 * Bins from a seeded sample of `sampleCount` rows (all rows when there are no
 * more). With a cache, a window of all rows overlapping the previous one is
 * sorted by merging (the same bins, see BinSampleCache).
 */
export function computeBinMapper(
  features: Float32Array,
  rows: number,
  cols: number,
  maxBin: number,
  sampleCount: number,
  seed: number,
  cache: BinSampleCache | null = null,
): BinMapper {
  if (cache && rows <= sampleCount) {
    const uppers: Float64Array[] = new Array(cols);
    cache.sortedColumns(features, rows, cols, (f, keys) => (uppers[f] = binUpperBounds(keys, maxBin)));
    return mapperFromBounds(uppers);
  }
  const sample = rows <= sampleCount ? null : new SeededRandom(seed).sampleSorted(rows, sampleCount);
  const m = sample ? sample.length : rows;
  const uppers: Float64Array[] = [];
  // Gather a group of columns per pass over the sampled rows: consecutive floats share cache lines.
  const GROUP = 64;
  const buffers = Array.from({ length: Math.min(GROUP, cols) }, () => new Float32Array(m));
  const filled = new Int32Array(GROUP);
  for (let f0 = 0; f0 < cols; f0 += GROUP) {
    const width = Math.min(GROUP, cols - f0);
    filled.fill(0);
    for (let i = 0; i < m; i++) {
      const base = (sample ? sample[i]! : i) * cols + f0;
      for (let j = 0; j < width; j++) {
        const v = features[base + j]!;
        if (v === v) buffers[j]![filled[j]!++] = v;
      }
    }
    for (let j = 0; j < width; j++) {
      uppers.push(binUpperBounds(sortedFloat32Keys(buffers[j]!.subarray(0, filled[j]!)), maxBin));
    }
  }
  return mapperFromBounds(uppers);
}

function mapperFromBounds(uppers: Float64Array[]): BinMapper {
  const cols = uppers.length;
  const numBins = new Int32Array(cols);
  for (let f = 0; f < cols; f++) numBins[f] = uppers[f]!.length + 1;
  const upperOffset = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) upperOffset[f + 1] = upperOffset[f]! + uppers[f]!.length;
  const upper = new Float64Array(upperOffset[cols]!);
  for (let f = 0; f < cols; f++) upper.set(uppers[f]!, upperOffset[f]!);
  return { cols, numBins, upper, upperOffset };
}

/**
 * Upper bounds between bins from the sorted keys (float32Key) of non-NaN
 * values: one bin per distinct value when there are few, else greedy
 * equal-count bins whose edges fall between distinct values (a heavily
 * repeated value gets a bin of its own). Works on the keys, so a sorted
 * window needs no conversion back to floats; the values are those of
 * sorted floats (-0 and +0 are one value, a run of equal values is
 * represented by its first element).
 */
export function binUpperBounds(keys: Int32Array, maxBin: number): Float64Array {
  const n = keys.length;
  if (n === 0) return new Float64Array(0);
  const d = distinctValuesUpTo(keys, maxBin);
  if (d < 0) return equalCountBounds(keys, maxBin);
  const bounds = new Float64Array(d - 1);
  let nb = 0;
  let v = keys[0]!;
  for (let i = 1; i < n; i++) {
    const x = keys[i]!;
    if (sameValue(v, x)) continue;
    bounds[nb++] = between(keyToFloat32(v), keyToFloat32(x));
    v = x;
  }
  return bounds;
}

/** Whether two sorted keys (a <= b) are one value: equal, or -0 then +0. */
function sameValue(a: number, b: number): boolean {
  return a === b || (a === NEG_ZERO_KEY && b === POS_ZERO_KEY);
}

/**
 * Greedy equal-count bins over runs of equal values. A run ending before
 * the current bin's start + target can neither close the bin before it nor
 * after it, so the walk jumps to the run holding that element: the cost is
 * per bin, not per value.
 */
function equalCountBounds(keys: Int32Array, maxBin: number): Float64Array {
  const n = keys.length;
  const bounds = new Float64Array(maxBin - 1);
  let nb = 0;
  // A run of zeros is represented by -0 when it has one (the first in key order).
  const z = lowerBound(keys, NEG_ZERO_KEY);
  const hasNegZero = z < n && keys[z] === NEG_ZERO_KEY;
  let remaining = n;
  let binsLeft = maxBin;
  let target = remaining / binsLeft;
  let binStart = 0;
  // The first run not looked at yet.
  let start = 0;
  while (binsLeft > 1) {
    // The first run that can close the bin ends past binStart + target - 1: the one holding that element.
    const q = Math.max(start, binStart + Math.ceil(target) - 1);
    if (q >= n) break;
    let s = q;
    while (s > start && sameValue(keys[s - 1]!, keys[s]!)) s--;
    let end = q + 1;
    while (end < n && sameValue(keys[end - 1]!, keys[end]!)) end++;
    const c = end - s;
    let acc = s - binStart;
    // Close the current bin before a value that would overshoot the target by more than it undershoots.
    if (acc > 0 && acc + c > target && acc + c - target > target - acc) {
      const previous = keys[s - 1]!;
      bounds[nb++] = between(previous === POS_ZERO_KEY && hasNegZero ? -0 : keyToFloat32(previous), keyToFloat32(keys[s]!));
      remaining -= acc;
      binsLeft--;
      target = remaining / binsLeft;
      acc = 0;
      binStart = s;
    }
    acc += c;
    if (binsLeft > 1 && end < n && acc >= target) {
      bounds[nb++] = between(keyToFloat32(keys[s]!), keyToFloat32(keys[end]!));
      remaining -= acc;
      binsLeft--;
      target = remaining / binsLeft;
      binStart = end;
    }
    start = end;
  }
  return bounds.slice(0, nb);
}

/** Distinct values among sorted keys (-0 and +0 count once), or -1 when there are more than `limit`. */
function distinctValuesUpTo(keys: Int32Array, limit: number): number {
  const n = keys.length;
  let d = 1;
  for (let i = 1; i < n; i++) {
    // Stop early: at most one of the counted changes (-0 to +0) is not a new value.
    if (keys[i] !== keys[i - 1] && ++d > limit + 1) return -1;
  }
  const p = lowerBound(keys, POS_ZERO_KEY);
  if (p > 0 && p < n && keys[p - 1] === NEG_ZERO_KEY && keys[p] === POS_ZERO_KEY) d--;
  return d <= limit ? d : -1;
}

/** The first index whose key is >= key. */
function lowerBound(keys: Int32Array, key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A bound strictly between two float32 values (midpoint in float64; the lower one next to an infinity). */
function between(a: number, b: number): number {
  const mid = (a + b) / 2;
  return Number.isFinite(mid) ? mid : a;
}

/** 32-bit words per row of the binned matrix: features padded so histogram building reads four at a time. */
export function wordsPerRow(cols: number): number {
  return (cols + 3) >> 2;
}

/** Bins the task's rows, maybe on several threads; returns each column's has-missing-value flag. */
export type ParallelBinRows = (task: BinRowsTask) => Uint8Array;

export interface BinnedRows {
  /** Row-major bins, wordsPerRow(cols) * 4 bytes per row (for histograms). */
  rowMajor: Uint8Array;
  /** Column-major bins, `rows` bytes per feature (for partitioning a leaf on one feature). */
  colMajor: Uint8Array;
  /** Whether the column has a missing value. */
  hasNaN: Uint8Array;
}

/**
 * Bins every value. Pass a SharedArrayBuffer factory to share both matrices
 * with worker threads; `rowsInParallel` (hist-threads.ts) bins ranges of rows
 * on them too.
 */
export function binRows(
  features: Float32Array,
  rows: number,
  mapper: BinMapper,
  allocate: (bytes: number) => ArrayBufferLike = (b) => new ArrayBuffer(b),
  rowsInParallel: ParallelBinRows | null = null,
): BinnedRows {
  const cols = mapper.cols;
  const stride = wordsPerRow(cols) * 4;
  const rowMajor = new Uint8Array(allocate(rows * stride));
  const colMajor = new Uint8Array(allocate(rows * cols));
  const { upper, upperOffset, numBins } = mapper;
  // Each feature's bounds padded with +Infinity to 256 slots: an 8-step branch-free search.
  const table = new Float64Array(allocate(cols * BIN_TABLE_WIDTH * 8)).fill(Infinity);
  for (let f = 0; f < cols; f++) table.set(upper.subarray(upperOffset[f]!, upperOffset[f + 1]!), f * BIN_TABLE_WIDTH);
  const task: BinRowsTask = { features, rows, cols, stride, table, numBins, colMajor, rowMajor };
  const hasNaN = rowsInParallel ? rowsInParallel(task) : new Uint8Array(cols);
  if (!rowsInParallel) binRowRange(task, 0, rows, hasNaN);
  return { rowMajor, colMajor, hasNaN };
}
