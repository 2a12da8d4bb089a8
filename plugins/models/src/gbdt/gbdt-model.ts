import type { FitInfo, FitOptions, Logger, MatrixDataset, MatrixInput, Model, SerializedModel } from '../../../../core/index.js';
import { checkMatrixDataset, checkMatrixInput } from '../matrix-checks.js';
import { checkModelFile, modelInputError } from '../model-error.js';
import { binRows, computeBinMapper, wordsPerRow, type BinMapper, type BinnedRows } from './bin-mapper.js';
import { processBinCache } from './bin-sample-cache.js';
import { gbdtConfig, type GbdtConfig } from './gbdt-params.js';
import { EXACT_WORD_STRIDE, PACKED_WORD_STRIDE } from './hist-kernel.js';
import { acquireWorkers, binRowsOn, NodeRunner, releaseWorkers, usableThreads, withWorkerExit, type TrainingBuffers, type WorkerTeam } from './hist-threads.js';
import { computeGradients, evaluateMetric, initialScore } from './objective.js';
import { packingFor, quantizeGradients } from './quantize.js';
import { SeededRandom } from './seeded-random.js';
import { deserializeTree, leafOfBinnedRow, leafOfRow, serializeTree, type SerializedTree, type Tree } from './tree.js';
import { TreeBuilder, type TrainingData } from './tree-builder.js';
import { FlatForest } from './flat-forest.js';

export const GBDT_CLASS = 'GBDT';
export const GBDT_FORMAT_VERSION = 1;

/** Fewer gradient levels than this and split search switches to exact histograms. */
const MIN_QUANTIZATION_LEVELS = 64;

export interface GbdtState {
  cols: number;
  objective: string;
  init_score: number;
  /** Trees kept (up to the best round when early stopping ran). */
  trees: SerializedTree[];
  feature_names?: string[];
}

export type ImportanceType = 'split' | 'gain';

/**
 * Histogram gradient-boosted regression trees, LightGBM style: quantile bins,
 * leaf-wise growth, histogram subtraction, missing values with a learned
 * direction, bagging and feature sampling from one seed.
 */
export class GBDTModel implements Model {
  readonly className = GBDT_CLASS;
  private readonly config: GbdtConfig;
  private trees: Tree[] = [];
  private initScore = 0;
  private cols = -1;
  private featureNames?: string[];
  private forest: FlatForest | null = null;

  constructor(
    private readonly kwargs: Readonly<Record<string, unknown>> = {},
    private readonly logger?: Logger,
  ) {
    this.config = gbdtConfig(kwargs, GBDT_CLASS);
  }

  static fromJSON(serialized: SerializedModel, logger?: Logger): GBDTModel {
    checkModelFile(serialized, GBDT_CLASS, GBDT_FORMAT_VERSION);
    const model = new GBDTModel(serialized.kwargs ?? {}, logger);
    const s = serialized.state as GbdtState | null;
    if (s === null) return model;
    if (!s || typeof s !== 'object' || !Number.isInteger(s.cols) || s.cols < 1 || typeof s.init_score !== 'number' || !Array.isArray(s.trees)) {
      throw modelInputError(`${GBDT_CLASS} model file: state must hold cols, init_score and trees`);
    }
    const trees: Tree[] = [];
    s.trees.forEach((t, i) => {
      const tree = deserializeTree(t, s.cols);
      if (typeof tree === 'string') throw modelInputError(`${GBDT_CLASS} model file: tree ${i}: ${tree}`);
      trees.push(tree);
    });
    model.trees = trees;
    model.initScore = s.init_score;
    model.cols = s.cols;
    if (s.feature_names) model.featureNames = [...s.feature_names];
    return model;
  }

  get fitted(): boolean {
    return this.cols > 0;
  }

  get numTrees(): number {
    return this.trees.length;
  }

  /** Per-feature importance over the kept trees: number of splits, or total loss reduction. */
  featureImportance(type: ImportanceType = 'split'): Float64Array {
    this.requireFitted();
    const out = new Float64Array(this.cols);
    for (const t of this.trees) {
      for (let k = 0; k < t.splitFeature.length; k++) out[t.splitFeature[k]!] += type === 'gain' ? t.splitGain[k]! : 1;
    }
    return out;
  }

