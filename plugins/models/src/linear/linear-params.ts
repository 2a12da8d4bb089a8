import type { ParamTable } from '../params.js';

export const LINEAR_PARAMS = {
  alpha: {
    type: 'number',
    min: 0,
    default: 0,
    aliases: ['lambda', 'l2'],
    description: 'L2 penalty on the coefficients (not on the intercept), added to the diagonal of the normal equations: minimises sum w_i (y_i - x_i.b - c)^2 + alpha |b|^2, as scikit-learn Ridge.',
  },
  fit_intercept: { type: 'boolean', default: true, description: 'Fit an unpenalised intercept (features and labels are centred first).' },
  estimator: {
    type: 'enum',
    values: ['ridge', 'ols'],
    default: 'ridge',
    description: "Qlib's LinearModel estimator: `ridge` or `ols` (ridge with alpha 0). Qlib's `lasso` and `nnls` are not supported.",
  },
  include_valid: { type: 'boolean', default: false, description: 'Also fit on the validation set (Qlib LinearModel `include_valid`).' },
} satisfies ParamTable;
