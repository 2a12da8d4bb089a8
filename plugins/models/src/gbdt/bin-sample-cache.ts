import { float32Key, radixSortKeys } from './sort-float32.js';

/** A window binned earlier: its rows and each feature's sorted non-NaN keys, in buffers the next window of its width reuses. */
interface BinnedWindow {
  rows: number;
  /** A copy of the window's rows (capacity may exceed rows * cols). */
  features: Float32Array;
  /** Feature f's sorted keys: keys[offsets[f], offsets[f + 1]). */
  keys: Int32Array;
  offsets: Int32Array;
  /** The keys of the window before (no longer needed): the next merge writes into it. */
  spare: Int32Array;
}

/** Called with each feature's sorted keys, valid only during the call (they live in a reused buffer). */
export type SortedColumnVisitor = (feature: number, keys: Int32Array) => void;

/** Windows kept (one per column count): a routine's models on different handlers do not evict each other. */
const MAX_WINDOWS = 2;
/** A window sharing fewer rows than this fraction with the last one is sorted from scratch (merging would cost more). */
const MIN_SHARED_FRACTION = 0.5;
/** Kept windows are dropped after this long unused: a daemon does not hold a copy of its data between routines. */
const IDLE_RELEASE_MS = 120_000;
/** Above every key of a non-NaN value (+Infinity's is 0x7f800000): the merge's "nothing left" marker. */
const NO_KEY = 0x7fffffff;
/** Rows compared per memcmp while following the block of rows the windows share. */
const COMPARE_CHUNK_ROWS = 256;

/**
 * Sorted feature values of training windows, for binning a window that
 * overlaps the previous one (rolling retraining: step 20 of a 370-day window
 * shares 95% of its rows) without sorting every feature again.
 *
 * Exact: a feature's sorted values depend only on the multiset of its
 * values. The new window's rows are matched one to one with bit-identical
 * rows of the previous window (as many as possible); the sorted keys are
 * the previous ones minus the unmatched previous rows' plus the unmatched
 * new rows', merged in one pass. The result is the array a sort of the new
 * window's values gives, so the bins (and the models) are the same as
 * without the cache. Only whole windows (no sampling) use it.
 *
 * Fast in the common case: a rolled window's rows are the previous window's
 * from some row on, in the same order, so one memcmp run matches them; only
 * the rows outside that block are hashed and matched one by one. Buffers
 * (the rows' copy, the keys) are reused from window to window.
 */
export class BinSampleCache {
  private readonly windows = new Map<number, BinnedWindow>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** How the last call got its keys (for tests and debug logs). */
  lastSource: 'merged' | 'sorted' = 'sorted';
  /** Rows of the last call matched by the one block comparison (the rest were hashed one by one; for tests). */
  lastBlockRows = 0;

  /** Visits each feature's non-NaN values of the window as sorted keys (float32Key), in feature order. */
  sortedColumns(features: Float32Array, rows: number, cols: number, visit: SortedColumnVisitor): void {
    const previous = this.windows.get(cols);
    const change = previous ? matchRows(previous, features, rows, cols) : null;
    this.lastBlockRows = change?.block ?? 0;
    let window: BinnedWindow;
    if (previous && change) {
      this.lastSource = 'merged';
      window = mergeColumns(previous, change, features, rows, cols, visit);
    } else {
      this.lastSource = 'sorted';
      window = sortColumns(previous ?? null, features, rows, cols, visit);
    }
    // The rows' copy, for matching the next window (after the match: it may overwrite the previous rows).
    const size = rows * cols;
    if (window.features.length < size) window.features = new Float32Array(withSlack(rows) * cols);
    window.features.set(features.subarray(0, size));
    window.rows = rows;
    this.windows.delete(cols);
    if (this.windows.size >= MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(cols, window);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), IDLE_RELEASE_MS);
    this.timer.unref?.();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.windows.clear();
  }
}

/** Capacity for a window of `rows` rows: rolled windows grow a little as instruments are listed. */
function withSlack(rows: number): number {
  return Math.ceil(rows * 1.125);
}

