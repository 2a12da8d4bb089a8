import { defineComponent, definePlugin, S } from '../../core/index.js';
import { AverageEnsemble } from './src/average-ensemble.js';

export { AverageEnsemble, zscoreByDate } from './src/average-ensemble.js';

export const ensemblePlugin = definePlugin({
  name: 'ensemble',
  version: '0.1.0',
  description: 'Ways to merge several online models into one signal.',
  components: [
    defineComponent({
      kind: 'ensemble',
      name: 'AverageEnsemble',
      description: 'Per date, z-score each model across instruments (ddof 1) and average them, ignoring NaN.',
      schema: S.object({}),
      create: () => new AverageEnsemble(),
    }),
  ],
});
