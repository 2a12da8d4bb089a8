import type { ParamTable } from '../params.js';

export const LINEAR_PARAMS = {
  alpha: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['lambda', 'l2'],
    description: 'Penalty on the coefficients (not on the intercept). ridge: L2, minimises sum w_i (y_i - x_i.b - c)^2 + alpha |b|^2 (scikit-learn Ridge); lasso: L1, minimises (1/(2 sum w)) sum w_i (y_i - x_i.b - c)^2 + alpha |b|_1 (scikit-learn Lasso). ols and nnls take none.',
  },
  fit_intercept: { type: 'boolean', default: true, description: 'Fit an unpenalised intercept (features and labels are centred first).' },
  estimator: {
    type: 'enum',
    values: ['ridge', 'ols', 'lasso', 'nnls'],
    default: 'ridge',
    description: "Qlib's LinearModel estimator: `ridge`, `ols` (ridge with alpha 0), `lasso` (coordinate descent) or `nnls` (non-negative least squares, Lawson-Hanson; as in Qlib the intercept is one more non-negative coefficient).",
  },
  include_valid: { type: 'boolean', default: false, description: 'Also fit on the validation set (Qlib LinearModel `include_valid`).' },
} satisfies ParamTable;
