/**
 * NaN-ignoring statistics over typed arrays, in float64. Medians use
 * selection (O(n)) instead of a sort: fit windows pool every instrument and
 * date, so a column can hold hundreds of thousands of values.
 */

/** Rearranges `a[lo..hi]` so that `a[k]` holds the k-th smallest value (Hoare selection, median of three). */
function selectKth(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three: sorts a[lo], a[mid], a[hi] so the scans below stay in bounds.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Median of the first `n` values of `buf` (no NaN among them); reorders `buf`.
 * Even counts average the two middle values, as numpy does. NaN when n is 0.
 */
export function medianInPlace(buf: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const k = n >>> 1;
  selectKth(buf, k, 0, n - 1);
  const upper = buf[k]!;
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of k after selection.
  let lower = -Infinity;
  for (let i = 0; i < k; i++) if (buf[i]! > lower) lower = buf[i]!;
  return (lower + upper) / 2;
}

/**
 * Bits of a float32 whose unsigned order is the numeric order (negatives have
 * every bit flipped, the rest their sign bit set); -0 is mapped to +0.
 */
function orderKey(b: number): number {
  if (b === -0x80000000) b = 0;
  return b ^ ((b >> 31) | -0x80000000);
}

const bitsOut = new Int32Array(1);
const valueOut = new Float32Array(bitsOut.buffer);

function keyValue(key: number): number {
  bitsOut[0] = key < 0 ? key ^ -0x80000000 : ~key;
  return valueOut[0]!;
}

/** Radix digits of the selection, high to low: 11 + 11 + 10 bits (a 2048-bin histogram stays in L1). */
const SHIFTS = [21, 10, 0];
const MASKS = [0x7ff, 0x7ff, 0x3ff];
const counts = new Int32Array(2048);
const quad = new Int32Array(4 * 2048);

/** First digit whose running count exceeds `rank` (0-based), and the rank left inside it. */
function digitOf(rank: number): [digit: number, left: number] {
  let d = 0;
  while (rank >= counts[d]!) rank -= counts[d++]!;
  return [d, rank];
}

/**
 * The keys of ranks k0 <= k1 (0-based) among `keys[0..n)`, into out[0], out[1]:
 * count the digit at `level`, keep only the keys whose digit holds a rank,
 * and go on with the next digit over those (usually a small fraction).
 */
function selectKeys(keys: Int32Array, n: number, k0: number, k1: number, level: number, prefix0: number, prefix1: number, out: Int32Array): void {
  const shift = SHIFTS[level]!;
  const mask = MASKS[level]!;
  counts.fill(0, 0, mask + 1);
  for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & mask]!++;
  const [d0, r0] = digitOf(k0);
  const [d1, r1] = digitOf(k1);
  const p0 = prefix0 | (d0 << shift);
  const p1 = prefix1 | (d1 << shift);
  if (level === SHIFTS.length - 1) {
    out[0] = p0;
    out[1] = p1;
    return;
  }
  if (d0 === d1) {
    selectKeys(keep(keys, n, shift, mask, d0, counts[d0]!), counts[d0]!, r0, r1, level + 1, p0, p1, out);
    return;
  }
  const c0 = counts[d0]!;
  const c1 = counts[d1]!;
  const keys1 = keep(keys, n, shift, mask, d1, c1);
  selectKeys(keep(keys, n, shift, mask, d0, c0), c0, r0, r0, level + 1, p0, p0, out);
  const low = out[0]!;
  selectKeys(keys1, c1, r1, r1, level + 1, p1, p1, out);
  out[0] = low;
}

function keep(keys: Int32Array, n: number, shift: number, mask: number, digit: number, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0, w = 0; i < n; i++) {
    const k = keys[i]!;
    if (((k >>> shift) & mask) === digit) out[w++] = k;
  }
  return out;
}

const selected = new Int32Array(2);

/**
 * The values of ranks k0 <= k1 (0-based) among the first `n` values of
 * `buf` (no NaN), by radix selection on the float32 bit patterns, O(n),
 * `buf` unchanged. Writes [v0, v1] into `out`. The first digit is taken
 * from the bits directly, so no key array of n values is made.
 */
