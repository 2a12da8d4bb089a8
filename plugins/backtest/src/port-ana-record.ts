import { defineComponent, QonlineError, S, type ComponentContext, type ComponentSpec, type WorkflowRecord, type WorkflowRecordInput } from '../../../core/index.js';
import { portAnalysis } from './cli/backtest-command.js';
import { runBacktest, scoreTable, type AccountSpec } from './engine.js';
import type { Region } from './exchange.js';

/**
 * Qlib's PortAnaRecord in a workflow file: backtests the task's predictions
 * with `config` (Qlib's port_analysis_config: strategy, backtest, executor)
 * and reports the risk analysis of the excess return with and without cost.
 */
export const portAnaRecord = defineComponent({
  kind: 'workflowRecord',
  name: 'PortAnaRecord',
  description: "Qlib's PortAnaRecord: backtest of the predictions (port_analysis_config) and risk analysis of the excess returns.",
  schema: S.object({
    config: S.object(
      {
        strategy: S.component({ kind: 'tradingStrategy' }),
        backtest: S.object({
          start_time: S.date({ description: 'First backtest date.' }),
          end_time: S.date({ description: 'Last backtest date.' }),
          account: S.optional(S.number({ exclusiveMinimum: 0, description: 'Initial cash (default 1e9).' })),
          benchmark: S.optional(S.nullable(S.union([S.string(), S.array(S.string())], { description: 'Benchmark instrument(s); null: none.' }))),
          exchange_kwargs: S.optional(S.record(S.any(), { description: 'Exchange options (see Exchange).' })),
          freq: S.optional(S.enum(['day'])),
          verbose: S.optional(S.boolean()),
        }),
        executor: S.optional(S.any({ description: "Qlib's executor; only a daily SimulatorExecutor is supported." })),
      },
      { description: 'port_analysis_config.' },
    ),
    risk_analysis_freq: S.optional(S.any({ description: 'Accepted; the analysis is daily.' })),
    indicator_analysis_freq: S.optional(S.any({ description: 'Accepted; not computed.' })),
  }),
  create: (o, ctx: ComponentContext): WorkflowRecord => ({
    async run(input: WorkflowRecordInput): Promise<Record<string, unknown>> {
      const c = o.config;
      const tps = (c.executor as { kwargs?: Record<string, unknown> } | undefined)?.kwargs?.['time_per_step'];
      if (tps !== undefined && tps !== 'day') throw new QonlineError('QONLINE_CONFIG_INVALID', `PortAnaRecord: executor time_per_step ${JSON.stringify(tps)} is not supported (only day)`);
      const region = (input.region as Region | undefined) ?? 'cn';
      const strategy = await ctx.resolve('tradingStrategy', c.strategy as ComponentSpec);
      const exchange = await ctx.resolve('exchange', { class: 'Exchange', kwargs: { ...(c.backtest.exchange_kwargs ?? {}), region } });
      const rows = input.pred.dates.map((date, i) => ({ date, instrument: input.pred.instruments[i]!, score: input.pred.scores[i]! }));
      const result = await runBacktest({
        provider: input.provider,
        scores: scoreTable(rows),
        strategy,
        exchange: exchange.options,
        region: exchange.region,
        account: (c.backtest.account ?? 1e9) as AccountSpec,
        start: c.backtest.start_time,
        end: c.backtest.end_time,
        benchmark: c.backtest.benchmark === undefined ? 'SH000300' : c.backtest.benchmark,
      });
      const last = result.report.at(-1);
      return { ...portAnalysis(result), days: result.report.length, trades: result.trades.length, final_account: last?.account ?? null };
    },
  }),
});
