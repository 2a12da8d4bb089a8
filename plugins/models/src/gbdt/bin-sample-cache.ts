import { sortedFloat32Keys } from './sort-float32.js';

/** A window binned earlier: its rows (a copy) and each feature's sorted non-NaN keys. */
interface BinnedWindow {
  rows: number;
  features: Float32Array;
  hashes: Uint32Array;
  keys: Uint32Array[];
}

/** Windows kept (one per column count): a routine's models on different handlers do not evict each other. */
const MAX_WINDOWS = 2;
/** A window sharing fewer rows than this fraction with the last one is sorted from scratch (merging would cost more). */
const MIN_SHARED_FRACTION = 0.5;
/** Kept windows are dropped after this long unused: a daemon does not hold a copy of its data between routines. */
const IDLE_RELEASE_MS = 120_000;

/**
 * Sorted feature values of training windows, for binning a window that
 * overlaps the previous one (rolling retraining: step 20 of a 370-day window
 * shares 95% of its rows) without sorting every feature again.
 *
 * Exact: a feature's sorted values depend only on the multiset of its
 * values. The new window's rows are matched one to one with bit-identical
 * rows of the previous window (hash, then full comparison); the sorted keys
 * are the previous ones minus the unmatched previous rows' plus the
 * unmatched new rows', merged in one pass. The result is the array a sort of
 * the new window's values gives, so the bins (and the models) are the same
 * as without the cache. Only whole windows (no sampling) use it.
 */
export class BinSampleCache {
  private readonly windows = new Map<number, BinnedWindow>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** How the last call got its keys (for tests and debug logs). */
  lastSource: 'merged' | 'sorted' = 'sorted';

  /** Each feature's non-NaN values of the window as sorted keys (float32Key). */
  sortedKeys(features: Float32Array, rows: number, cols: number): Uint32Array[] {
    const hashes = rowHashes(features, rows, cols);
    const previous = this.windows.get(cols);
    let keys = previous ? mergeFrom(previous, features, hashes, rows, cols) : null;
    this.lastSource = keys ? 'merged' : 'sorted';
    keys ??= sortAll(features, rows, cols);
    this.windows.delete(cols);
    if (this.windows.size >= MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(cols, { rows, features: features.slice(0, rows * cols), hashes, keys });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), IDLE_RELEASE_MS);
    this.timer.unref?.();
    return keys;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.windows.clear();
  }
}

function sortAll(features: Float32Array, rows: number, cols: number): Uint32Array[] {
  const keys: Uint32Array[] = [];
  // A group of columns per pass over the rows: consecutive floats share cache lines.
  const GROUP = 64;
  const buffers = Array.from({ length: Math.min(GROUP, cols) }, () => new Float32Array(rows));
  const filled = new Int32Array(GROUP);
  for (let f0 = 0; f0 < cols; f0 += GROUP) {
    const width = Math.min(GROUP, cols - f0);
    filled.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * cols + f0;
      for (let j = 0; j < width; j++) {
        const v = features[base + j]!;
        if (v === v) buffers[j]![filled[j]!++] = v;
      }
    }
    for (let j = 0; j < width; j++) keys.push(sortedFloat32Keys(buffers[j]!.subarray(0, filled[j]!)));
  }
  return keys;
}

function rowHashes(features: Float32Array, rows: number, cols: number): Uint32Array {
  const bits = new Uint32Array(features.buffer, features.byteOffset, rows * cols);
  const out = new Uint32Array(rows);
  for (let r = 0, p = 0; r < rows; r++) {
    let h = 0x811c9dc5;
    for (let end = p + cols; p < end; p++) h = Math.imul(h ^ bits[p]!, 0x01000193);
    out[r] = (h ^ (h >>> 15)) >>> 0;
  }
  return out;
}

