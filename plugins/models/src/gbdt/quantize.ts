import type { SeededRandom } from './seeded-random.js';

/** Gradient quanta and the shift that packs them with the row count, for `rows` training rows. */
export function packingFor(rows: number): { pow2S: number; levels: number } {
  // The row count lives in the low S bits; q * 2^S must stay within 2^52 over all rows.
  let S = 1;
  while (2 ** S <= rows) S++;
  const pow2S = 2 ** S;
  const levels = Math.min(2 ** 20, Math.floor(2 ** 52 / (Math.max(rows, 1) * pow2S)));
  return { pow2S, levels };
}

/**
 * packed[r] = q * 2^S + 1 with q the gradient in units of max|g| / levels,
 * stochastically rounded (unbiased), for the listed rows. Returns the unit.
 */
export function quantizeGradients(
  grad: Float64Array,
  rows: Int32Array,
  count: number,
  levels: number,
  pow2S: number,
  rng: SeededRandom,
  packed: Float64Array,
): number {
  let maxAbs = 0;
  for (let i = 0; i < count; i++) {
    const a = Math.abs(grad[rows[i]!]!);
    if (a > maxAbs) maxAbs = a;
  }
  const unit = maxAbs > 0 ? maxAbs / levels : 1;
  const inv = 1 / unit;
  // xorshift32 inline: one uniform per row per round.
  let x = rng.nextUint32() | 1;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) / 4294967296;
    packed[r] = Math.floor(grad[r]! * inv + u) * pow2S + 1;
  }
  return unit;
}