  async fit(train: MatrixDataset, valid?: MatrixDataset, options: FitOptions = {}): Promise<FitInfo> {
    checkMatrixDataset(train, `${GBDT_CLASS}.fit train`);
    if (valid) checkMatrixDataset(valid, `${GBDT_CLASS}.fit valid`, train.cols);
    if (options.featureNames && options.featureNames.length !== train.cols) {
      throw modelInputError(`${GBDT_CLASS}.fit: featureNames has ${options.featureNames.length} names but the data has ${train.cols} columns`);
    }
    const cfg = this.config;
    const n = train.rows;
    const cols = train.cols;
    const started = Date.now();

    const threads = usableThreads(cfg.numThreads, n * cols);
    const shared = threads > 1;
    const alloc = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    // Workers start (or the previous fit's wake up) while the bins are computed.
    const teamStarting = shared ? acquireWorkers(threads - 1, this.logger) : null;
    let team: WorkerTeam | null = null;
    let training = false;
    try {
      const mapper = computeBinMapper(train.features, n, cols, cfg.maxBin, cfg.binSampleCount, cfg.seed, processBinCache);
      if (n <= cfg.binSampleCount) this.logger?.debug(`GBDT: bins ${processBinCache.lastSource === 'merged' ? 'merged from the previous overlapping window' : 'sorted'} (${Date.now() - started} ms)`);
      team = teamStarting ? await teamStarting : null;
      const binned = binRows(train.features, n, mapper, alloc, team ? binRowsOn(team) : null);
      training = true;
      return await this.train(train, valid, options, mapper, binned, alloc, team, started);
    } catch (e) {
      // Once training starts the team is its runner's (closed there); before, it goes back here.
      if (!training) {
        team ??= teamStarting ? await teamStarting : null;
        if (team) releaseWorkers(team);
      }
      throw team ? await withWorkerExit(team, e) : e;
    }
  }