/** The new window's sorted keys from the previous window's, or null when too few rows are shared. */
function mergeFrom(previous: BinnedWindow, features: Float32Array, hashes: Uint32Array, rows: number, cols: number): Uint32Array[] | null {
  const oldRows = previous.rows;
  const oldBits = new Uint32Array(previous.features.buffer, previous.features.byteOffset, oldRows * cols);
  const newBits = new Uint32Array(features.buffer, features.byteOffset, rows * cols);
  // Chained hash table of the previous rows; a matched row is unlinked, so each is matched once.
  let size = 1;
  while (size < 2 * oldRows) size <<= 1;
  const mask = size - 1;
  const head = new Int32Array(size).fill(-1);
  const next = new Int32Array(oldRows);
  for (let j = 0; j < oldRows; j++) {
    const b = previous.hashes[j]! & mask;
    next[j] = head[b]!;
    head[b] = j;
  }
  const matched = new Uint8Array(oldRows);
  const added = new Int32Array(rows);
  let numAdded = 0;
  for (let i = 0; i < rows; i++) {
    const h = hashes[i]!;
    const b = h & mask;
    let prev = -1;
    let j = head[b]!;
    for (; j >= 0; prev = j, j = next[j]!) {
      if (previous.hashes[j] !== h) continue;
      let k = 0;
      const a0 = j * cols;
      const b0 = i * cols;
      while (k < cols && oldBits[a0 + k] === newBits[b0 + k]) k++;
      if (k === cols) break;
    }
    if (j < 0) {
      added[numAdded++] = i;
      continue;
    }
    matched[j] = 1;
    if (prev < 0) head[b] = next[j]!;
    else next[prev] = next[j]!;
  }
  if (rows - numAdded < MIN_SHARED_FRACTION * rows) return null;
  const removed = new Int32Array(oldRows - (rows - numAdded));
  for (let j = 0, m = 0; j < oldRows; j++) if (!matched[j]) removed[m++] = j;
  // The few removed and added rows, column by column (one pass over their rows each).
  const rem = columnKeys(oldBits, removed, removed.length, cols);
  const add = columnKeys(newBits, added, numAdded, cols);
  const out: Uint32Array[] = [];
  for (let f = 0; f < cols; f++) {
    const r = rem[f]!;
    const a = add[f]!;
    const nr = r.length;
    const na = a.length;
    const old = previous.keys[f]!;
    const merged = new Uint32Array(old.length - nr + na);
    let ri = 0;
    let ai = 0;
    let o = 0;
    for (let i = 0; i < old.length; i++) {
      const k = old[i]!;
      // Both sorted and the removed keys a sub-multiset of the old ones: a removed key is met where it sits.
      if (ri < nr && k === r[ri]) {
        ri++;
        continue;
      }
      while (ai < na && a[ai]! < k) merged[o++] = a[ai++]!;
      merged[o++] = k;
    }
    while (ai < na) merged[o++] = a[ai++]!;
    if (ri !== nr || o !== merged.length) throw new Error('GBDT bin cache: the previous window does not hold the removed rows (internal error)');
    out.push(merged);
  }
  return out;
}

/** Each feature's sorted keys over the listed rows, NaN skipped. */
function columnKeys(bits: Uint32Array, rowList: Int32Array, count: number, cols: number): Uint32Array[] {
  const values = new Float32Array(count * cols);
  const valueBits = new Uint32Array(values.buffer);
  const filled = new Int32Array(cols);
  for (let i = 0; i < count; i++) {
    const base = rowList[i]! * cols;
    for (let f = 0; f < cols; f++) {
      const b = bits[base + f]!;
      // NaN: exponent all ones and a non-zero mantissa.
      if ((b & 0x7fffffff) > 0x7f800000) continue;
      valueBits[f * count + filled[f]!++] = b;
    }
  }
  return Array.from({ length: cols }, (_, f) => sortedFloat32Keys(values.subarray(f * count, f * count + filled[f]!)));
}

/** The cache every GBDT fit of this thread shares (rolling tasks are trained one after another). */
export const processBinCache = new BinSampleCache();
