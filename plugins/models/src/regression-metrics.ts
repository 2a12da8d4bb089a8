/** Mean squared error, weighted when weights are given (Float64 accumulation). */
export function meanSquaredError(pred: ArrayLike<number>, labels: Float32Array, weights?: Float32Array): number {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = pred[i]! - labels[i]!;
    const w = weights ? weights[i]! : 1;
    sum += w * d * d;
    wsum += w;
  }
  return wsum > 0 ? sum / wsum : NaN;
}
