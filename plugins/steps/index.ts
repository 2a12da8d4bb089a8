import { definePlugin } from '../../core/index.js';
import { addStrategyStep, firstTrainStep, prepareSignalsStep, routineStep, simulateStep, updateOnlinePredStep } from './components/manager-steps.js';

export { pickStrategies } from './components/manager-steps.js';

/** The built-in pipeline steps (`steps:` entries and `qonline run --step NAME`). */
export const stepsPlugin = definePlugin({
  name: 'steps',
  version: '1.0.0',
  description: 'Built-in pipeline steps: first_train, routine, simulate, add_strategy, prepare_signals, update_online_pred.',
  components: [firstTrainStep, routineStep, simulateStep, addStrategyStep, prepareSignalsStep, updateOnlinePredStep],
});
