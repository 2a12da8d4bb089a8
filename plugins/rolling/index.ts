import { defineComponent, definePlugin, S, TOKENS, type ComponentSpec, type TaskDef, type TaskGenerator } from '../../core/index.js';
import { MultiHorizonGen } from './src/multi-horizon-gen.js';
import { RollingGen } from './src/rolling-gen.js';
import { RollingStrategy } from './src/rolling-strategy.js';

export { RollingGen } from './src/rolling-gen.js';
export { MultiHorizonGen } from './src/multi-horizon-gen.js';
export { RollingStrategy, latestRecorders } from './src/rolling-strategy.js';

/** A task template: Qlib's shape, with model and dataset as nested components. */
export const taskTemplateSchema = S.object(
  {
    model: S.component({ kind: 'model', description: 'The model: `{class, kwargs}`.' }),
    dataset: S.component({ kind: 'dataset', description: 'The dataset: `{class: DatasetH, kwargs: {handler, segments}}`.' }),
    record: S.optional(
      S.union([S.component({ kind: 'record' }), S.array(S.component({ kind: 'record' }))], {
        description:
          'Records run when each task finishes, in order (Qlib shape, e.g. `[{class: SignalRecord}, {class: SigAnaRecord, kwargs: {ana_long_short: false}}]`). Default: predictions, labels and daily IC.',
      }),
    ),
  },
  { description: 'A task template.', additionalProperties: true },
);

const rollingGenSchema = S.object({
  step: S.optional(S.integer({ minimum: 1, default: 40, description: 'Rows (trading days) between consecutive tasks; also the test length.' })),
  rtype: S.optional(S.enum(['expanding', 'sliding'], { default: 'expanding', description: '`expanding` keeps the train start; `sliding` moves it.' })),
  trunc_days: S.optional(S.nullable(S.integer({ minimum: 0, description: 'End non-test segments this many rows before the test start (label leakage).' }))),
  keep_template_fit_window: S.optional(S.boolean({ description: "Keep the template's processor fit window for every task (Qlib's behaviour) instead of following each train segment." })),
  extend_handler_end: S.optional(S.boolean({ description: "Extend the handler's end_time to cover each test segment (default true)." })),
});

const rollingGen = defineComponent({
  kind: 'taskGenerator',
  name: 'RollingGen',
  description: 'Rolling tasks from a template: test windows of `step` rows, segments shifted by `step`.',
  schema: rollingGenSchema,
  deps: { calendar: TOKENS.calendar },
  create: (o, ctx) =>
    new RollingGen(ctx.deps.calendar, {
      step: o.step,
      rtype: o.rtype,
      truncDays: o.trunc_days ?? null,
      keepTemplateFitWindow: o.keep_template_fit_window,
      extendHandlerEnd: o.extend_handler_end,
    }),
});

const multiHorizonGen = defineComponent({
  kind: 'taskGenerator',
  name: 'MultiHorizonGen',
  description: 'One task per label horizon, segments truncated by horizon plus leak days.',
  schema: S.object({
    horizons: S.array(S.integer({ minimum: 1 }), { minItems: 1, uniqueItems: true, description: 'Label horizons in rows (each once: a repeated horizon would give the same task).' }),
    label_leak_n: S.optional(S.integer({ minimum: 0, description: 'Extra rows cut after the horizon.' })),
  }),
  deps: { calendar: TOKENS.calendar },
  create: (o, ctx) => new MultiHorizonGen(ctx.deps.calendar, { horizons: [...o.horizons], labelLeakN: o.label_leak_n }),
});

/** A task generator that can also roll a task forward (RollingGen): what RollingStrategy needs. */
function canRollForward(gen: TaskGenerator): gen is TaskGenerator & Pick<RollingGen, 'genFollowingTasks'> {
  return typeof (gen as Partial<RollingGen>).genFollowingTasks === 'function';
}

const rollingStrategy = defineComponent({
  kind: 'strategy',
  name: 'RollingStrategy',
  description: 'Serves the latest rolling models: trains every rolling window first, then rolls forward at each routine.',
  schema: S.object({
    name: S.string({ pattern: '^[A-Za-z0-9_.-]+$', description: "Strategy name; also the name of the experiment holding its models." }),
    task_template: S.union([taskTemplateSchema, S.array(taskTemplateSchema, { minItems: 1 })], { description: 'One task template or a list.' }),
    rolling_gen: S.component({ kind: 'taskGenerator', description: 'The rolling generator, e.g. `{class: RollingGen, kwargs: {step: 20}}`.' }),
  }),
  deps: { store: TOKENS.store },
  async create(o, ctx) {
    const gen = await ctx.resolve('taskGenerator', o.rolling_gen as ComponentSpec);
    if (!canRollForward(gen)) throw new Error('RollingStrategy needs a generator that rolls tasks forward (genFollowingTasks), such as RollingGen');
    const templates = (Array.isArray(o.task_template) ? o.task_template : [o.task_template]) as unknown as TaskDef[];
    return new RollingStrategy({
      name: o.name,
      templates: structuredClone(templates),
      rollingGen: gen,
      rollingGenSpec: o.rolling_gen as ComponentSpec,
      store: ctx.deps.store,
      logger: ctx.logger,
    });
  },
});

export const rollingPlugin = definePlugin({
  name: 'rolling',
  version: '0.1.0',
  description: 'Rolling task generation and the rolling online strategy.',
  components: [rollingGen, multiHorizonGen, rollingStrategy],
});
