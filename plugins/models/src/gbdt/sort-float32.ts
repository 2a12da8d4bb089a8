/**
 * Ascending LSD radix sort of float32 values without NaN (3 passes of 11
 * bits over order-preserving integer keys): several times faster than
 * TypedArray#sort on the sizes binning samples.
 */
export function sortFloat32(values: Float32Array): Float32Array {
  return keysToFloat32(sortedFloat32Keys(values));
}

/** Order-preserving integer key of a float32's bits: unsigned key order equals float order (-0 before +0). */
export function float32Key(bits: number): number {
  // Negative floats: flip all bits; positive: flip the sign bit.
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** The values back from sorted keys. */
export function keysToFloat32(keys: Uint32Array): Float32Array {
  const n = keys.length;
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    outBits[i] = (k & 0x80000000 ? k & 0x7fffffff : ~k) >>> 0;
  }
  return out;
}

/** The values' keys (float32Key), sorted ascending. */
export function sortedFloat32Keys(values: Float32Array): Uint32Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = float32Key(bits[i]!);
  let tmp = new Uint32Array(n);
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & 2047]!++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      tmp[counts[(k >>> shift) & 2047]!++] = k;
    }
    const t = keys;
    keys = tmp;
    tmp = t;
  }
  return keys;
}
