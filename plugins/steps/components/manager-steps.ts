import { defineComponent, OnlineTool, QonlineError, S, type OnlineStrategy, type PipelineStep, type StepPipeline, type StepReport } from '../../../core/index.js';

const strategiesOption = S.optional(
  S.array(S.string({ description: 'A strategy name.' }), { minItems: 1, description: "Only these of the config's strategies (default: all)." }),
);

/** The config's strategies named in `names` (all when absent); an unknown name is a config error. */
export function pickStrategies(p: StepPipeline, names: readonly string[] | undefined, step: string): OnlineStrategy[] {
  if (!names) return [...p.strategies];
  const known = p.strategies.map((s) => s.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `step ${step}: the config has no strategy ${unknown.map((n) => JSON.stringify(n)).join(', ')}`, {
      hint: `strategies of this config: ${known.join(', ')}`,
    });
  }
  return p.strategies.filter((s) => names.includes(s.name));
}

export const firstTrainStep = defineComponent({
  kind: 'step',
  name: 'first_train',
  description: "Trains each strategy's first tasks and puts them online at the manager's begin time; a no-op for strategies already trained.",
  schema: S.object({ strategies: strategiesOption }),
  create: (o): PipelineStep => ({
    run: (p) => p.manager.firstTrain(pickStrategies(p, o.strategies, 'first_train')),
  }),
});

export const routineStep = defineComponent({
  kind: 'step',
  name: 'routine',
  description: 'One routine: prepare tasks, train, switch online sets, update online predictions and append signals (no-op when the date is not after the last routine).',
  schema: S.object({
    cur_time: S.optional(S.nullable(S.date({ description: 'Routine date; default: the latest calendar date (`--at` overrides).' }))),
  }),
  create: (o): PipelineStep => ({
    run: (p, r) => p.manager.routine(r.at ?? o.cur_time ?? null),
  }),
});

export const simulateStep = defineComponent({
  kind: 'step',
  name: 'simulate',
  description: 'Replays first training and a routine for every trading day up to `end_time`, without online prediction updates.',
  schema: S.object({
    end_time: S.optional(S.nullable(S.date({ description: 'Last routine date of the simulation; default: the latest calendar date (`--at` overrides).' }))),
  }),
  create: (o): PipelineStep => ({
    run: (p, r) => p.manager.simulate(r.at ?? o.end_time ?? null),
  }),
});

export const prepareSignalsStep = defineComponent({
  kind: 'step',
  name: 'prepare_signals',
  description: 'Recomputes and stores the signals of every date from the stored online history.',
  schema: S.object({}),
  create: (): PipelineStep => ({
    async run(p): Promise<StepReport> {
      const n = await p.manager.prepareSignals(null);
      return { step: 'prepare_signals', curTime: null, trained: 0, online: {}, signalDates: n, predictionsUpdated: 0 };
    },
  }),
});

export const updateOnlinePredStep = defineComponent({
  kind: 'step',
  name: 'update_online_pred',
  description: "Extends every online model's predictions up to `to_date` and recomputes the signals of the new dates.",
  schema: S.object({
    to_date: S.optional(S.nullable(S.date({ description: 'Update predictions up to this date; default: the latest calendar date (`--at` overrides).' }))),
  }),
  create: (o): PipelineStep => ({
    async run(p, r): Promise<StepReport> {
      const at = r.at ?? o.to_date ?? null;
      const online = (await Promise.all(p.strategies.map((s) => new OnlineTool(p.store, s.name).onlineModels()))).flat();
      const up = await p.manager.updateOnlinePredictions(online, at);
      const n = up.from ? await p.manager.prepareSignals(up.from) : 0;
      return { step: 'update_online_pred', curTime: at, trained: 0, online: {}, signalDates: n, predictionsUpdated: up.rows };
    },
  }),
});

/**
 * Qlib's OnlineManager.add_strategy: first-trains the config's strategies the
 * manager has never trained. Their models serve from the manager's current
 * time (its last routine; the begin time before any routine), brought up to
 * that date, so the signals of earlier dates stay as they were.
 */
export const addStrategyStep = defineComponent({
  kind: 'step',
  name: 'add_strategy',
  description: "First-trains only the config's strategies the manager does not have yet; they serve from the last routine on (earlier signals unchanged).",
  schema: S.object({ strategies: strategiesOption }),
  create: (o): PipelineStep => ({
    async run(p): Promise<StepReport> {
      const state = await p.manager.state();
      const added = pickStrategies(p, o.strategies, 'add_strategy').filter((s) => !state.strategies[s.name]?.firstTrained);
      const from = state.lastRoutine;
      if (!added.length) {
        return { step: 'add_strategy', curTime: from, skipped: 'the manager already has every strategy', trained: 0, online: {}, signalDates: 0, predictionsUpdated: 0 };
      }
      p.logger.info(`adding strateg${added.length > 1 ? 'ies' : 'y'} ${added.map((s) => s.name).join(', ')}${from ? ` from ${from}` : ''}`);
      const report = await p.manager.firstTrain(added, from);
      if (from) {
        // The new models predict up to the date they start serving from, as the routine does for online models.
        const online = (await Promise.all(added.map((s) => new OnlineTool(p.store, s.name).onlineModels()))).flat();
        const up = await p.manager.updateOnlinePredictions(online, from);
        report.predictionsUpdated = up.rows;
        if (up.from) report.signalDates = await p.manager.prepareSignals(up.from < from ? from : up.from);
      }
      return { ...report, step: 'add_strategy', curTime: from ?? report.curTime };
    },
  }),
});
