/**
 * Ascending LSD radix sort of float32 values without NaN (3 passes of 11
 * bits over order-preserving integer keys): several times faster than
 * TypedArray#sort on the sizes binning samples.
 */
export function sortFloat32(values: Float32Array): Float32Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    // Negative floats: flip all bits; positive: flip the sign bit. Unsigned order then equals float order.
    keys[i] = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
  }
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
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    outBits[i] = (k & 0x80000000 ? k & 0x7fffffff : ~k) >>> 0;
  }
  return out;
}
