import { modelInputError } from '../model-error.js';
import { foldParams, type ParamTable } from '../params.js';

/**
 * XGBModel parameters under XGBoost's own names (scikit-learn spellings as
 * aliases), with XGBoost 1.x defaults. The round count and early stopping
 * are those of Qlib's `XGBModel.fit` (`xgb.train(..., num_boost_round=1000,
 * early_stopping_rounds=50)`): Qlib passes its kwargs to xgb.train as the
 * booster's params, where `n_estimators` is not a booster parameter, so it
 * does not set the number of rounds there, nor here.
 */
export const XGB_PARAMS = {
  objective: {
    type: 'enum',
    values: ['reg:squarederror', 'reg:linear'],
    canonical: { 'reg:linear': 'reg:squarederror' },
    default: 'reg:squarederror',
    description: 'Loss: only squared error (`reg:squarederror`; `reg:linear` is its old name).',
  },
  booster: {
    type: 'enum',
    values: ['gbtree'],
    default: 'gbtree',
    description: 'Only tree boosting (`gbtree`); `dart` and `gblinear` are not implemented.',
  },
  num_boost_round: {
    type: 'integer',
    min: 1,
    default: 1000,
    description: "Maximum number of boosting rounds (one tree each): the argument of Qlib's XGBModel.fit, default 1000.",
  },
  early_stopping_rounds: {
    type: 'integer',
    min: 0,
    default: 50,
    description:
      "Stop when the last eval_metric on the validation set has not improved for this many rounds (XGBoost's rule: strictly lower is better); 0 turns it off. Used only when fit() gets a validation set. Default 50, as Qlib's XGBModel.fit.",
  },
  n_estimators: {
    type: 'integer',
    min: 1,
    description:
      "Accepted and NOT used, as in Qlib: Qlib's XGBModel passes it to xgb.train among the booster params, which ignores it (XGBoost warns that it is not used); the round count is num_boost_round.",
  },
  predict_trees: {
    type: 'enum',
    values: ['all', 'best'],
    default: 'all',
    description:
      "Trees used by predict() after early stopping: `all` trained trees, as Qlib's XGBModel.predict (Booster.predict without iteration_range uses the whole model, best_iteration + 1 + early_stopping_rounds trees), or `best`: the first best_iteration + 1.",
  },
  eta: {
    type: 'number',
    min: 0,
    max: 1,
    default: 0.3,
    aliases: ['learning_rate'],
    description: 'Shrinkage: every leaf weight is multiplied by it.',
  },
  max_depth: {
    type: 'integer',
    min: 0,
    default: 6,
    description: 'Maximum depth of a tree (root at depth 0); 0 means no limit (only with grow_policy lossguide, as XGBoost).',
  },
  max_leaves: {
    type: 'integer',
    min: 0,
    default: 0,
    description: 'Maximum number of leaves; 0 means no limit.',
  },
  grow_policy: {
    type: 'enum',
    values: ['depthwise', 'lossguide'],
    default: 'depthwise',
    description: '`depthwise`: split every node of a level before the next level; `lossguide`: split the node with the largest loss change first.',
  },
  min_child_weight: {
    type: 'number',
    min: 0,
    default: 1,
    description: 'Minimum sum of hessians (row weights for squared error) on each side of a split.',
  },
  lambda: {
    type: 'number',
    min: 0,
    default: 1,
    aliases: ['reg_lambda'],
    description: 'L2 penalty on leaf weights (added to the hessian sum).',
  },
  alpha: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['reg_alpha'],
    description: 'L1 penalty on leaf weights (soft-thresholds the gradient sum).',
  },
  gamma: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['min_split_loss'],
    description: 'A split must reduce the loss by at least this much.',
  },
  subsample: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    description: 'Each round, every training row is kept with this probability (its gradient is zeroed otherwise), as XGBoost; the draws come from our own seeded generator.',
  },
  colsample_bytree: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    description: 'Fraction of the features (at least one, rounded down) drawn for each tree.',
  },
  colsample_bylevel: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    description: "Fraction of the tree's features drawn for each depth level.",
  },
  colsample_bynode: {
    type: 'number',
    exclusiveMin: 0,
    max: 1,
    default: 1,
    description: "Fraction of the level's features drawn for each node.",
  },
  tree_method: {
    type: 'enum',
    values: ['hist', 'approx', 'exact', 'auto'],
    default: 'hist',
    description:
      "All four train with XGBoost's `hist` algorithm (quantile cuts, max_bin bins per feature). `hist` is XGBoost's hist; `approx`, `exact` and `auto` (XGBoost 1.7 picks exact below 2^22 rows) are approximated by it: identical on features with at most max_bin distinct values, close otherwise.",
  },
  max_bin: {
    type: 'integer',
    min: 2,
    max: 65535,
    default: 256,
    description: 'Maximum number of bins per feature; the cuts are the distinct values when there are at most max_bin, else weighted quantiles as XGBoost prunes its sketch.',
  },
  base_score: {
    type: 'number',
    default: 0.5,
    description: 'Initial prediction of every row (XGBoost 1.x default 0.5).',
  },
  eval_metric: {
    type: 'enum',
    values: ['rmse', 'mae'],
    default: 'rmse',
    description: 'Metric computed each round on the training and validation sets; early stopping watches it on the validation set.',
  },
  seed: {
    type: 'integer',
    default: 0,
    aliases: ['random_state'],
    description: 'Seed of row subsampling and column sampling. Same data, parameters and seed give the same model (not the same draws as XGBoost).',
  },
  nthread: {
    type: 'integer',
    min: -1,
    aliases: ['n_jobs'],
    description:
      'Threads building histograms (worker_threads, features split between them); 0 or -1 means all cores, capped at the cores there are; not given: one thread. The model does not depend on it (each bin is summed by one thread in row order).',
  },
  verbosity: {
    type: 'integer',
    min: 0,
    max: 3,
    default: 1,
    description: 'With 2 or more, the train and valid metrics are logged every 20 rounds at info level (debug otherwise), as Qlib\'s verbose_eval=20.',
  },
} satisfies ParamTable;

