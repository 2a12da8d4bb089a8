import { defineComponent, S, TOKENS, type ReportSection, type ReportSectionData, type PipelineStep, type StepPipeline, type StepReport, type TaskRecord } from '../../../core/index.js';
import { scoreTable } from './engine.js';
import type { Region } from './exchange.js';
import { backtestSchema, executorSchema, portAnalysisSchema, runPortAnalysis, strategySchema, type PortAnalysisConfig } from './port-analysis.js';
import { backtestResults, saveBacktest, type StoredBacktest } from './results.js';

const regionOption = S.optional(S.enum(['cn', 'us'], { description: "Region defaults of the exchange (Qlib's qlib_init.region): cn (trade unit 100, limit 0.095) or us. Default cn." }));

/** What the `backtest` step reports (a StepReport with the backtest's figures). */
export interface BacktestStepReport extends StepReport {
  backtest: { name: string; start: string; end: string; days: number; trades: number; finalAccount: number | null; risk: StoredBacktest['risk'] };
}

/**
 * Runs a port_analysis_config over the manager's stored signals and stores
 * the result with the manager (`backtest_results`). Shared by the step and
 * `qonline backtest CONFIG`.
 */
export async function backtestManager(
  p: StepPipeline,
  o: { config: PortAnalysisConfig; name: string; region: Region; createdAt: string; resolve: Parameters<typeof runPortAnalysis>[0]['resolve'] },
): Promise<StoredBacktest> {
  const sig = await p.manager.getSignals();
  const rows = sig.dates.map((date, i) => ({ date, instrument: sig.instruments[i]!, score: sig.scores[i]! }));
  const result = await runPortAnalysis({ provider: p.provider, scores: scoreTable(rows), config: o.config, region: o.region, resolve: o.resolve });
  return saveBacktest(p.store, p.manager.name, o.name, o.createdAt, o.config, result);
}

export const backtestStep = defineComponent({
  kind: 'step',
  name: 'backtest',
  description: "Qlib's port analysis of the manager's signals: a daily backtest (port_analysis_config's strategy and backtest) stored with the manager and shown by `qonline report`. Runs after simulate.",
  schema: S.object({
    strategy: strategySchema,
    backtest: backtestSchema,
    executor: S.optional(executorSchema),
    name: S.optional(S.string({ pattern: '^[A-Za-z0-9_.-]+$', description: 'Name the result is stored under (default backtest; a rerun replaces it).' })),
    region: regionOption,
  }),
  deps: { clock: TOKENS.clock },
  create: (o, ctx): PipelineStep => ({
    async run(p): Promise<BacktestStepReport> {
      const { name = 'backtest', region = 'cn', ...config } = o;
      const stored = await backtestManager(p, { config: config as PortAnalysisConfig, name, region, createdAt: new Date(ctx.deps.clock.now()).toISOString(), resolve: ctx.resolve.bind(ctx) });
      const last = stored.report.at(-1);
      const detail = `${name} ${stored.start}..${stored.end}: ${stored.report.length} days, ${stored.trades.length} trades, annualised excess return ${stored.risk.excess_return_without_cost.annualized_return.toFixed(4)} without cost, ${stored.risk.excess_return_with_cost.annualized_return.toFixed(4)} with cost (stored; qonline report shows it)`;
      p.logger.info(`backtest ${detail}`);
      return {
        step: 'backtest',
        detail,
        curTime: stored.end,
        trained: 0,
        online: {},
        signalDates: 0,
        predictionsUpdated: 0,
        backtest: { name, start: stored.start, end: stored.end, days: stored.report.length, trades: stored.trades.length, finalAccount: last?.account ?? null, risk: stored.risk },
      };
    },
  }),
});

/** Metric names of PortAnaRecord: `excess_return_without_cost.mean`, ... */
function riskMetrics(risk: StoredBacktest['risk']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, r] of Object.entries(risk)) {
    for (const [k, v] of Object.entries(r)) if (Number.isFinite(v)) out[`${group}.${k}`] = v as number;
  }
  return out;
}