/** A buffer of at least `size` elements: `buffer` when it is large enough. */
function atLeast(buffer: Int32Array | undefined, size: number, rows: number, cols: number): Int32Array {
  return buffer && buffer.length >= size ? buffer : new Int32Array(Math.max(size, withSlack(rows) * cols));
}

function sortColumns(previous: BinnedWindow | null, features: Float32Array, rows: number, cols: number, visit: SortedColumnVisitor): BinnedWindow {
  const bits = new Int32Array(features.buffer, features.byteOffset, rows * cols);
  const keys = atLeast(previous?.spare, rows * cols, rows, cols);
  const offsets = new Int32Array(cols + 1);
  // A group of columns per pass over the rows: consecutive floats share cache lines.
  const GROUP = 64;
  const width0 = Math.min(GROUP, cols);
  const gathered = new Int32Array(width0 * rows);
  const filled = new Int32Array(GROUP);
  for (let f0 = 0; f0 < cols; f0 += GROUP) {
    const width = Math.min(GROUP, cols - f0);
    filled.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * cols + f0;
      for (let j = 0; j < width; j++) {
        const b = bits[base + j]!;
        if (!isNaNBits(b)) gathered[j * rows + filled[j]!++] = float32Key(b);
      }
    }
    for (let j = 0; j < width; j++) {
      const f = f0 + j;
      const start = offsets[f]!;
      const end = start + filled[j]!;
      offsets[f + 1] = end;
      const column = keys.subarray(start, end);
      radixSortKeys(gathered.subarray(j * rows, j * rows + filled[j]!), column);
      visit(f, column);
    }
  }
  return { rows, features: previous?.features ?? new Float32Array(0), keys, offsets, spare: previous?.keys ?? new Int32Array(0) };
}

/** NaN: exponent all ones and a non-zero mantissa. */
function isNaNBits(b: number): boolean {
  return (b & 0x7fffffff) > 0x7f800000;
}

/** The previous window's rows no longer in the window and the window's rows not in the previous one. */
interface RowChange {
  removed: Int32Array;
  added: Int32Array;
  /** Rows matched as one block. */
  block: number;
}

/** The rows that differ from the previous window, or null when too few rows are shared. */
function matchRows(previous: BinnedWindow, features: Float32Array, rows: number, cols: number): RowChange | null {
  const oldRows = previous.rows;
  const oldBits = new Int32Array(previous.features.buffer, previous.features.byteOffset, oldRows * cols);
  const newBits = new Int32Array(features.buffer, features.byteOffset, rows * cols);
  // The block: consecutive rows of both windows, bit-identical. Rolled forward, the window's first rows are the
  // previous window's from `oldFrom` on; rolled back (a training thread taking the newest window first), the
  // previous window's first rows are the window's from `newFrom` on.
  let oldFrom = 0;
  let newFrom = 0;
  while (oldFrom < oldRows && !rowsEqual(oldBits, oldFrom, newBits, 0, cols)) oldFrom++;
  if (oldFrom === oldRows || rows === 0) {
    oldFrom = 0;
    while (newFrom < rows && !rowsEqual(oldBits, 0, newBits, newFrom, cols)) newFrom++;
  }
  const found = oldFrom < oldRows && newFrom < rows && rows > 0 && oldRows > 0;
  const block = found ? sharedRun(previous.features, oldFrom, features, newFrom, Math.min(rows - newFrom, oldRows - oldFrom), cols) : 0;
  // Every other row is matched by content, with a hash table of the previous window's other rows.
  const oldOthers = new Int32Array(oldRows - block);
  for (let j = 0, m = 0; j < oldRows; j++) if (j < oldFrom || j >= oldFrom + block) oldOthers[m++] = j;
  const newOthers = new Int32Array(rows - block);
  for (let i = 0, m = 0; i < rows; i++) if (i < newFrom || i >= newFrom + block) newOthers[m++] = i;
  const { unmatchedOld, unmatchedNew } = matchByContent(oldBits, oldOthers, newBits, newOthers, cols);
  if (rows - unmatchedNew.length < MIN_SHARED_FRACTION * rows) return null;
  return { removed: unmatchedOld, added: unmatchedNew, block };
}

