import { defineComponent, definePlugin, optionalDep, S, TOKENS, type DepsOf } from '../../core/index.js';
import { DelayTrainerR, TrainerR, type LocalTrainerDeps, type LocalTrainerOptions } from './src/local-trainers.js';
import { DelayTrainerRM, TrainerRM, type PoolTrainerDeps } from './src/pool-trainers.js';

export { DelayTrainerR, TrainerR, type LocalTrainerDeps, type LocalTrainerOptions } from './src/local-trainers.js';
export { DelayTrainerRM, TrainerRM, type PoolTrainerDeps, type PoolTrainerOptions } from './src/pool-trainers.js';

/** Threads are optional: without them (running from source) every task trains in the calling thread. */
const deps = { store: TOKENS.store, resolver: TOKENS.resolver, progress: TOKENS.progress, threads: optionalDep(TOKENS.taskThreads) };

const localSchema = S.object({
  threads: S.optional(
    S.integer({
      minimum: 0,
      description:
        'Threads that train several tasks at once (a first training, a catch-up, a delayed trainer’s end of simulation), each opening the pipeline once. Default 0: one per idle core, one on a busy machine; 1: in the calling thread.',
    }),
  ),
});

/** An in-process trainer component: the store, resolver and training threads injected. */
function localTrainer(name: string, description: string, make: (deps: LocalTrainerDeps, options: LocalTrainerOptions) => TrainerR) {
  return defineComponent({
    kind: 'trainer',
    name,
    description,
    schema: localSchema,
    deps,
    create: (o, ctx) => make({ ...ctx.deps, logger: ctx.logger }, o),
  });
}

const trainerR = localTrainer('TrainerR', 'Trains each task in process and finishes it (predictions, labels, metrics) at once.', (d, o) => new TrainerR(d, o));
const delayTrainerR = localTrainer(
  'DelayTrainerR',
  'Qlib’s delayed trainer: `train` only records each task; `end_train` fits and finishes them (in a simulation: every model at the end, on several threads when cores are idle).',
  (d, o) => new DelayTrainerR(d, o),
);

const poolSchema = S.object({
  pool: S.optional(S.string({ minLength: 1, description: 'Task pool name. Default: the strategy (experiment) name, as in Qlib.' })),
  lease_seconds: S.optional(
    S.number({ exclusiveMinimum: 0, description: 'Lease of a fetched task; its worker renews it every third of this. A dead worker’s task returns after it. Default 60.' }),
  ),
  max_attempts: S.optional(S.integer({ minimum: 1, description: 'Fetches of a task (per phase) before it is marked failed with its last error. Default 3.' })),
  priority: S.optional(S.number({ description: 'Priority of the created tasks (higher is fetched first). Default 0.' })),
  train_locally: S.optional(S.boolean({ description: 'Also train in the manager’s process while waiting (default true); false: only `qonline worker` processes train.' })),
  poll_ms: S.optional(S.integer({ minimum: 10, description: 'Longest pause between two looks at the pool while waiting (PostgreSQL wakes at once on NOTIFY). Default 1000.' })),
  wait_timeout_s: S.optional(S.number({ exclusiveMinimum: 0, description: 'Fail (QONLINE_TASK_FAILED) when workers have not finished after this long. Default: wait forever.' })),
});

/** Task threads are optional: without them the manager trains on its own thread. */
const poolDeps = { pools: TOKENS.taskPool, store: TOKENS.store, resolver: TOKENS.resolver, progress: TOKENS.progress, clock: TOKENS.clock, threads: optionalDep(TOKENS.taskThreads) };

function poolTrainerDeps(ctx: { deps: DepsOf<typeof poolDeps>; logger: PoolTrainerDeps['logger'] }): PoolTrainerDeps {
  return { ...ctx.deps, logger: ctx.logger };
}

const trainerRM = defineComponent({
  kind: 'trainer',
  name: 'TrainerRM',
  description: 'Puts tasks into a task pool in the store’s database, trains what it can itself and waits for `qonline worker` processes to train the rest.',
  schema: poolSchema,
  deps: poolDeps,
  create: (o, ctx) => new TrainerRM(poolTrainerDeps(ctx), o),
});

const delayTrainerRM = defineComponent({
  kind: 'trainer',
  name: 'DelayTrainerRM',
  description: 'Both training phases through the task pool: fit in `train` (waiting -> part_done), predictions and records in `end_train` (part_done -> done).',
  schema: poolSchema,
  deps: poolDeps,
  create: (o, ctx) => new DelayTrainerRM(poolTrainerDeps(ctx), o),
});

export const trainersPlugin = definePlugin({
  name: 'trainers',
  version: '0.1.0',
  description: 'Trainers: in process (TrainerR, DelayTrainerR) and through a task pool (TrainerRM, DelayTrainerRM).',
  components: [trainerR, delayTrainerR, trainerRM, delayTrainerRM],
});
