/** Row-major matrix input for a model. */
export interface MatrixInput {
  /** Row-major, `rows * cols` long; NaN means missing. */
  features: Float32Array;
  rows: number;
  cols: number;
}

export interface MatrixDataset extends MatrixInput {
  labels: Float32Array;
  weights?: Float32Array;
}

export interface FitOptions {
  /** Called after each boosting round / iteration. */
  onIteration?: (iteration: number, trainLoss: number, validLoss?: number) => void;
  signal?: AbortSignal;
  /** Column names, for feature importance and model files. */
  featureNames?: string[];
}

export interface FitInfo {
  rounds: number;
  bestRound: number;
  trainLoss: number[];
  validLoss: number[];
  [extra: string]: unknown;
}

/** The versioned on-disk form of a model; `class` names the model component. */
export interface SerializedModel {
  format: 'qonline-model';
  version: number;
  class: string;
  kwargs: Record<string, unknown>;
  state: unknown;
}

/** The matrix-level model API every model plugin implements. */
export interface Model {
  readonly className: string;
  fit(train: MatrixDataset, valid?: MatrixDataset, options?: FitOptions): Promise<FitInfo>;
  predict(input: MatrixInput): Float32Array;
  toJSON(): SerializedModel;
}