function rowsEqual(aBits: Int32Array, a: number, bBits: Int32Array, b: number, cols: number): boolean {
  const a0 = a * cols;
  const b0 = b * cols;
  for (let k = 0; k < cols; k++) if (aBits[a0 + k] !== bBits[b0 + k]) return false;
  return true;
}

/** How many rows from (previous) row `oldFrom` and (new) row `newFrom` on are bit-identical, up to `limit`: memcmp by chunks. */
function sharedRun(oldFeatures: Float32Array, oldFrom: number, features: Float32Array, newFrom: number, limit: number, cols: number): number {
  const rowBytes = cols * 4;
  const oldBytes = Buffer.from(oldFeatures.buffer, oldFeatures.byteOffset + oldFrom * rowBytes, limit * rowBytes);
  const newBytes = Buffer.from(features.buffer, features.byteOffset + newFrom * rowBytes, limit * rowBytes);
  let run = 0;
  while (run < limit) {
    const end = Math.min(limit, run + COMPARE_CHUNK_ROWS);
    if (newBytes.compare(oldBytes, run * rowBytes, end * rowBytes, run * rowBytes, end * rowBytes) !== 0) break;
    run = end;
  }
  const oldBits = new Int32Array(oldFeatures.buffer, oldFeatures.byteOffset + oldFrom * rowBytes, limit * cols);
  const newBits = new Int32Array(features.buffer, features.byteOffset + newFrom * rowBytes, limit * cols);
  while (run < limit && rowsEqual(oldBits, run, newBits, run, cols)) run++;
  return run;
}

/** Matches the listed rows one to one with bit-identical rows (hash, then full comparison); returns the rest. */
function matchByContent(
  oldBits: Int32Array,
  oldList: Int32Array,
  newBits: Int32Array,
  newList: Int32Array,
  cols: number,
): { unmatchedOld: Int32Array; unmatchedNew: Int32Array } {
  const oldHashes = rowHashes(oldBits, oldList, cols);
  const nOld = oldList.length;
  // Chained hash table of the previous rows; a matched row is unlinked, so each is matched once.
  let size = 1;
  while (size < 2 * nOld) size <<= 1;
  const mask = size - 1;
  const head = new Int32Array(size).fill(-1);
  const next = new Int32Array(nOld);
  for (let j = 0; j < nOld; j++) {
    const b = oldHashes[j]! & mask;
    next[j] = head[b]!;
    head[b] = j;
  }
  const matched = new Uint8Array(nOld);
  const newHashes = rowHashes(newBits, newList, cols);
  const unmatchedNew = new Int32Array(newList.length);
  let numNew = 0;
  for (let i = 0; i < newList.length; i++) {
    const h = newHashes[i]!;
    const b = h & mask;
    let prev = -1;
    let j = head[b]!;
    for (; j >= 0; prev = j, j = next[j]!) {
      if (oldHashes[j] === h && rowsEqual(oldBits, oldList[j]!, newBits, newList[i]!, cols)) break;
    }
    if (j < 0) {
      unmatchedNew[numNew++] = newList[i]!;
      continue;
    }
    matched[j] = 1;
    if (prev < 0) head[b] = next[j]!;
    else next[prev] = next[j]!;
  }
  const unmatchedOld = new Int32Array(nOld - (newList.length - numNew));
  for (let j = 0, m = 0; j < nOld; j++) if (!matched[j]) unmatchedOld[m++] = oldList[j]!;
  return { unmatchedOld, unmatchedNew: unmatchedNew.subarray(0, numNew) };
}

function rowHashes(bits: Int32Array, rowList: Int32Array, cols: number): Int32Array {
  const out = new Int32Array(rowList.length);
  for (let i = 0; i < rowList.length; i++) {
    let h = 0x811c9dc5;
    for (let p = rowList[i]! * cols, end = p + cols; p < end; p++) h = Math.imul(h ^ bits[p]!, 0x01000193);
    out[i] = h ^ (h >>> 15);
  }
  return out;
}