  private async train(
    train: MatrixDataset,
    valid: MatrixDataset | undefined,
    options: FitOptions,
    mapper: BinMapper,
    binned: BinnedRows,
    alloc: (bytes: number) => ArrayBufferLike,
    team: WorkerTeam | null,
    started: number,
  ): Promise<FitInfo> {
    const cfg = this.config;
    const n = train.rows;
    const cols = train.cols;
    const { rowMajor: bins, colMajor: colBins, hasNaN } = binned;
    const words = wordsPerRow(cols);
    const stride = words * 4;

    const bagging = cfg.baggingFreq > 0 && cfg.baggingFraction < 1;
    const bagSize = bagging ? Math.max(1, Math.round(n * cfg.baggingFraction)) : n;
    const weighted = train.weights !== undefined;
    const { pow2S, levels } = packingFor(bagSize);
    const packedMode = cfg.quantized && !weighted && levels >= MIN_QUANTIZATION_LEVELS;
    const wordStride = packedMode ? PACKED_WORD_STRIDE : EXACT_WORD_STRIDE;
    const slotSize = words * wordStride;
    const numSlots = TreeBuilder.slotCount(cfg, slotSize * 8);

    const grad = new Float64Array(alloc(n * 8));
    const hess = new Float64Array(alloc(n * 8));
    const packed = packedMode ? new Float64Array(alloc(n * 8)) : null;
    const order = new Int32Array(alloc(n * 4));
    const hist = new Float64Array(alloc(numSlots * slotSize * 8));
    const bins32 = new Uint32Array(bins.buffer, bins.byteOffset, bins.byteLength / 4);
    const scratch = new Int32Array(alloc(n * 4));
    const buffers: TrainingBuffers = { bins: bins32, wordsPerRow: words, order, grad, hess, packed, pow2S, hist, colBins, scratch, cols, numBins: mapper.numBins, rules: cfg };
    const runner = team ? NodeRunner.threaded(team, buffers) : NodeRunner.local(buffers);
    const format = { packed: packedMode, pow2S, gradScale: 1 };
    const data: TrainingData = {
      rows: n,
      cols,
      mapper,
      bins,
      stride,
      grad,
      hess,
      packed,
      order,
      hist,
      slotSize,
      numSlots,
      format,
      weighted,
      runner,
    };
    const builder = new TreeBuilder(data, cfg);

    // Features worth splitting on: more than one value bin, or missing values to separate.
    const usable: number[] = [];
    for (let f = 0; f < cols; f++) if (mapper.numBins[f]! > 1 || hasNaN[f]) usable.push(f);
    const allFeatures = Int32Array.from(usable);
    // All words in play (the usual case) go without the word list; otherwise only words holding a usable feature.
    const usableWords = Int32Array.from(new Set(usable.map((f) => f >> 2)));
    const allWords: Int32Array | null = usableWords.length === words ? null : usableWords;

    const init = initialScore(train.labels, train.weights);
    const scores = new Float64Array(n).fill(init);
    const validScores = valid ? new Float64Array(valid.rows).fill(init) : null;
    const bagRows = new Int32Array(n);
    for (let i = 0; i < n; i++) bagRows[i] = i;
    const inBag = bagging ? new Uint8Array(n) : null;
    const bagRng = new SeededRandom(cfg.baggingSeed);
    const featureRng = new SeededRandom(cfg.featureFractionSeed);
    const quantRng = new SeededRandom(cfg.seed * 31 + 17);

    const trees: Tree[] = [];
    const trainLoss: number[] = [];
    const validLoss: number[] = [];
    let bestRound = 0;
    let bestScore = Infinity;
    let stopReason = 'num_boost_round';
    const earlyStopping = valid && cfg.earlyStoppingRounds > 0 ? cfg.earlyStoppingRounds : 0;
    try {
      for (let round = 0; round < cfg.numRounds; round++) {
        options.signal?.throwIfAborted();
        computeGradients(cfg.objective, cfg.huberDelta, scores, train.labels, train.weights, grad, hess);
        if (bagging && round % cfg.baggingFreq === 0) {
          bagRows.set(bagRng.sampleSorted(n, bagSize));
          inBag!.fill(0);
          for (let i = 0; i < bagSize; i++) inBag![bagRows[i]!] = 1;
        }
        order.set(bagRows.subarray(0, bagSize));
        if (packed) format.gradScale = quantizeGradients(grad, order, bagSize, levels, pow2S, quantRng, packed);

        let features = allFeatures;
        let treeWords = allWords;
        let numTreeWords = allWords ? allWords.length : words;
        if (cfg.featureFraction < 1 && usable.length > 1) {
          const k = Math.max(1, Math.round(usable.length * cfg.featureFraction));
          const picked = featureRng.sampleSorted(usable.length, k);
          features = picked.map((i) => usable[i]!);
          treeWords = Int32Array.from(new Set(Array.from(features, (f) => f >> 2)));
          numTreeWords = treeWords.length;
        }
        const tree = builder.grow(bagSize, features, features.length, treeWords, numTreeWords);
        if (tree.numLeaves === 1) {
          // As LightGBM: a tree without a split means no leaf meets the split requirements any more.
          stopReason = 'no split';
          break;
        }
        trees.push(tree);
        for (let l = 0; l < tree.numLeaves; l++) {
          const [start, count] = builder.leafRange(l);
          const v = tree.leafValue[l]!;
          for (let i = start, end = start + count; i < end; i++) scores[order[i]!] += v;
        }
        if (inBag) {
          for (let r = 0; r < n; r++) if (!inBag[r]) scores[r] += tree.leafValue[leafOfBinnedRow(tree, bins, r * stride, mapper.numBins)]!;
        }
        trainLoss.push(evaluateMetric(cfg.metric, cfg.huberDelta, scores, train.labels, train.weights));
        let vLoss: number | undefined;
        if (valid && validScores) {
          for (let i = 0; i < valid.rows; i++) validScores[i] += tree.leafValue[leafOfRow(tree, valid.features, i * cols)]!;
          vLoss = evaluateMetric(cfg.metric, cfg.huberDelta, validScores, valid.labels, valid.weights);
          validLoss.push(vLoss);
          if (vLoss < bestScore) {
            bestScore = vLoss;
            bestRound = round + 1;
          }
        }
        options.onIteration?.(round, trainLoss[round]!, vLoss);
        if (cfg.verbosity >= 1 && (round + 1) % 10 === 0) {
          this.logger?.info(`round ${round + 1}: train ${cfg.metric} ${trainLoss[round]}${vLoss === undefined ? '' : `, valid ${cfg.metric} ${vLoss}`}`);
        }
        if (earlyStopping && round + 1 - bestRound >= earlyStopping) {
          stopReason = 'early_stopping';
          break;
        }
        // Let timers (lease heartbeats, progress) run between rounds.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      runner.close();
    }
    const rounds = trees.length;
    const kept = earlyStopping && bestRound > 0 ? bestRound : rounds;
    this.trees = trees.slice(0, kept);
    this.initScore = init;
    this.cols = cols;
    this.featureNames = options.featureNames ? [...options.featureNames] : undefined;
    this.forest = null;
    return {
      rounds,
      bestRound: kept,
      trainLoss,
      validLoss,
      metric: cfg.metric,
      stopReason,
      histogram: packedMode ? 'quantized' : 'exact',
      threads: runner.threads,
      seconds: (Date.now() - started) / 1000,
    };
  }

  predict(input: MatrixInput): Float32Array {
    this.requireFitted();
    checkMatrixInput(input, `${GBDT_CLASS}.predict`, this.cols);
    if (!this.forest) this.forest = new FlatForest(this.trees);
    return this.forest.predict(input.features, input.rows, input.cols, this.initScore);
  }

  toJSON(): SerializedModel {
    const state: GbdtState | null = this.fitted
      ? {
          cols: this.cols,
          objective: this.config.objective,
          init_score: this.initScore,
          trees: this.trees.map(serializeTree),
          ...(this.featureNames ? { feature_names: [...this.featureNames] } : {}),
        }
      : null;
    return { format: 'qonline-model', version: GBDT_FORMAT_VERSION, class: GBDT_CLASS, kwargs: { ...this.kwargs }, state };
  }

  private requireFitted(): void {
    if (!this.fitted) throw modelInputError(`${GBDT_CLASS}: the model is not fitted yet (call fit() or restore a fitted model)`);
  }
}
