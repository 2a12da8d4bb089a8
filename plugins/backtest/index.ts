import { defineComponent, definePlugin, registerMigrations, S } from '../../core/index.js';
import { backtestReportSection, backtestStep, portAnaRecord } from './src/components.js';
import { BACKTEST_MIGRATIONS } from './src/results.js';
import { resolveExchangeOptions, type ExchangeOptions, type Region } from './src/exchange.js';
import { TopkDropoutStrategy, WeightStrategy, type TradingStrategy } from './src/strategies.js';
import { backtestCommand } from './src/cli/backtest-command.js';
import { backtestApiRoute } from './src/api.js';
import { exchangeKwargsProps } from './src/port-analysis.js';

export { backtestCommand, readScoresCsv, readPortConfig, portAnalysis } from './src/cli/backtest-command.js';
export type { PortConfig, BacktestOutput } from './src/cli/backtest-command.js';

export { Exchange, resolveExchangeOptions, REGION_DEFAULTS } from './src/exchange.js';
export type { ExchangeOptions, ResolvedExchangeOptions, Region, Direction, Order, Deal, DealPosition, VolumeLimit } from './src/exchange.js';
export { Position } from './src/position.js';
export type { AccountState, Holding } from './src/position.js';
export { TopkDropoutStrategy, WeightStrategy, ordersForTargetAmounts } from './src/strategies.js';
export type { TradingStrategy, DayContext, TopkDropoutOptions, WeightStrategyOptions } from './src/strategies.js';
export { runBacktest, tradeDay, selectScores, scoreTable, loadBenchmark, initialAccountState } from './src/engine.js';
export type { ReportRow, PositionsRow, TradeRow, DayResult, ScoreTable, AccountSpec, BacktestResult, RunBacktestInput } from './src/engine.js';
export { PyRandom } from './src/py-random.js';
export { runPortAnalysis, excessReturnRisk, portAnalysisSchema, exchangeKwargsSchema } from './src/port-analysis.js';
export type { PortAnalysisConfig, PortAnalysisResult, PortAnalysisRisk } from './src/port-analysis.js';
export { backtestResults, saveBacktest, ensureBacktestTables, BACKTEST_MIGRATIONS } from './src/results.js';
export type { StoredBacktest } from './src/results.js';
export { backtestManager, backtestStep, portAnaRecord, backtestSection, backtestReportSection } from './src/components.js';
export type { BacktestStepReport } from './src/components.js';

const signal = S.optional(S.any({ description: "Qlib's signal placeholder (e.g. `<PRED>`); the scores are given to the backtest separately." }));

const topkDropout = defineComponent({
  kind: 'tradingStrategy',
  name: 'TopkDropoutStrategy',
  description: "Qlib's TopkDropoutStrategy: hold topk instruments, replace up to n_drop a day by the previous day's scores.",
  schema: S.object({
    signal,
    topk: S.integer({ minimum: 1, description: 'Number of instruments held.' }),
    n_drop: S.integer({ minimum: 0, description: 'Instruments replaced a day (0 behaves as in Qlib: every holding is a sell candidate).' }),
    method_sell: S.optional(S.enum(['bottom', 'random'], { description: 'Which holdings to drop (default bottom).' })),
    method_buy: S.optional(S.enum(['top', 'random'], { description: 'Which instruments to buy (default top).' })),
    hold_thresh: S.optional(S.integer({ minimum: 0, description: 'Minimum bars held before a sell (default 1).' })),
    only_tradable: S.optional(S.boolean({ description: 'Choose only among instruments tradable on the trade day (default false).' })),
    forbid_all_trade_at_limit: S.optional(S.boolean({ description: 'A stock at either limit can be neither bought nor sold (default true, as Qlib).' })),
    risk_degree: S.optional(S.number({ minimum: 0, maximum: 1, description: 'Share of the cash spent on buys (default 0.95).' })),
    seed: S.optional(S.integer({ description: 'Seed of the random methods (Qlib draws them unseeded). Default 0.' })),
  }),
  create: (o) => new TopkDropoutStrategy({ ...o } as ConstructorParameters<typeof TopkDropoutStrategy>[0]),
});

const weightStrategy = defineComponent({
  kind: 'tradingStrategy',
  name: 'WeightStrategy',
  aliases: ['WeightStrategyBase'],
  description: "Target weights per date from the signal, ordered as Qlib's WeightStrategyBase with OrderGenWOInteract.",
  schema: S.object({
    signal,
    risk_degree: S.optional(S.number({ minimum: 0, maximum: 1, description: 'Share of the account value invested (default 0.95).' })),
  }),
  create: (o) => new WeightStrategy({ risk_degree: o.risk_degree }),
});

/** An exchange component resolves to its options; `Exchange.open` reads the quote once the dates are known. */
export interface ExchangeSpec {
  options: ExchangeOptions;
  region: Region;
}

const exchange = defineComponent({
  kind: 'exchange',
  name: 'Exchange',
  description: "Qlib's exchange_kwargs: deal price, costs, limits, trade unit, volume limits.",
  schema: S.object({
    region: S.optional(S.enum(['cn', 'us'], { description: 'Region defaults: cn (trade unit 100, limit 0.095), us (trade unit 1, no limit). Default cn.' })),
    ...exchangeKwargsProps,
  }),
  create: (o): ExchangeSpec => {
    const { region, ...options } = o as ExchangeOptions & { region?: Region };
    resolveExchangeOptions(options, region ?? 'cn');
    return { options, region: region ?? 'cn' };
  },
});

// The kinds this plugin adds to the kernel's kind map: `resolve('tradingStrategy', spec)` is a TradingStrategy.
declare module '../../core/contracts/plugin.js' {
  interface ComponentKindMap {
    tradingStrategy: TradingStrategy;
    exchange: ExchangeSpec;
  }
}

export const backtestPlugin = definePlugin({
  name: 'backtest',
  kinds: ['tradingStrategy', 'exchange'],
  version: '0.1.0',
  description: "Qlib's backtest: exchange, account, TopkDropoutStrategy, WeightStrategy, the backtest step and PortAnaRecord.",
  components: [topkDropout, weightStrategy, exchange, backtestStep, portAnaRecord, backtestReportSection],
  commands: [backtestCommand],
  // `qonline serve` mounts GET /api/backtest beside its own routes.
  apiRoutes: [backtestApiRoute],
  // The results table (backtest_results) exists in every SQL store opened after the kernel starts.
  register: () => registerMigrations('backtest', BACKTEST_MIGRATIONS),
});