function selectTwo(buf: Float32Array, n: number, k0: number, k1: number, out: Float64Array): void {
  const bits = new Int32Array(buf.buffer, buf.byteOffset, n);
  const shift = SHIFTS[0]!;
  // Four interleaved histograms: market data piles into a few digits, and
  // back-to-back increments of one counter would wait for each other.
  quad.fill(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    quad[orderKey(bits[i]!) >>> shift]!++;
    quad[2048 + (orderKey(bits[i + 1]!) >>> shift)]!++;
    quad[4096 + (orderKey(bits[i + 2]!) >>> shift)]!++;
    quad[6144 + (orderKey(bits[i + 3]!) >>> shift)]!++;
  }
  for (; i < n; i++) quad[orderKey(bits[i]!) >>> shift]!++;
  for (let d = 0; d < 2048; d++) counts[d] = quad[d]! + quad[2048 + d]! + quad[4096 + d]! + quad[6144 + d]!;
  const [d0, r0] = digitOf(k0);
  const [d1, r1] = digitOf(k1);
  const c0 = counts[d0]!;
  const c1 = counts[d1]!;
  // One spare slot: keys are written unconditionally and kept by advancing the cursor (no branch).
  const keys0 = new Int32Array(c0 + 1);
  const keys1 = d1 === d0 ? keys0 : new Int32Array(c1 + 1);
  if (d0 === d1) {
    for (let j = 0, w = 0; j < n; j++) {
      const k = orderKey(bits[j]!);
      keys0[w] = k;
      w += (k >>> shift) === d0 ? 1 : 0;
    }
  } else {
    for (let j = 0, w0 = 0, w1 = 0; j < n; j++) {
      const k = orderKey(bits[j]!);
      const d = k >>> shift;
      keys0[w0] = k;
      w0 += d === d0 ? 1 : 0;
      keys1[w1] = k;
      w1 += d === d1 ? 1 : 0;
    }
  }
  if (d0 === d1) selectKeys(keys0, c0, r0, r1, 1, d0 << shift, d1 << shift, selected);
  else {
    selectKeys(keys0, c0, r0, r0, 1, d0 << shift, d0 << shift, selected);
    const low = selected[0]!;
    selectKeys(keys1, c1, r1, r1, 1, d1 << shift, d1 << shift, selected);
    selected[0] = low;
  }
  out[0] = keyValue(selected[0]!);
  out[1] = keyValue(selected[1]!);
}

const middle = new Float64Array(2);

/**
 * Median of the first `n` values of a float32 buffer (no NaN among them), as
 * `medianInPlace` computes it (the mean of the two middle values, in float64,
 * for even counts), without reordering `buf`. NaN when n is 0.
 */
export function medianFloat32(buf: Float32Array, n: number): number {
  if (n === 0) return NaN;
  const k = n >>> 1;
  const k0 = n % 2 === 1 ? k : k - 1;
  if (!(n >= SAMPLED_MIN && selectTwoSampled(buf, n, k0, k, middle))) selectTwo(buf, n, k0, k, middle);
  return n % 2 === 1 ? middle[1]! : (middle[0]! + middle[1]!) / 2;
}

/** Below this many values the radix selection is as fast as sampling. */
const SAMPLED_MIN = 8192;
/** Sample size of the sampled selection, and the half-width (in sample ranks) of the band it keeps. */
const SAMPLE = 4096;
const SAMPLE_HALF_BAND = 160;
const sample = new Float64Array(SAMPLE);
let band = new Float32Array(0);

/**
 * Floyd-Rivest style selection of ranks k0 <= k1 (0-based, k1 - k0 <= 1)
 * in one pass: two bounds are taken from an evenly spaced sample, so that
 * both ranks fall between them with near certainty; the pass counts the
 * values below the lower bound and equal to either bound, and copies those
 * strictly between (a few percent), among which the ranks are then
 * selected. Counting ties at the bounds keeps discrete columns (counts,
 * flags) from swelling the band. Returns false, with `out` unspecified,
 * when the bounds miss a rank or the band outgrows its buffer: the caller
 * then selects exactly by radix. The result never depends on the sample,
 * only the speed does.
 */
