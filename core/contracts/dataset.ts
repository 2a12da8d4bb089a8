/**
 * Handler output for a date range, date-major (rows sorted by date then
 * instrument). Features are row-major so they feed models directly.
 */
export interface HandlerFrame {
  rows: number;
  dates: string[];
  instruments: string[];
  rowDate: Int32Array;
  rowInst: Int32Array;
  featureNames: string[];
  /** Row-major `rows * featureNames.length`. */
  features: Float32Array;
  labelNames: string[];
  /** Row-major `rows * labelNames.length` (NaN where unknown). */
  labels: Float32Array;
}

export type FetchMode = 'learn' | 'infer';

export interface Processor {
  readonly name: string;
  /** True when the processor also applies at inference (Qlib's infer processors). */
  readonly forInfer: boolean;
  /** Learns parameters from the fit window's frame (no-op for stateless ones). */
  fit(frame: HandlerFrame): void;
  /** Returns the processed frame (may drop rows; may reuse the input's arrays). */
  apply(frame: HandlerFrame): HandlerFrame;
  /** Fitted parameters, JSON; restored with `load`. */
  state(): unknown;
  load(state: unknown): void;
}

export interface Handler {
  readonly featureNames: string[];
  readonly labelNames: string[];
  /**
   * Processed rows for [start, end]. `learn` applies infer + learn processors
   * (training data), `infer` only infer processors.
   */
  fetch(start: string, end: string | null, mode: FetchMode): Promise<HandlerFrame>;
  /** Fits the processors on the fit window (idempotent). */
  setup(): Promise<void>;
  processorState(): unknown;
  loadProcessorState(state: unknown): void;
}

export interface Dataset {
  readonly handler: Handler;
  readonly segments: Record<string, [string, string | null]>;
  prepare(segment: string | [string, string | null], mode?: FetchMode): Promise<HandlerFrame>;
}