/** The window's sorted keys: the previous window's, minus the removed rows', plus the added rows'. */
function mergeColumns(
  previous: BinnedWindow,
  change: RowChange,
  features: Float32Array,
  rows: number,
  cols: number,
  visit: SortedColumnVisitor,
): BinnedWindow {
  const oldBits = new Int32Array(previous.features.buffer, previous.features.byteOffset, previous.rows * cols);
  const newBits = new Int32Array(features.buffer, features.byteOffset, rows * cols);
  const rem = ColumnKeys.of(oldBits, change.removed, cols);
  const add = ColumnKeys.of(newBits, change.added, cols);
  const old = previous.keys;
  const oldOffsets = previous.offsets;
  const size = oldOffsets[cols]! - rem.offsets[cols]! + add.offsets[cols]!;
  const out = atLeast(previous.spare, size, rows, cols);
  const offsets = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) {
    const start = offsets[f]!;
    const end = mergeColumn(old, oldOffsets[f]!, oldOffsets[f + 1]!, rem.keys, rem.offsets[f]!, rem.offsets[f + 1]!, add.keys, add.offsets[f]!, add.offsets[f + 1]!, out, start);
    offsets[f + 1] = end;
    visit(f, out.subarray(start, end));
  }
  return { rows, features: previous.features, keys: out, offsets, spare: old };
}

/**
 * Writes old[i0, i1) minus the keys r[r0, r1) plus the keys a[a0, a1) (all
 * three sorted, the removed ones a sub-multiset of the old ones) to `out`
 * from `o` on, sorted; returns the end. Runs of old keys between two changes
 * are copied by a tight loop.
 */
function mergeColumn(
  old: Int32Array,
  i0: number,
  i1: number,
  r: Int32Array,
  r0: number,
  r1: number,
  a: Int32Array,
  a0: number,
  a1: number,
  out: Int32Array,
  o: number,
): number {
  let i = i0;
  let ri = r0;
  let ai = a0;
  for (;;) {
    const nextRemoved = ri < r1 ? r[ri]! : NO_KEY;
    const nextAdded = ai < a1 ? a[ai]! : NO_KEY;
    const limit = nextRemoved < nextAdded ? nextRemoved : nextAdded;
    while (i < i1 && old[i]! < limit) out[o++] = old[i++]!;
    if (limit === NO_KEY) {
      while (i < i1) out[o++] = old[i++]!;
      return o;
    }
    if (nextRemoved === limit) {
      // Equal keys are the same value: whichever old occurrence goes, the output is the same.
      if (i === i1 || old[i] !== nextRemoved) throw new Error('GBDT bin cache: the previous window does not hold the removed rows (internal error)');
      i++;
      ri++;
    } else {
      out[o++] = nextAdded;
      ai++;
    }
  }
}

/** Each feature's sorted keys over a few listed rows, NaN skipped, flat like a window's. */
class ColumnKeys {
  constructor(
    readonly keys: Int32Array,
    readonly offsets: Int32Array,
  ) {}

  static of(bits: Int32Array, rowList: Int32Array, cols: number): ColumnKeys {
    const count = rowList.length;
    // Column-major gather (feature f at f * count), then each column sorted into place.
    const gathered = new Int32Array(count * cols);
    const filled = new Int32Array(cols);
    for (let i = 0; i < count; i++) {
      const base = rowList[i]! * cols;
      for (let f = 0; f < cols; f++) {
        const b = bits[base + f]!;
        if (!isNaNBits(b)) gathered[f * count + filled[f]!++] = float32Key(b);
      }
    }
    const offsets = new Int32Array(cols + 1);
    for (let f = 0; f < cols; f++) offsets[f + 1] = offsets[f]! + filled[f]!;
    const keys = new Int32Array(offsets[cols]!);
    for (let f = 0; f < cols; f++) radixSortKeys(gathered.subarray(f * count, f * count + filled[f]!), keys.subarray(offsets[f]!, offsets[f + 1]!));
    return new ColumnKeys(keys, offsets);
  }
}

/** The cache every GBDT fit of this thread shares (rolling tasks are trained one after another). */
export const processBinCache = new BinSampleCache();
