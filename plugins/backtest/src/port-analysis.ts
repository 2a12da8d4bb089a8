import { QonlineError, riskAnalysis, S, type ComponentKind, type ComponentKindMap, type ComponentSpec, type DataProvider, type RiskReport, type Static } from '../../../core/index.js';
import { runBacktest, type AccountSpec, type BacktestResult, type ScoreTable } from './engine.js';
import type { Region } from './exchange.js';

const volumeLimit = S.tuple([S.enum(['cum', 'current']), S.string()], { description: '["cum" | "current", expression].' });

/** The properties of Qlib's `exchange_kwargs`, shared with the `Exchange` component (which adds `region`). */
export const exchangeKwargsProps = {
  freq: S.optional(S.enum(['day'], { description: 'Bar frequency (day).' })),
  deal_price: S.optional(S.nullable(S.union([S.string(), S.tuple([S.string(), S.string()])], { description: 'close, open, vwap, an expression or [buy, sell]; null: close.' }))),
  open_cost: S.optional(S.number({ minimum: 0, description: 'Buy cost rate (default 0.0015).' })),
  close_cost: S.optional(S.number({ minimum: 0, description: 'Sell cost rate (default 0.0025).' })),
  min_cost: S.optional(S.number({ minimum: 0, description: 'Minimum cost of a deal (default 5).' })),
  impact_cost: S.optional(S.number({ minimum: 0, description: 'Impact cost rate, scaled by (value / day value)^2 (default 0).' })),
  limit_threshold: S.optional(S.nullable(S.union([S.number(), S.tuple([S.string(), S.string()])], { description: 'Limit on $change, or [buyLimitExpr, sellLimitExpr]; null: the region default.' }))),
  trade_unit: S.optional(S.nullable(S.number({ exclusiveMinimum: 0, description: 'Trade unit in raw shares; null disables rounding; absent: the region default.' }))),
  volume_threshold: S.optional(S.nullable(S.union([volumeLimit, S.object({ all: S.optional(volumeLimit), buy: S.optional(volumeLimit), sell: S.optional(volumeLimit) })], { description: 'Volume limits.' }))),
  codes: S.optional(S.union([S.string(), S.array(S.string())], { description: 'Market name or codes quoted (default all).' })),
};

/** Qlib's `exchange_kwargs` (the `Exchange` component's options but `region`). */
export const exchangeKwargsSchema = S.object(exchangeKwargsProps);

/** Qlib's `port_analysis_config`: `{strategy, backtest, executor?}` (the step's and PortAnaRecord's `config`). */
export const strategySchema = S.component({ kind: 'tradingStrategy', description: 'The trading strategy (TopkDropoutStrategy or WeightStrategy; `signal: <PRED>` is ignored, the scores are given).' });
export const backtestSchema = S.object(
    {
      start_time: S.optional(S.nullable(S.date({ description: 'First trading day; default: the first score date.' }))),
      end_time: S.optional(S.nullable(S.date({ description: "Last trading day; default: the trading day after the last score date (the data's last date at most)." }))),
      account: S.optional(S.union([S.number({ exclusiveMinimum: 0 }), S.object({ cash: S.number({ minimum: 0 }) }, { additionalProperties: S.union([S.number(), S.object({ amount: S.number(), price: S.optional(S.number()) })]) })], { description: 'Initial cash (default 1e9), or {cash, CODE: amount | {amount, price}}.' })),
      benchmark: S.optional(S.nullable(S.union([S.string(), S.array(S.string())], { description: 'Benchmark instrument(s) (default SH000300); null: no bench.' }))),
      exchange_kwargs: S.optional(exchangeKwargsSchema),
      pos_type: S.optional(S.string({ description: "Qlib's position type (accepted; only Position)." })),
    },
    { description: "Qlib's backtest config." },
);
export const executorSchema = S.any({ description: "Qlib's executor (accepted; only SimulatorExecutor with time_per_step day)." });
export const portAnalysisSchema = S.object(
  { strategy: strategySchema, backtest: backtestSchema, executor: S.optional(executorSchema) },
  { description: "Qlib's port_analysis_config: {strategy, backtest, executor?}." },
);

export type PortAnalysisConfig = Static<typeof portAnalysisSchema>;

export interface PortAnalysisRisk {
  excess_return_without_cost: RiskReport;
  excess_return_with_cost: RiskReport;
}

export interface PortAnalysisResult extends BacktestResult {
  start: string;
  end: string;
  risk: PortAnalysisRisk;
}

/** PortAnaRecord's analysis: excess return = return - bench, with cost also - cost, Qlib's risk_analysis on each. */
export function excessReturnRisk(result: BacktestResult): PortAnalysisRisk {
  const without = result.report.map((r) => r.return - (r.bench ?? 0));
  const withCost = result.report.map((r) => r.return - (r.bench ?? 0) - r.cost);
  return { excess_return_without_cost: riskAnalysis(without, { freq: 'day' }), excess_return_with_cost: riskAnalysis(withCost, { freq: 'day' }) };
}

type Resolve = <K extends ComponentKind>(kind: K, spec: ComponentSpec, path?: string) => Promise<ComponentKindMap[K]>;

/**
 * Runs a `port_analysis_config` over `scores` (Qlib's PortAnaRecord and the
 * backtest step): missing dates default to the scores' first date and the
 * trading day after their last (Qlib's PortAnaRecord defaults).
 */
export async function runPortAnalysis(input: { provider: DataProvider; scores: ScoreTable; config: PortAnalysisConfig; region?: Region; resolve: Resolve; pointer?: string }): Promise<PortAnalysisResult> {
  const { provider, scores, config } = input;
  const base = input.pointer ?? '';
  const executor = config.executor as { kwargs?: Record<string, unknown> } | undefined;
  const tps = executor?.kwargs?.['time_per_step'];
  if (tps !== undefined && tps !== 'day') {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `only day is supported, found ${JSON.stringify(tps)}`, { location: { path: `${base}/executor/kwargs/time_per_step` } });
  }
  const dates = [...scores.keys()].sort();
  const cal = await provider.calendar('day');
  let start = config.backtest.start_time ?? dates[0];
  let end = config.backtest.end_time ?? null;
  if (end === null && dates.length) {
    // The trading day after the last score date (Qlib: get_date_by_shift(last, 1)), the data's last day at most.
    const i = cal.upperBound(dates[dates.length - 1]!) + 1;
    end = cal.dates[Math.min(i, cal.dates.length - 1)] ?? null;
  }
  if (!start || !end) throw new QonlineError('QONLINE_CONFIG_INVALID', 'backtest: no scores to trade on and no start_time/end_time', { location: { path: `${base}/backtest` } });
  start = start.slice(0, 10);
  const region = input.region ?? 'cn';
  const strategy = await input.resolve('tradingStrategy', config.strategy, `${base}/strategy`);
  const exchange = await input.resolve('exchange', { class: 'Exchange', kwargs: { ...(config.backtest.exchange_kwargs ?? {}), region } }, `${base}/backtest/exchange_kwargs`);
  const benchmark = config.backtest.benchmark === undefined ? 'SH000300' : config.backtest.benchmark;
  const result = await runBacktest({
    provider,
    scores,
    strategy,
    exchange: exchange.options,
    region: exchange.region,
    account: (config.backtest.account ?? 1e9) as AccountSpec,
    start,
    end,
    benchmark,
  });
  return { ...result, start, end, risk: excessReturnRisk(result) };
}
