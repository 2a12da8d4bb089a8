import type { ExprMode } from '../expr/index.js';
import type { FeatureSeries } from '../storage/index.js';

/**
 * Messages between the provider and its feature worker threads. The version
 * guards against a stale dist/ (a worker built from other sources).
 */
export const FEATURE_PROTOCOL_VERSION = 2;

export interface FeatureWorkerData {
  protocol: number;
  uri: string;
  freq: string;
}

/** One instrument to evaluate. */
export interface FeatureJob {
  code: string;
  /** Expressions to evaluate together, in result order. */
  exprs: string[];
  /** Fields the worker reads from the .bin files itself. */
  read: string[];
  /** The series the provider already holds (start, length and the fields the expressions need), or null. */
  have: { start: number; length: number; fields: [string, Float32Array][] } | null;
  /** Expression semantics (default when absent). */
  mode?: ExprMode;
}

export interface FeatureJobResult {
  code: string;
  /** The fields read for `read`, as stored (the provider merges them into its own series). */
  loaded: [string, FeatureSeries | null][];
  /** The evaluated series' calendar start and length. */
  start: number;
  length: number;
  /** One array per expression; null when the instrument has no rows. */
  values: Float32Array[] | null;
}

export interface SerializedError {
  code: string;
  message: string;
  details?: string[];
  hint?: string;
}

export type ToFeatureWorker = { id: number; jobs: FeatureJob[] };

export type FromFeatureWorker =
  | { ready: true; protocol: number }
  | { id: number; results: FeatureJobResult[] }
  | { id: number; error: SerializedError };
