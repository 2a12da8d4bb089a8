import { defineComponent, QonlineError } from '../../../../core/index.js';
import { paramSchema } from '../params.js';
import { LINEAR_CLASS, LinearModel } from './linear-model.js';
import { LINEAR_PARAMS } from './linear-params.js';

export const linearComponent = defineComponent({
  kind: 'model',
  name: LINEAR_CLASS,
  aliases: ['LinearModel', 'Ridge'],
  description:
    'Ridge / OLS linear regression by its closed form (Float64 normal equations, Cholesky with an eigen fallback). Missing features take the column mean of the training data.',
  schema: paramSchema(LINEAR_PARAMS, 'Options of the linear model (Qlib LinearModel names accepted).'),
  // The constructor's rules across options (alpha only with ridge/lasso, as Qlib asserts): found by `validate` too.
  check: (options) => {
    try {
      new LinearModel(options);
      return [];
    } catch (e) {
      if (!(e instanceof QonlineError)) throw e;
      return [{ path: /alpha/.test(e.message) && options.alpha !== undefined ? '/alpha' : '', message: e.message.replace(`${LINEAR_CLASS}: `, '') }];
    }
  },
  create: (options) => new LinearModel(options),
  restore: (serialized) => LinearModel.fromJSON(serialized),
});
