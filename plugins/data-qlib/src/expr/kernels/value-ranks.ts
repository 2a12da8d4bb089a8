/**
 * Dense ranks of a series' values: `rank[t]` indexes the sorted distinct
 * non-NaN values (`values`), -1 for NaN. Equal values (including -0 and +0)
 * share a rank. Sorting is an LSD radix sort on the float32 bit patterns,
 * O(n). Callers share the result between Rank, Quantile and Med of one
 * series at several windows (within one evaluation: input arrays may be
 * reused by the caller afterwards).
 */
export interface ValueRanks {
  values: Float64Array;
  rank: Int32Array;
}

const RADIX_BITS = 11;
const BUCKETS = 1 << RADIX_BITS;

export function valueRanks(x: Float32Array): ValueRanks {
  const n = x.length;
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  // Keys whose unsigned order is the numeric order: flip all bits of negatives, the sign bit of the rest.
  let keys = new Uint32Array(n);
  let order = new Int32Array(n);
  let m = 0;
  for (let t = 0; t < n; t++) {
    const v = x[t]!;
    if (v !== v) continue;
    const b = v === 0 ? 0 : bits[t]!;
    keys[m] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    order[m] = t;
    m++;
  }
  let keysOut = new Uint32Array(m);
  let orderOut = new Int32Array(m);
  const counts = new Int32Array(BUCKETS);
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i]! >>> shift) & (BUCKETS - 1)]!++;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const slot = counts[(keys[i]! >>> shift) & (BUCKETS - 1)]!++;
      keysOut[slot] = keys[i]!;
      orderOut[slot] = order[i]!;
    }
    [keys, keysOut] = [keysOut, keys];
    [order, orderOut] = [orderOut, order];
  }
  const rank = new Int32Array(n).fill(-1);
  const values = new Float64Array(m);
  let distinct = 0;
  for (let i = 0; i < m; i++) {
    const v = x[order[i]!]!;
    if (distinct === 0 || values[distinct - 1] !== v) values[distinct++] = v + 0; // -0 and +0 are one value
    rank[order[i]!] = distinct - 1;
  }
  return { values: values.slice(0, distinct), rank };
}
