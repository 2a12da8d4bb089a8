/**
 * Order-preserving int32 key of a float32's bits: signed key order equals
 * float order (-0 just before +0). Int32, not uint32: V8 keeps int32 values
 * in integer registers, where a uint32 above 2^31 becomes a double.
 */
export function float32Key(bits: number): number {
  // Negative floats: flip the 31 low bits (the sign bit already orders them first).
  return bits ^ ((bits >> 31) & 0x7fffffff);
}

/** The keys of -0 and +0: adjacent, nothing sorts between them. */
export const NEG_ZERO_KEY = -1;
export const POS_ZERO_KEY = 0;

const scratchFloat = new Float32Array(1);
const scratchBits = new Int32Array(scratchFloat.buffer);

/** One key's float32 value (as a number). */
export function keyToFloat32(key: number): number {
  // The key transform is its own inverse.
  scratchBits[0] = float32Key(key);
  return scratchFloat[0]!;
}

/** The values' keys (float32Key), sorted ascending. */
export function sortedFloat32Keys(values: Float32Array): Int32Array {
  const n = values.length;
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = float32Key(bits[i]!);
  const out = new Int32Array(n);
  radixSortKeys(keys, out);
  return out;
}

/** The three digits' bucket starts, one block of 2048 per pass. */
const radixCounts = new Int32Array(3 * 2048);

/**
 * Ascending LSD radix sort of keys (3 passes of 11 bits): several times
 * faster than TypedArray#sort on the sizes binning sorts. Sorts the keys of
 * `src` into `dst` (the same length); `src` is the scratch buffer and ends
 * unordered. One counting pass serves the three digits; the top digit's
 * sign bit is flipped so negative keys come first.
 */
export function radixSortKeys(src: Int32Array, dst: Int32Array): void {
  const n = src.length;
  const counts = radixCounts;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    counts[k & 2047]!++;
    counts[2048 + ((k >>> 11) & 2047)]!++;
    counts[4096 + ((k >>> 22) ^ 512)]!++;
  }
  for (let base = 0; base < 3 * 2048; base += 2048) {
    let sum = 0;
    for (let d = base; d < base + 2048; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
  }
  // src -> dst -> src -> dst.
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    dst[counts[k & 2047]!++] = k;
  }
  for (let i = 0; i < n; i++) {
    const k = dst[i]!;
    src[counts[2048 + ((k >>> 11) & 2047)]!++] = k;
  }
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    dst[counts[4096 + ((k >>> 22) ^ 512)]!++] = k;
  }
}
