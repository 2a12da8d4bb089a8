import { EXACT_WORD_STRIDE, PACKED_WORD_STRIDE } from './hist-kernel.js';

/**
 * floor(y) for the packed bins' |y| < 2^51 (a bin holds q * 2^S + rows below
 * 2^53 with 2^S > rows >= 2, so |q| < 2^51; one row: |q| <= 2^20): adding and
 * subtracting 1.5 * 2^52 rounds y to the nearest integer exactly, one less
 * when that is above y. Equal to Math.floor there, which V8 compiled into
 * the scan's slowest step (measured 3x the rest of the loop).
 */
const ROUNDING_SHIFT = 6755399441055744;

/** Best split of one leaf; `feature < 0` means none beats min_gain_to_split. */
export class SplitCandidate {
  /** Children's score (the quantity compared; gain is it minus the parent's score). */
  score = -Infinity;
  gain = -Infinity;
  feature = -1;
  /** Value bins 0..bin go left. */
  bin = 0;
  nanLeft = false;
  /** Left child sums in scan units (gradient quanta or real gradient, hessian, rows). */
  leftG = 0;
  leftH = 0;
  leftCount = 0;

  reset(): void {
    this.score = -Infinity;
    this.gain = -Infinity;
    this.feature = -1;
  }
}

export interface SplitRules {
  lambdaL1: number;
  lambdaL2: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  minGainToSplit: number;
}

/**
 * How to read a histogram slot. Packed: each bin holds q * 2^S + c, decoded
 * to gradient quanta (times gradScale = real) and rows (hessian 1 per row).
 * Exact: gradient and hessian per bin; rows are estimated from the hessian
 * as LightGBM does (exact when unweighted, since the hessian is then 1).
 */
export interface HistogramFormat {
  packed: boolean;
  pow2S: number;
  gradScale: number;
}

/** The loss reduction term of a leaf: T(G)^2 / (H + lambda_l2), T soft-thresholding by lambda_l1. */
export function leafScore(g: number, h: number, l1: number, l2: number): number {
  const a = Math.abs(g) - l1;
  if (a <= 0) return 0;
  const d = h + l2;
  return d > 0 ? (a * a) / d : 0;
}

/** The leaf value minimising the regularised second-order loss (before shrinkage). */
export function leafOutput(g: number, h: number, l1: number, l2: number): number {
  const a = Math.abs(g) - l1;
  const d = h + l2;
  if (a <= 0 || !(d > 0)) return 0;
  return (-Math.sign(g) * a) / d;
}

/** Scratch arrays for one feature's decoded bins (256 value/NaN bins). */
export class SplitScratch {
  readonly g = new Float64Array(256);
  readonly h = new Float64Array(256);
  readonly c = new Float64Array(256);
}

/**
 * Scans the bins of features[first..end) in both missing-value directions and
 * keeps the best split in `out` (ties keep the earlier feature, bin and the
 * NaN-right scan, so the result does not depend on anything but the data).
 * The best of consecutive feature ranges, taken in order with a strictly
 * greater score, is the best of the whole range: threads search shares.
 */
