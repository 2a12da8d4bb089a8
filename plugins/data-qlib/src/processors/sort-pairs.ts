/**
 * Sorts `keys[0..n)` ascending and applies the same moves to `pos`
 * (quicksort with insertion sort for short runs). Keys hold no NaN.
 * Used by cross-sectional ranking, where a date holds a few hundred values:
 * sorting (value, position) pairs once beats searching a sorted copy.
 */
export function sortPairs(keys: Float64Array, pos: Int32Array, n: number): void {
  quick(keys, pos, 0, n - 1);
}

function quick(k: Float64Array, p: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    if (k[mid]! < k[lo]!) swap(k, p, mid, lo);
    if (k[hi]! < k[lo]!) swap(k, p, hi, lo);
    if (k[hi]! < k[mid]!) swap(k, p, hi, mid);
    const pivot = k[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (k[i]! < pivot) i++;
      while (k[j]! > pivot) j--;
      if (i <= j) {
        swap(k, p, i, j);
        i++;
        j--;
      }
    }
    // Recurse into the smaller side to bound the stack.
    if (j - lo < hi - i) {
      quick(k, p, lo, j);
      lo = i;
    } else {
      quick(k, p, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const kv = k[i]!;
    const pv = p[i]!;
    let j = i - 1;
    while (j >= lo && k[j]! > kv) {
      k[j + 1] = k[j]!;
      p[j + 1] = p[j]!;
      j--;
    }
    k[j + 1] = kv;
    p[j + 1] = pv;
  }
}

function swap(k: Float64Array, p: Int32Array, i: number, j: number): void {
  const t = k[i]!;
  k[i] = k[j]!;
  k[j] = t;
  const u = p[i]!;
  p[i] = p[j]!;
  p[j] = u;
}