function selectTwoSampled(buf: Float32Array, n: number, k0: number, k1: number, out: Float64Array): boolean {
  const step = n / SAMPLE;
  for (let i = 0; i < SAMPLE; i++) sample[i] = buf[Math.floor(i * step + step / 2)]!;
  const at = Math.floor(((k0 + k1) / 2 / n) * SAMPLE);
  const loRank = at - SAMPLE_HALF_BAND;
  const hiRank = at + SAMPLE_HALF_BAND;
  const lo = loRank < 0 ? -Infinity : kthOfSample(loRank);
  const hi = hiRank >= SAMPLE ? Infinity : kthOfSample(hiRank);
  const cap = Math.max(4 * BAND_CHUNK, Math.floor(n / 8));
  if (band.length < cap) band = new Float32Array(cap);
  const b = band;
  let below = 0;
  let atLo = 0;
  let atHi = 0;
  let m = 0;
  // Branch-free: near the median the comparisons are coin flips, and
  // mispredicted branches made this loop twice as slow. Comparisons count
  // as 0/1 (`| 0`); every value is written to the band and kept by
  // advancing the cursor, so the capacity is checked once per chunk.
  for (let i0 = 0; i0 < n; i0 += BAND_CHUNK) {
    if (m + BAND_CHUNK > cap) return false;
    const i1 = Math.min(n, i0 + BAND_CHUNK);
    for (let i = i0; i < i1; i++) {
      const v = buf[i]!;
      below += ((v < lo) as unknown as number) | 0;
      atLo += ((v === lo) as unknown as number) | 0;
      atHi += ((v === hi) as unknown as number) | 0;
      b[m] = v;
      m += ((v > lo) as unknown as number) & ((v < hi) as unknown as number);
    }
  }
  if (lo === hi) atHi = 0; // one tie group, counted at lo
  // Ranks in order: below | = lo | strictly between (the band) | = hi | above.
  const where = (k: number): number => {
    const r = k - below;
    if (r < 0) return MISS;
    if (r < atLo) return AT_LO;
    if (r < atLo + m) return r - atLo; // rank inside the band
    if (r < atLo + m + atHi) return AT_HI;
    return MISS;
  };
  const w0 = where(k0);
  const w1 = where(k1);
  if (w0 === MISS || w1 === MISS) return false;
  if (w0 >= 0 && w1 >= 0) selectTwo(b, m, w0, w1, out);
  else if (w0 >= 0 || w1 >= 0) {
    const w = Math.max(w0, w1);
    selectTwo(b, m, w, w, pair);
    out[0] = w0 >= 0 ? pair[0]! : lo;
    out[1] = w1 >= 0 ? pair[0]! : hi;
  } else {
    out[0] = w0 === AT_LO ? lo : hi;
    out[1] = w1 === AT_LO ? lo : hi;
  }
  if (out[0] === 0) out[0] = 0; // -0 -> +0, as the radix selection gives
  if (out[1] === 0) out[1] = 0;
  return true;
}

const MISS = -3;
const AT_LO = -2;
const AT_HI = -1;
const pair = new Float64Array(2);
const BAND_CHUNK = 1024;

/** The value of rank `r` of the sample (reorders it; ranks are asked in increasing order, so earlier work is kept). */
function kthOfSample(r: number): number {
  selectKth(sample, r, 0, SAMPLE - 1);
  return sample[r]!;
}

/** JSON cannot hold NaN or infinities: fitted statistics travel as numbers, null (NaN) or "Infinity"/"-Infinity". */
export type EncodedNumber = number | null | 'Infinity' | '-Infinity';

export function encodeNumbers(values: ArrayLike<number>): EncodedNumber[] {
  const out: EncodedNumber[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out.push(Number.isNaN(v) ? null : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
  }
  return out;
}

export function decodeNumbers(values: readonly unknown[]): Float64Array | undefined {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === null) out[i] = NaN;
    else if (v === 'Infinity') out[i] = Infinity;
    else if (v === '-Infinity') out[i] = -Infinity;
    else return undefined;
  }
  return out;
}