export function findBestSplit(
  hist: Float64Array,
  slotOffset: number,
  format: HistogramFormat,
  features: Int32Array,
  first: number,
  end: number,
  numBins: Int32Array,
  parentG: number,
  parentH: number,
  parentCount: number,
  rules: SplitRules,
  scratch: SplitScratch,
  out: SplitCandidate,
): void {
  out.reset();
  const { lambdaL1: l1, lambdaL2: l2 } = rules;
  // A positive floor keeps every child's hessian (a denominator) above zero.
  const minH = Math.max(rules.minSumHessianInLeaf, Number.MIN_VALUE);
  const minC = Math.max(rules.minDataInLeaf, 1);
  const scale = format.gradScale;
  // Children's scores must beat the parent's plus min_gain_to_split.
  const parentScore = leafScore(parentG * scale, parentH, l1, l2);
  let best = parentScore + rules.minGainToSplit;
  const bg = scratch.g;
  const bh = scratch.h;
  const bc = scratch.c;
  const pow2S = format.pow2S;
  const invPow2S = 1 / pow2S;
  const countPerHessian = parentH > 0 ? parentCount / parentH : 0;
  for (let fi = first; fi < end; fi++) {
    const f = features[fi]!;
    const nb = numBins[f]!;
    const word = f >> 2;
    const lane = f & 3;
    if (format.packed) {
      // Decoded while scanning (no scratch): each bin is q * 2^S + rows, and the hessian is the row count,
      // so hl and cl are the same sum and the arithmetic below equals the general scan's.
      const base = slotOffset + word * PACKED_WORD_STRIDE + lane * 256;
      const tNaN = hist[base + nb]!;
      const qNaN = Math.floor(tNaN * invPow2S);
      const cNaN = tNaN - qNaN * pow2S;
      for (let pass = 0; pass < (cNaN > 0 ? 2 : 1); pass++) {
        let gl = pass ? qNaN : 0;
        let cl = pass ? cNaN : 0;
        const last = pass ? nb - 1 : nb;
        for (let t = 0; t < last; t++) {
          const x = hist[base + t]!;
          const y = x * invPow2S;
          let q = y + ROUNDING_SHIFT - ROUNDING_SHIFT;
          if (q > y) q -= 1;
          gl += q;
          cl += x - q * pow2S;
          if (cl < minC || cl < minH) continue;
          const cr = parentCount - cl;
          const hr = parentH - cl;
          if (cr < minC || hr < minH) break;
          let gain: number;
          if (l1 === 0) {
            const a = gl * scale;
            const b = (parentG - gl) * scale;
            gain = (a * a) / (cl + l2) + (b * b) / (hr + l2);
          } else {
            gain = leafScore(gl * scale, cl, l1, l2) + leafScore((parentG - gl) * scale, hr, l1, l2);
          }
          if (gain > best) {
            best = gain;
            out.score = gain;
            out.gain = gain - parentScore;
            out.feature = f;
            out.bin = t;
            out.nanLeft = pass === 1;
            out.leftG = gl;
            out.leftH = cl;
            out.leftCount = cl;
          }
        }
      }
      if (!(cNaN > 0) && out.feature === f) out.nanLeft = out.leftH >= parentH - out.leftH;
      continue;
    }
    const base = slotOffset + word * EXACT_WORD_STRIDE + lane * 512;
    for (let b = 0; b <= nb; b++) {
      bg[b] = hist[base + 2 * b]!;
      const h = hist[base + 2 * b + 1]!;
      bh[b] = h;
      bc[b] = Math.round(h * countPerHessian);
    }
    const hasMissing = bc[nb]! > 0;
    // Pass 0: missing values to the right; left takes value bins 0..t (t = nb - 1 leaves only NaN on the right).
    // Pass 1: missing values to the left, when this leaf has any.
    for (let pass = 0; pass < (hasMissing ? 2 : 1); pass++) {
      let gl = pass ? bg[nb]! : 0;
      let hl = pass ? bh[nb]! : 0;
      let cl = pass ? bc[nb]! : 0;
      const last = pass ? nb - 1 : nb;
      for (let t = 0; t < last; t++) {
        gl += bg[t]!;
        hl += bh[t]!;
        cl += bc[t]!;
        if (cl < minC || hl < minH) continue;
        const cr = parentCount - cl;
        const hr = parentH - hl;
        if (cr < minC || hr < minH) break;
        let gain: number;
        if (l1 === 0) {
          const a = gl * scale;
          const b = (parentG - gl) * scale;
          gain = (a * a) / (hl + l2) + (b * b) / (hr + l2);
        } else {
          gain = leafScore(gl * scale, hl, l1, l2) + leafScore((parentG - gl) * scale, hr, l1, l2);
        }
        if (gain > best) {
          best = gain;
          out.score = gain;
          out.gain = gain - parentScore;
          out.feature = f;
          out.bin = t;
          out.nanLeft = pass === 1;
          out.leftG = gl;
          out.leftH = hl;
          out.leftCount = cl;
        }
      }
    }
    if (!hasMissing && out.feature === f) {
      // No missing values here: send future ones to the side that saw more data.
      out.nanLeft = out.leftH >= parentH - out.leftH;
    }
  }
}
