import type { FitInfo, FitOptions, Logger, MatrixDataset, MatrixInput, Model, SerializedModel } from '../../../../core/index.js';
import { SeededRandom } from '../gbdt/seeded-random.js';
import { checkTree, CompiledForest, DEFAULT_LEFT_MASK, type ForestState, type TreeState } from '../import/forest.js';
import { checkMatrixDataset, checkMatrixInput } from '../matrix-checks.js';
import { checkModelFile, modelInputError } from '../model-error.js';
import { binRowsXgb, computeCuts } from './xgb-cuts.js';
import { xgbConfig, type XgbConfig, type XgbMetric } from './xgb-params.js';
import { buildXgbHistogram } from './xgb-hist-kernel.js';
import { startXgbWorkers, xgbThreads } from './xgb-threads.js';
import { histogramSize, maxLiveHistograms, XgbTreeGrower, type HistogramArena } from './xgb-tree-grower.js';

export const XGB_CLASS = 'XGBModel';
export const XGB_FORMAT_VERSION = 1;

const f32 = Math.fround;
/** Largest shared histogram arena threads may use; beyond, one thread with a growing arena. */
const MAX_SHARED_ARENA_BYTES = 1024 * 2 ** 20;

export interface XgbState {
  cols: number;
  base_score: number;
  /** Every tree trained (XGBoost keeps the rounds after the best one too). */
  trees: TreeState[];
  /** Loss change of every split, per tree (feature importance "gain"). */
  loss_change: number[][];
  /** 0-based best round of early stopping (the last round without it). */
  best_iteration: number;
  feature_names?: string[];
}

/**
 * Qlib's XGBModel: XGBoost 1.7 `hist` boosting of squared error, as Qlib
 * runs it (`xgb.train(params, num_boost_round=1000, early_stopping_rounds=50,
 * evals=[train, valid])`, then `Booster.predict` with every tree). Margins,
 * gradients and leaf values are float32 as in XGBoost, so on features whose
 * distinct values fit in max_bin the trees are XGBoost's.
 */
export class XGBModel implements Model {
  readonly className = XGB_CLASS;
  private readonly config: XgbConfig;
  private state: XgbState | null = null;
  private forest: CompiledForest | null = null;

  constructor(
    private readonly kwargs: Readonly<Record<string, unknown>> = {},
    private readonly logger?: Logger,
  ) {
    this.config = xgbConfig(kwargs, XGB_CLASS);
  }

  static fromJSON(serialized: SerializedModel, logger?: Logger): XGBModel {
    checkModelFile(serialized, XGB_CLASS, XGB_FORMAT_VERSION);
    const model = new XGBModel(serialized.kwargs ?? {});
    Object.assign(model, { logger });
    const s = serialized.state as XgbState | null;
    if (s === null) return model;
    if (!s || typeof s !== 'object' || !Number.isInteger(s.cols) || s.cols < 1 || typeof s.base_score !== 'number' || !Array.isArray(s.trees) || !Number.isInteger(s.best_iteration)) {
      throw modelInputError(`${XGB_CLASS} model file: state must hold cols, base_score, trees and best_iteration`);
    }
    s.trees.forEach((t, i) => {
      const problem = checkTree(t, s.cols);
      if (problem) throw modelInputError(`${XGB_CLASS} model file: tree ${i}: ${problem}`);
    });
    model.state = { ...s, loss_change: Array.isArray(s.loss_change) ? s.loss_change : s.trees.map(() => []) };
    return model;
  }

  get fitted(): boolean {
    return this.state !== null;
  }

  /** Trees trained, and the 0-based best iteration (early stopping). */
  get numTrees(): number {
    return this.state?.trees.length ?? 0;
  }

  get bestIteration(): number {
    this.requireFitted();
    return this.state!.best_iteration;
  }

  /** The trees as XGBoost's JSON model would hold them (split feature, split value, default left, loss change). */
  get trees(): readonly TreeState[] {
    this.requireFitted();
    return this.state!.trees;
  }

  lossChanges(tree: number): readonly number[] {
    this.requireFitted();
    return this.state!.loss_change[tree] ?? [];
  }

