import { modelInputError } from '../model-error.js';
import { foldParams, givenAny, type ParamTable } from '../params.js';

const MSE_NAMES = ['mse', 'regression', 'regression_l2', 'l2', 'mean_squared_error', 'l2_root', 'root_mean_squared_error', 'rmse', 'reg:squarederror', 'reg:linear'];
const HUBER_NAMES = ['huber'];

const METRIC_CANONICAL: Record<string, string> = {
  l2: 'l2',
  mse: 'l2',
  mean_squared_error: 'l2',
  regression: 'l2',
  regression_l2: 'l2',
  rmse: 'rmse',
  l2_root: 'rmse',
  root_mean_squared_error: 'rmse',
  l1: 'l1',
  mae: 'l1',
  mean_absolute_error: 'l1',
  regression_l1: 'l1',
  huber: 'huber',
};

/**
 * GBDT parameters: LightGBM's names are canonical; LightGBM, XGBoost and
 * scikit-learn spellings are aliases, so Qlib's LGBModel / XGBModel kwargs
 * work unchanged. Defaults follow LightGBM, except the round count and early
 * stopping, which follow Qlib's LGBModel (1000 rounds, stop after 50).
 */
export const GBDT_PARAMS = {
  objective: {
    type: 'enum',
    values: [...MSE_NAMES, ...HUBER_NAMES],
    canonical: Object.fromEntries([...MSE_NAMES.map((n) => [n, 'mse']), ...HUBER_NAMES.map((n) => [n, 'huber'])]),
    default: 'mse',
    aliases: ['loss', 'objective_type', 'application', 'app'],
    description: 'Loss to minimise: `mse` (squared error; LightGBM `regression`, XGBoost `reg:squarederror`) or `huber` (delta = `alpha`).',
  },
  boosting: {
    type: 'enum',
    values: ['gbdt', 'gbtree'],
    canonical: { gbtree: 'gbdt' },
    default: 'gbdt',
    aliases: ['boosting_type', 'boost', 'booster'],
    description: 'Only plain gradient boosting (`gbdt`, XGBoost `gbtree`) is implemented.',
  },
  num_boost_round: {
    type: 'integer',
    min: 1,
    default: 1000,
    aliases: ['num_iterations', 'num_iteration', 'n_iter', 'num_tree', 'num_trees', 'num_round', 'num_rounds', 'nrounds', 'n_estimators', 'max_iter'],
    description: "Maximum number of boosting rounds (one tree each). Default 1000, as Qlib's LGBModel (LightGBM's own default is 100).",
  },
  early_stopping_rounds: {
    type: 'integer',
    min: 0,
    default: 50,
    aliases: ['early_stopping_round', 'early_stopping', 'n_iter_no_change'],
    description: 'Stop when the validation metric has not improved for this many rounds and keep the trees up to the best round; 0 turns it off. Used only when fit() gets a validation set. Default 50, as Qlib.',
  },
  learning_rate: {
    type: 'number',
    exclusiveMin: 0,
    default: 0.1,
    aliases: ['shrinkage_rate', 'eta'],
    description: 'Shrinkage applied to every leaf value.',
  },
  num_leaves: {
    type: 'integer',
    min: 2,
    max: 131072,
    default: 31,
    aliases: ['num_leaf', 'max_leaves', 'max_leaf', 'max_leaf_nodes'],
    description: 'Maximum leaves per tree; trees grow leaf-wise (best gain first) until this many leaves.',
  },
  max_depth: {
    type: 'integer',
    min: -1,
    default: -1,
    description: 'Maximum depth of a tree (the root has depth 0, so depth 6 allows 64 leaves); -1 or 0 means no limit.',
  },
  min_data_in_leaf: {
    type: 'integer',
    min: 0,
    default: 20,
    aliases: ['min_data_per_leaf', 'min_data', 'min_child_samples', 'min_samples_leaf'],
    description: 'Minimum number of training rows in a leaf (estimated from the hessian when weights are given, as LightGBM).',
  },
  min_sum_hessian_in_leaf: {
    type: 'number',
    min: 0,
    default: 1e-3,
    aliases: ['min_sum_hessian_per_leaf', 'min_sum_hessian', 'min_hessian', 'min_child_weight'],
    description: 'Minimum sum of hessians (row weights for mse/huber) in a leaf.',
  },
  lambda_l1: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['reg_alpha', 'l1_regularization'],
    description: "L1 penalty on leaf values (soft-thresholds the gradient sum). XGBoost's `alpha` also maps here unless the objective is huber.",
  },
  lambda_l2: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['reg_lambda', 'lambda', 'l2_regularization'],
    description: 'L2 penalty on leaf values (added to the hessian sum).',
  },
  min_gain_to_split: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['min_split_gain', 'gamma', 'min_split_loss'],
    description: 'A split must improve the loss by more than this.',
  },
  alpha: {
    type: 'number',
    exclusiveMin: 0,
    description:
      "With objective huber: the Huber delta (LightGBM's `alpha`, default 0.9). With objective mse: XGBoost's `alpha`, an L1 penalty (same as lambda_l1), so Qlib XGBModel kwargs keep their meaning.",
  },
  bagging_fraction: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    aliases: ['sub_row', 'subsample', 'bagging'],
    description: 'Fraction of rows sampled (without replacement) for a tree. As in LightGBM it only takes effect when bagging_freq > 0.',
  },
  bagging_freq: {
    type: 'integer',
    min: 0,
    default: 0,
    aliases: ['subsample_freq'],
    description: 'Draw a new row sample every this many rounds; 0 disables bagging (LightGBM semantics: `subsample` alone does nothing).',
  },
  feature_fraction: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    aliases: ['sub_feature', 'colsample_bytree'],
    description: 'Fraction of columns (at least one) a tree may split on, drawn per tree.',
  },
  seed: {
    type: 'integer',
    default: 0,
    aliases: ['random_seed', 'random_state'],
    description: 'Seed of every random choice (bagging, feature sampling, bin sampling, gradient rounding). Same data, parameters and seed give the same model.',
  },
  bagging_seed: { type: 'integer', description: 'Seed for bagging only (default derived from `seed`).' },
  feature_fraction_seed: { type: 'integer', description: 'Seed for feature sampling only (default derived from `seed`).' },
  max_bin: {
    type: 'integer',
    min: 2,
    max: 255,
    default: 255,
    aliases: ['max_bins'],
    description: 'Maximum number of value bins per feature (quantile bins); missing values get one more bin of their own.',
  },
  bin_construct_sample_cnt: {
    type: 'integer',
    min: 1,
    default: 200000,
    aliases: ['subsample_for_bin'],
    description: 'Rows sampled (seeded) to compute the bin boundaries.',
  },
  num_threads: {
    type: 'integer',
    min: 0,
    // Automatic, as LightGBM's own default (0: every core) would be on an idle machine; the model does not depend on it.
    default: 0,
    aliases: ['num_thread', 'nthread', 'nthreads', 'n_jobs'],
    description:
      'Threads for training (worker_threads: histograms, split search, partitioning, binning); 0 chooses automatically: one per core other processes leave idle, 1 on a busy machine or for small data (under 4 M rows x features per thread). Capped at the number of cores. The model does not depend on it. Default 0 (automatic; LightGBM\'s own default uses every core).',
  },
  use_quantized_grad: {
    type: 'boolean',
    default: true,
    description:
      'Split search sums integer-quantised gradients packed with the row count in one float64 (exact integer arithmetic, stochastic rounding, >= 64 levels, typically ~15 bits); leaf values and gains are recomputed from exact gradients. false: exact float64 gradient/hessian histograms (about 2x slower). Weighted data always uses exact histograms.',
  },
  histogram_pool_size: {
    type: 'number',
    default: -1,
    description:
      'Memory for cached histograms, in MB; -1 (or <= 0) means as much as the tree can use, up to 1024 MB. With less, some histograms are rebuilt instead of derived by subtraction (slower, same trees).',
  },
  metric: {
    type: 'enum',
    values: Object.keys(METRIC_CANONICAL),
    canonical: METRIC_CANONICAL,
    aliases: ['metrics', 'eval_metric'],
    description: 'Metric reported per round and used for early stopping: l2 (mse), rmse, l1 (mae) or huber. Default: the objective (l2 for mse, huber for huber).',
  },
  verbosity: { type: 'integer', default: -1, aliases: ['verbose'], description: 'Accepted for compatibility; >= 1 logs the metrics every 10 rounds at info level.' },
  tree_method: {
    type: 'enum',
    values: ['hist', 'auto', 'approx'],
    default: 'hist',
    description: 'Accepted for XGBoost compatibility; trees are always built from histograms.',
  },
} satisfies ParamTable;