/** Qlib's PortAnaRecord (qlib/workflow/record_temp.py): a backtest over the task's test-segment predictions. */
export const portAnaRecord = defineComponent({
  kind: 'record',
  name: 'PortAnaRecord',
  description:
    "Qlib's PortAnaRecord: backtests the model's test-segment predictions with `config` (a port_analysis_config); artifacts `portfolio_analysis/report_normal_1day`, `positions_normal_1day`, `port_analysis_1day`, `trades_1day`; metrics `excess_return_without_cost.*` and `excess_return_with_cost.*`.",
  schema: S.object({
    config: portAnalysisSchema,
    risk_analysis_freq: S.optional(S.union([S.string(), S.array(S.string())], { description: "Qlib's option (only day / 1day)." })),
    indicator_analysis_freq: S.optional(S.union([S.string(), S.array(S.string())], { description: "Qlib's option (accepted; indicator analysis is not computed)." })),
    indicator_analysis_method: S.optional(S.string({ description: "Qlib's option (accepted; indicator analysis is not computed)." })),
    skip_existing: S.optional(S.boolean({ description: "Qlib's option (accepted; a finished task is never analysed twice)." })),
    region: regionOption,
  }),
  deps: { provider: TOKENS.dataProvider },
  create: (o, ctx): TaskRecord => ({
    async generate({ pred }) {
      const rows = pred.dates.map((date, i) => ({ date, instrument: pred.instruments[i]!, score: pred.scores[i]! }));
      const r = await runPortAnalysis({ provider: ctx.deps.provider, scores: scoreTable(rows), config: o.config as PortAnalysisConfig, region: o.region ?? 'cn', resolve: ctx.resolve.bind(ctx), pointer: '/kwargs/config' });
      return {
        metrics: riskMetrics(r.risk),
        artifacts: {
          'portfolio_analysis/report_normal_1day': r.report,
          'portfolio_analysis/positions_normal_1day': r.positions.map((p) => ({ date: p.date, cash: p.cash, holdings: p.holdings })),
          'portfolio_analysis/trades_1day': r.trades.map(({ date, instrument, direction, amount, price, cost }) => ({ date, instrument, direction, amount, price, cost })),
          'portfolio_analysis/port_analysis_1day': JSON.parse(JSON.stringify(r.risk, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x))) as unknown,
        },
      };
    },
  }),
});

/** The report's view of a stored backtest: headline figures, the account vs the bench, the excess returns, the risk table. */
export function backtestSection(b: StoredBacktest): ReportSectionData {
  const init = b.report.length ? b.report[0]!.account / (1 + b.report[0]!.return - b.report[0]!.cost) : NaN;
  let bench = 1;
  let ex = 0;
  let exCost = 0;
  const hasBench = b.report.some((r) => r.bench !== null);
  const w = b.risk.excess_return_without_cost;
  const c = b.risk.excess_return_with_cost;
  const last = b.report.at(-1);
  const excessWithCost = b.report.map((r) => (exCost += r.return - (r.bench ?? 0) - r.cost));
  // Drawdown in sum mode, as risk_analysis measures max_drawdown (its minimum is the card's figure): the cumulative excess return below its running peak.
  let peak = -Infinity;
  const drawdown = excessWithCost.map((v) => {
    peak = Math.max(peak, v);
    return v - peak;
  });
  const rowOf = (name: string, r: StoredBacktest['risk']['excess_return_with_cost']): (string | number)[] => [name, r.mean, r.std, r.annualized_return, r.information_ratio, r.max_drawdown];
  return {
    id: `backtest-${b.name}`,
    title: `Backtest${b.name === 'backtest' ? '' : ` ${b.name}`} (${b.start}..${b.end})`,
    cards: [
      { label: 'excess return, annualised (without cost)', value: w.annualized_return, format: 'pct' },
      { label: 'excess return, annualised (with cost)', value: c.annualized_return, format: 'pct' },
      { label: 'information ratio (with cost)', value: c.information_ratio, format: 'number' },
      { label: 'max drawdown (with cost)', value: c.max_drawdown, format: 'pct' },
      { label: 'final account', value: last?.account ?? null, format: 'number' },
    ],
    charts: [
      {
        title: 'Account value vs benchmark (growth of 1)',
        dates: b.report.map((r) => r.date),
        series: [
          { name: 'account', values: b.report.map((r) => r.account / init) },
          ...(hasBench ? [{ name: 'benchmark', values: b.report.map((r) => (bench *= 1 + (r.bench ?? 0))) }] : []),
        ],
      },
      {
        title: 'Cumulative excess return (sum mode)',
        dates: b.report.map((r) => r.date),
        series: [
          { name: 'without cost', values: b.report.map((r) => (ex += r.return - (r.bench ?? 0))) },
          { name: 'with cost', values: excessWithCost },
        ],
        zeroLine: true,
        format: 'pct',
      },
      {
        title: 'Drawdown of the excess return with cost',
        dates: b.report.map((r) => r.date),
        series: [{ name: 'drawdown', values: drawdown }],
        format: 'pct',
      },
      {
        title: 'Turnover (traded value / account value)',
        dates: b.report.map((r) => r.date),
        series: [{ name: 'turnover', values: b.report.map((r) => (Number.isFinite(r.turnover) ? r.turnover : null)) }],
        bars: true,
        format: 'pct',
      },
    ],
    tables: [{ columns: ['excess return', 'mean', 'std', 'annualised', 'IR', 'max drawdown'], rows: [rowOf('without cost', w), rowOf('with cost', c)], format: 'number' }],
  };
}

/** Adds the manager's stored backtests to `qonline report`. */
export const backtestReportSection = defineComponent({
  kind: 'reportSection',
  name: 'backtest',
  description: "The manager's stored backtests in `qonline report`: excess return with and without cost, the account curve vs the benchmark.",
  schema: S.object({}),
  create: (): ReportSection => ({
    read: async (store, manager) => (await backtestResults(store, manager)).map(backtestSection),
  }),
});