  async fit(train: MatrixDataset, valid?: MatrixDataset, options: FitOptions = {}): Promise<FitInfo> {
    checkMatrixDataset(train, `${XGB_CLASS}.fit train`);
    if (valid) checkMatrixDataset(valid, `${XGB_CLASS}.fit valid`, train.cols);
    if (options.featureNames && options.featureNames.length !== train.cols) {
      throw modelInputError(`${XGB_CLASS}.fit: featureNames has ${options.featureNames.length} names but the data has ${train.cols} columns`);
    }
    const cfg = this.config;
    if (this.kwargs['n_estimators'] !== undefined) {
      this.logger?.warn(
        `n_estimators (${String(this.kwargs['n_estimators'])}) is not used, as in Qlib (xgb.train ignores it); the round count is num_boost_round (${cfg.numRounds}) with early stopping`,
      );
    }
    const { rows, cols } = train;
    const started = Date.now();
    const cuts = computeCuts(train.features, rows, cols, cfg.maxBin, train.weights);
    const histSize = histogramSize(cuts);
    // Threads share a fixed arena of histogram slots, so they need its bound to fit in memory.
    const maxSlots = maxLiveHistograms(cfg, rows);
    let threads = xgbThreads(cfg.nthread);
    if (threads > 1 && maxSlots * histSize * 8 > MAX_SHARED_ARENA_BYTES) {
      this.logger?.info(`${XGB_CLASS}: ${maxSlots} histograms of ${histSize * 8} bytes would exceed the shared arena limit; training on one thread`);
      threads = 1;
    }
    const alloc = (bytes: number): ArrayBufferLike => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const bins = new Uint16Array(alloc(rows * cols * 2));
    binRowsXgb(train.features, rows, cuts, bins);
    let dense = true;
    for (let i = 0; i < train.features.length && dense; i++) if (train.features[i] !== train.features[i]) dense = false;
    const grad = new Float64Array(alloc(rows * 8));
    const hess = new Float64Array(alloc(rows * 8));
    const order = new Int32Array(alloc(rows * 4));
    const features = new Int32Array(alloc(cols * 4));
    const offset = new Int32Array(alloc(cols * 4));
    for (let f = 0; f < cols; f++) offset[f] = 2 * cuts.ptr[f]!;
    const hists: HistogramArena = {
      arena: new Float64Array(alloc((threads > 1 ? maxSlots : Math.min(maxSlots, 8)) * histSize * 8)),
      growable: threads === 1,
      build: (start, end, slot, nf) => buildXgbHistogram(bins, cols, order, start, end, grad, hess, hists.arena, slot, features, offset, 0, nf),
    };
    const workers = threads > 1 ? await startXgbWorkers(threads - 1, { bins, cols, order, grad, hess, arena: hists.arena, features, offset }, this.logger) : null;
    if (workers) hists.build = workers.build;
    const rng = new SeededRandom(cfg.seed);
    const grower = new XgbTreeGrower({ rows, cols, bins, cuts, grad, hess, dense, order, features }, cfg, rng, hists);

    const margin = new Float32Array(rows).fill(cfg.baseScore);
    const validMargin = valid ? new Float32Array(valid.rows).fill(cfg.baseScore) : null;
    const trees: TreeState[] = [];
    const lossChange: number[][] = [];
    const trainLoss: number[] = [];
    const validLoss: number[] = [];
    const earlyStopping = valid && cfg.earlyStoppingRounds > 0 ? cfg.earlyStoppingRounds : 0;
    let bestIteration = -1;
    let bestScore = NaN;
    let sinceBest = 0;
    let stopReason = 'num_boost_round';
    try {
    for (let round = 0; round < cfg.numRounds; round++) {
      options.signal?.throwIfAborted();
      squaredErrorGradients(margin, train.labels, train.weights, grad, hess);
      if (cfg.subsample < 1) {
        // XGBoost keeps each row with probability `subsample` and zeroes the others' gradients.
        for (let r = 0; r < rows; r++) {
          if (!(rng.nextFloat() < cfg.subsample)) {
            grad[r] = 0;
            hess[r] = 0;
          }
        }
      }
      const grown = grower.grow();
      trees.push(grown.tree);
      lossChange.push(grown.lossChange);
      const order = grower.order;
      for (const { start, count, value } of grown.leafRanges) {
        for (let i = start, end = start + count; i < end; i++) {
          const r = order[i]!;
          margin[r] = f32(margin[r]! + value);
        }
      }
      trainLoss.push(evaluate(cfg.metric, margin, train.labels, train.weights));
      let vLoss: number | undefined;
      if (valid && validMargin) {
        addTree(grown.tree, valid.features, valid.rows, cols, validMargin);
        vLoss = evaluate(cfg.metric, validMargin, valid.labels, valid.weights);
        validLoss.push(vLoss);
        // XGBoost's EarlyStopping: the first round sets the best; later ones must be strictly lower.
        if (round === 0 || bestScore > vLoss) {
          bestScore = vLoss;
          bestIteration = round;
          sinceBest = 0;
        } else sinceBest++;
      }
      options.onIteration?.(round, trainLoss[round]!, vLoss);
      if ((round + 1) % 20 === 0 || round === 0) {
        const line = `[${round}] train-${cfg.metric}:${trainLoss[round]}${vLoss === undefined ? '' : ` valid-${cfg.metric}:${vLoss}`}`;
        if (cfg.verbosity >= 2) this.logger?.info(`${XGB_CLASS} ${line}`);
        else this.logger?.debug(`${XGB_CLASS} ${line}`);
      }
      if (earlyStopping && sinceBest >= earlyStopping) {
        stopReason = 'early_stopping';
        break;
      }
      // Let timers (lease heartbeats, progress) run between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    } finally {
      await workers?.close();
    }
    const rounds = trees.length;
    if (bestIteration < 0) bestIteration = rounds - 1;
    const kept = cfg.predictTrees === 'best' ? bestIteration + 1 : rounds;
    this.state = {
      cols,
      base_score: cfg.baseScore,
      trees: trees.slice(0, kept),
      loss_change: lossChange.slice(0, kept),
      best_iteration: bestIteration,
      ...(options.featureNames ? { feature_names: [...options.featureNames] } : {}),
    };
    this.forest = null;
    return {
      rounds,
      bestRound: bestIteration + 1,
      treesKept: kept,
      trainLoss,
      validLoss,
      metric: cfg.metric,
      stopReason,
      threads: workers ? threads : 1,
      seconds: (Date.now() - started) / 1000,
    };
  }

  predict(input: MatrixInput): Float32Array {
    this.requireFitted();
    checkMatrixInput(input, `${XGB_CLASS}.predict`, this.state!.cols);
    if (!this.forest) this.forest = new CompiledForest(this.forestState());
    return Float32Array.from(this.forest.predictDouble(input.features, input.rows, input.cols));
  }

  /** Per-feature importance over the kept trees: number of splits ("weight") or total loss change ("total_gain"). */
  featureImportance(type: 'weight' | 'total_gain' = 'weight'): Float64Array {
    this.requireFitted();
    const s = this.state!;
    const out = new Float64Array(s.cols);
    s.trees.forEach((t, i) => t.split_feature.forEach((f, k) => (out[f] += type === 'total_gain' ? (s.loss_change[i]?.[k] ?? 0) : 1)));
    return out;
  }

  toJSON(): SerializedModel {
    return { format: 'qonline-model', version: XGB_FORMAT_VERSION, class: XGB_CLASS, kwargs: { ...this.kwargs }, state: this.state ? structuredClone(this.state) : null };
  }

  private forestState(): ForestState {
    const s = this.state!;
    return {
      format: 'xgboost',
      objective: 'reg:squarederror',
      transform: 'identity',
      sigmoid: 1,
      base_margin: s.base_score,
      cols: s.cols,
      ...(s.feature_names ? { feature_names: s.feature_names } : {}),
      trees: s.trees,
    };
  }

  private requireFitted(): void {
    if (!this.state) throw modelInputError(`${XGB_CLASS}: the model is not fitted yet (call fit() or restore a fitted model)`);
  }
}

/** reg:squarederror in float32: g = (p - y) * w, h = w. */
function squaredErrorGradients(margin: Float32Array, labels: Float32Array, weights: Float32Array | undefined, grad: Float64Array, hess: Float64Array): void {
  for (let i = 0; i < margin.length; i++) {
    const w = weights ? weights[i]! : 1;
    grad[i] = f32(f32(margin[i]! - labels[i]!) * w);
    hess[i] = w;
  }
}

/** XGBoost's rmse / mae: float32 row terms times the weight, summed in float64. */
function evaluate(metric: XgbMetric, margin: Float32Array, labels: Float32Array, weights?: Float32Array): number {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < margin.length; i++) {
    const w = weights ? weights[i]! : 1;
    const d = f32(labels[i]! - margin[i]!);
    sum += f32((metric === 'rmse' ? f32(d * d) : Math.abs(d)) * w);
    wsum += w;
  }
  const mean = wsum === 0 ? sum : sum / wsum;
  return metric === 'rmse' ? Math.sqrt(mean) : mean;
}

/** Adds one tree's leaf values to float32 margins (x < split value goes left; NaN the default way). */
function addTree(tree: TreeState, features: Float32Array, rows: number, cols: number, margin: Float32Array): void {
  const splits = tree.split_feature.length;
  for (let r = 0; r < rows; r++) {
    let node = splits > 0 ? 0 : -1;
    while (node >= 0) {
      const x = features[r * cols + tree.split_feature[node]!]!;
      const left = x !== x ? (tree.decision[node]! & DEFAULT_LEFT_MASK) !== 0 : x < tree.threshold[node]!;
      node = left ? tree.left[node]! : tree.right[node]!;
    }
    margin[r] = f32(margin[r]! + tree.leaf_value[~node]!);
  }
}
