import { S, type Static } from '../schema/builder.js';

const stepSchema = S.union(
  [
    S.string({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$', description: 'A step by name, with default options, e.g. `routine` (see the step components).' }),
    S.component({ kind: 'step', description: 'A step as a component, e.g. `{class: routine, kwargs: {cur_time: 2020-06-30}}`.' }),
    S.record(S.nullable(S.record(S.any(), { description: "The step's options." })), {
      description: 'Shorthand: a step name with its options, e.g. `{routine: {cur_time: 2020-06-30}}`.',
      minProperties: 1,
      maxProperties: 1,
      propertyNames: { not: { enum: ['class', 'kwargs', 'module_path'] } },
    } as never),
  ],
  { description: 'One pipeline step: a name, `{class, kwargs}`, or `{name: {options}}`.' },
);

export const pipelineSchema = S.object(
  {
    $schema: S.optional(S.string({ description: 'Editor hint: the JSON Schema of this file.' })),
    version: S.optional(S.literal(1, { description: 'Config format version.' })),
    plugins: S.optional(
      S.array(S.string({ description: 'A package name or a path relative to this file.' }), {
        description: 'Extra plugins (JavaScript modules exporting a plugin manifest) to load.',
      }),
    ),
    home: S.optional(S.string({ description: 'Home folder (data, store, cache, reports); overridden by --home / QONLINE_HOME. Default `.qonline`.' })),
    data: S.optional(S.component({ kind: 'dataProvider', description: 'Market data provider. Default: the embedded seeded synthetic market.' })),
    store: S.optional(S.component({ kind: 'store', description: 'Experiment store. Default: SQLite in the home folder.' })),
    manager: S.object(
      {
        name: S.string({ description: 'Manager name: the key of its state, history and signals in the store.', pattern: '^[A-Za-z0-9_.-]+$' }),
        begin_time: S.optional(S.nullable(S.date({ description: 'Date of the first training; default: the latest calendar date.' }))),
        freq: S.optional(S.enum(['day'], { description: 'Data frequency.' })),
        trainer: S.optional(S.component({ kind: 'trainer', description: 'How tasks become recorders. Default: TrainerR.' })),
        ensemble: S.optional(S.component({ kind: 'ensemble', description: 'How online models merge into signals. Default: AverageEnsemble.' })),
        update_online_pred: S.optional(S.boolean({ description: 'Extend online predictions in each routine (default true; simulations never do).' })),
      },
      { description: 'The online manager.' },
    ),
    strategies: S.array(S.component({ kind: 'strategy' }), { description: 'Online strategies, each owning an experiment.', minItems: 1 }),
    steps: S.optional(S.array(stepSchema, { description: 'Steps `qonline run` performs, in order. Default: [first_train, routine].' })),
    daemon: S.optional(
      S.object(
        {
          schedule: S.string({ description: 'Cron expression (node-cron syntax) of routine runs, e.g. `0 18 * * 1-5`.' }),
          timezone: S.optional(S.string({ description: "The exchange's IANA timezone, e.g. Asia/Shanghai." })),
          catch_up: S.optional(S.boolean({ description: 'Run missed routines after downtime (default true).' })),
          trade: S.optional(S.boolean({ description: "After each routine, run the users' trading days up to the latest date (`qonline trade run`, users plugin). Default false." })),
        },
        { description: 'Schedule for `qonline daemon`.' },
      ),
    ),
  },
  { description: 'A qonline pipeline.' },
);

export type PipelineConfig = Static<typeof pipelineSchema>;
export type StepConfig = Static<typeof stepSchema>;
