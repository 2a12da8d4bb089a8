import type { Metric, Objective } from './gbdt-params.js';

/**
 * First and second derivatives of the loss at the current scores, as LightGBM
 * defines them: mse g = score - label, h = 1; huber g = the residual clipped
 * to +-delta, h = 1. Both are multiplied by the row weight when given.
 */
export function computeGradients(
  objective: Objective,
  delta: number,
  scores: Float64Array,
  labels: Float32Array,
  weights: Float32Array | undefined,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const n = labels.length;
  if (objective === 'mse') {
    for (let i = 0; i < n; i++) grad[i] = scores[i]! - labels[i]!;
  } else {
    for (let i = 0; i < n; i++) {
      const d = scores[i]! - labels[i]!;
      grad[i] = d > delta ? delta : d < -delta ? -delta : d;
    }
  }
  if (weights) {
    for (let i = 0; i < n; i++) {
      grad[i]! *= weights[i]!;
      hess[i] = weights[i]!;
    }
  } else {
    hess.fill(1);
  }
}

/** The starting score: the (weighted) mean label, LightGBM's boost_from_average. */
export function initialScore(labels: Float32Array, weights: Float32Array | undefined): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < labels.length; i++) {
    const wi = weights ? weights[i]! : 1;
    s += wi * labels[i]!;
    w += wi;
  }
  return w > 0 ? s / w : 0;
}

/** Weighted mean of the metric's per-row loss (rmse: the square root of the mean squared error). */
export function evaluateMetric(metric: Metric, delta: number, scores: Float64Array, labels: Float32Array, weights: Float32Array | undefined): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = scores[i]! - labels[i]!;
    const wi = weights ? weights[i]! : 1;
    let loss: number;
    if (metric === 'l1') loss = Math.abs(d);
    else if (metric === 'huber') loss = Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
    else loss = d * d;
    s += wi * loss;
    w += wi;
  }
  const mean = w > 0 ? s / w : NaN;
  return metric === 'rmse' ? Math.sqrt(mean) : mean;
}
