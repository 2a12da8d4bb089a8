import { defineComponent, definePlugin, S, TOKENS } from '../../core/index.js';
import { DelayTrainerR, TrainerR } from './src/local-trainers.js';

export { DelayTrainerR, TrainerR } from './src/local-trainers.js';

const deps = [TOKENS.store, TOKENS.resolver, TOKENS.logger, TOKENS.progress];

const trainerR = defineComponent({
  kind: 'trainer',
  name: 'TrainerR',
  description: 'Trains each task in process and finishes it (predictions, labels, metrics) at once.',
  schema: S.object({}),
  deps,
  create: (_o, ctx) =>
    new TrainerR({ store: ctx.get(TOKENS.store), resolver: ctx.get(TOKENS.resolver), logger: ctx.logger, progress: ctx.get(TOKENS.progress) }),
});

const delayTrainerR = defineComponent({
  kind: 'trainer',
  name: 'DelayTrainerR',
  description: 'Fits models in `train` and finishes them in `end_train` (all at the end of a simulation).',
  schema: S.object({}),
  deps,
  create: (_o, ctx) =>
    new DelayTrainerR({ store: ctx.get(TOKENS.store), resolver: ctx.get(TOKENS.resolver), logger: ctx.logger, progress: ctx.get(TOKENS.progress) }),
});

export const trainersPlugin = definePlugin({
  name: 'trainers',
  version: '0.1.0',
  description: 'In-process trainers.',
  components: [trainerR, delayTrainerR],
});
