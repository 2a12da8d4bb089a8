/**
 * Histogram building, the hot loop of training. Bins are row-major bytes read
 * four features at a time (one 32-bit word); a histogram slot holds 256 bins
 * per feature. This file is also loaded by the worker threads, so it imports
 * nothing.
 *
 * Packed mode: one float64 per bin accumulates `q * 2^S + 1` per row (q the
 * integer-quantised gradient), so a single add counts rows and sums
 * gradients exactly (all partial sums are integers below 2^53).
 * Exact mode: two float64 per bin, gradient and hessian.
 */

/** Doubles per feature word (4 features x 256 bins) in a packed slot. */
export const PACKED_WORD_STRIDE = 1024;
/** Doubles per feature word in an exact slot (4 features x 256 bins x {g, h}). */
export const EXACT_WORD_STRIDE = 2048;

export function buildPackedHistogram(
  bins: Uint32Array,
  wordsPerRow: number,
  order: Int32Array,
  start: number,
  end: number,
  packed: Float64Array,
  hist: Float64Array,
  slotOffset: number,
  words: Int32Array | null,
  w0: number,
  w1: number,
): void {
  clearWords(hist, slotOffset, words, w0, w1, PACKED_WORD_STRIDE);
  if (words === null) {
    // Every word from w0 to w1: no indirection (the common case, all features in play).
    for (let i = start; i < end; i++) {
      const r = order[i]!;
      const v = packed[r]!;
      const base = r * wordsPerRow;
      for (let k = w0, o = slotOffset + w0 * PACKED_WORD_STRIDE; k < w1; k++, o += PACKED_WORD_STRIDE) {
        const w = bins[base + k]!;
        hist[o + (w & 255)] += v;
        hist[o + 256 + ((w >>> 8) & 255)] += v;
        hist[o + 512 + ((w >>> 16) & 255)] += v;
        hist[o + 768 + (w >>> 24)] += v;
      }
    }
    return;
  }
  for (let i = start; i < end; i++) {
    const r = order[i]!;
    const v = packed[r]!;
    const base = r * wordsPerRow;
    for (let j = w0; j < w1; j++) {
      const k = words[j]!;
      const w = bins[base + k]!;
      const o = slotOffset + k * PACKED_WORD_STRIDE;
      hist[o + (w & 255)] += v;
      hist[o + 256 + ((w >>> 8) & 255)] += v;
      hist[o + 512 + ((w >>> 16) & 255)] += v;
      hist[o + 768 + (w >>> 24)] += v;
    }
  }
}

export function buildExactHistogram(
  bins: Uint32Array,
  wordsPerRow: number,
  order: Int32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  hist: Float64Array,
  slotOffset: number,
  words: Int32Array | null,
  w0: number,
  w1: number,
): void {
  clearWords(hist, slotOffset, words, w0, w1, EXACT_WORD_STRIDE);
  for (let i = start; i < end; i++) {
    const r = order[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const base = r * wordsPerRow;
    for (let j = w0; j < w1; j++) {
      const k = words === null ? j : words[j]!;
      const w = bins[base + k]!;
      const o = slotOffset + k * EXACT_WORD_STRIDE;
      let b = o + ((w & 255) << 1);
      hist[b] += g;
      hist[b + 1] += h;
      b = o + 512 + (((w >>> 8) & 255) << 1);
      hist[b] += g;
      hist[b + 1] += h;
      b = o + 1024 + (((w >>> 16) & 255) << 1);
      hist[b] += g;
      hist[b + 1] += h;
      b = o + 1536 + ((w >>> 24) << 1);
      hist[b] += g;
      hist[b + 1] += h;
    }
  }
}

/** Zeroes the listed words of a slot (all words from w0 to w1 when `words` is null). */
export function clearWords(hist: Float64Array, slotOffset: number, words: Int32Array | null, w0: number, w1: number, stride: number): void {
  if (words === null) {
    hist.fill(0, slotOffset + w0 * stride, slotOffset + w1 * stride);
    return;
  }
  for (let j = w0; j < w1; j++) {
    const o = slotOffset + words[j]! * stride;
    hist.fill(0, o, o + stride);
  }
}

/** hist[parent] -= hist[child] over the listed words (all words from w0 to w1 when `words` is null): the sibling's histogram. */
export function subtractHistogram(
  hist: Float64Array,
  parentOffset: number,
  childOffset: number,
  words: Int32Array | null,
  w0: number,
  w1: number,
  wordStride: number,
): void {
  for (let j = w0; j < w1; j++) {
    const k = words === null ? j : words[j]!;
    const p = parentOffset + k * wordStride;
    const c = childOffset + k * wordStride;
    for (let i = 0; i < wordStride; i++) hist[p + i] = hist[p + i]! - hist[c + i]!;
  }
}