export type Objective = 'mse' | 'huber';
export type Metric = 'l2' | 'rmse' | 'l1' | 'huber';

export interface GbdtConfig {
  objective: Objective;
  numRounds: number;
  earlyStoppingRounds: number;
  learningRate: number;
  numLeaves: number;
  /** 0 = unlimited. */
  maxDepth: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL1: number;
  lambdaL2: number;
  minGainToSplit: number;
  huberDelta: number;
  baggingFraction: number;
  baggingFreq: number;
  featureFraction: number;
  seed: number;
  baggingSeed: number;
  featureFractionSeed: number;
  maxBin: number;
  binSampleCount: number;
  numThreads: number;
  quantized: boolean;
  /** Byte budget of the histogram pool. */
  histogramPoolBytes: number;
  metric: Metric;
  verbosity: number;
}

/** GBDT options (validated by the kernel against the schema of GBDT_PARAMS) as the trainer's configuration. */
export function gbdtConfig(options: Readonly<Record<string, unknown>>, className: string): GbdtConfig {
  const p = foldParams(GBDT_PARAMS, options, className);
  const objective: Objective = p.objective === 'huber' ? 'huber' : 'mse';
  let lambdaL1 = p.lambda_l1;
  const alpha = p.alpha;
  if (objective !== 'huber' && alpha !== undefined) {
    // XGBoost's `alpha` is the L1 penalty; LightGBM's `alpha` only matters for huber/quantile objectives.
    if (givenAny(options, ['lambda_l1', ...GBDT_PARAMS.lambda_l1.aliases]) && lambdaL1 !== alpha) {
      throw modelInputError(`${className}: "alpha" (XGBoost's L1 penalty with objective mse) is ${alpha} but lambda_l1 is ${lambdaL1}; give only one of them`);
    }
    lambdaL1 = alpha;
  }
  const seed = p.seed;
  return {
    objective,
    numRounds: p.num_boost_round,
    earlyStoppingRounds: p.early_stopping_rounds,
    learningRate: p.learning_rate,
    numLeaves: p.num_leaves,
    maxDepth: p.max_depth <= 0 ? 0 : p.max_depth,
    minDataInLeaf: p.min_data_in_leaf,
    minSumHessianInLeaf: p.min_sum_hessian_in_leaf,
    lambdaL1,
    lambdaL2: p.lambda_l2,
    minGainToSplit: p.min_gain_to_split,
    huberDelta: objective === 'huber' ? (alpha ?? 0.9) : 0.9,
    baggingFraction: p.bagging_fraction,
    baggingFreq: p.bagging_freq,
    featureFraction: p.feature_fraction,
    seed,
    baggingSeed: p.bagging_seed ?? seed * 7919 + 3,
    featureFractionSeed: p.feature_fraction_seed ?? seed * 7919 + 2,
    maxBin: p.max_bin,
    binSampleCount: p.bin_construct_sample_cnt,
    numThreads: p.num_threads,
    quantized: p.use_quantized_grad,
    histogramPoolBytes: p.histogram_pool_size > 0 ? p.histogram_pool_size * 2 ** 20 : 2 ** 30,
    metric: METRICS.find((m) => m === p.metric) ?? (objective === 'huber' ? 'huber' : 'l2'),
    verbosity: p.verbosity,
  };
}

const METRICS: readonly Metric[] = ['l2', 'rmse', 'l1', 'huber'];
