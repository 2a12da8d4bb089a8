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