export type XgbMetric = 'rmse' | 'mae';

/** The trainer's configuration; float parameters rounded to float32 as XGBoost stores them. */
export interface XgbConfig {
  numRounds: number;
  earlyStoppingRounds: number;
  predictTrees: 'all' | 'best';
  eta: number;
  maxDepth: number;
  maxLeaves: number;
  lossguide: boolean;
  minChildWeight: number;
  lambda: number;
  alpha: number;
  gamma: number;
  subsample: number;
  colsampleByTree: number;
  colsampleByLevel: number;
  colsampleByNode: number;
  maxBin: number;
  baseScore: number;
  metric: XgbMetric;
  seed: number;
  verbosity: number;
  /** undefined when not given. */
  nthread: number | undefined;
}

export function xgbConfig(options: Readonly<Record<string, unknown>>, className: string): XgbConfig {
  const p = foldParams(XGB_PARAMS, options, className);
  if (p.max_depth === 0 && p.grow_policy !== 'lossguide') {
    throw modelInputError(`${className}: max_depth 0 (no depth limit) needs grow_policy lossguide, as in XGBoost`, undefined, 'set max_depth >= 1, or grow_policy: lossguide with max_leaves');
  }
  const f = Math.fround;
  return {
    numRounds: p.num_boost_round,
    earlyStoppingRounds: p.early_stopping_rounds,
    predictTrees: p.predict_trees === 'best' ? 'best' : 'all',
    eta: f(p.eta),
    maxDepth: p.max_depth,
    maxLeaves: p.max_leaves,
    lossguide: p.grow_policy === 'lossguide',
    minChildWeight: f(p.min_child_weight),
    lambda: f(p.lambda),
    alpha: f(p.alpha),
    gamma: f(p.gamma),
    subsample: f(p.subsample),
    colsampleByTree: f(p.colsample_bytree),
    colsampleByLevel: f(p.colsample_bylevel),
    colsampleByNode: f(p.colsample_bynode),
    maxBin: p.max_bin,
    baseScore: f(p.base_score),
    metric: p.eval_metric === 'mae' ? 'mae' : 'rmse',
    seed: p.seed,
    verbosity: p.verbosity,
    nthread: p.nthread,
  };
}
