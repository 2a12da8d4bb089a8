import type { ApiRoute } from '../../../core/index.js';
import { backtestResults, type StoredBacktest } from './results.js';

const num = { type: ['number', 'null'] } as const;
const risk = {
  type: 'object',
  required: ['mean', 'std', 'annualized_return', 'information_ratio', 'max_drawdown'],
  properties: { mean: num, std: num, annualized_return: num, information_ratio: num, max_drawdown: num },
} as const;
const reportRow = {
  type: 'object',
  required: ['date', 'account', 'return', 'turnover', 'cost', 'bench'],
  properties: { date: { type: 'string' }, account: num, return: num, total_turnover: num, turnover: num, total_cost: num, cost: num, value: num, cash: num, bench: num },
} as const;
const backtest = {
  type: 'object',
  required: ['name', 'createdAt', 'start', 'end', 'config', 'risk', 'report', 'tradeCount'],
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    config: { type: 'object', additionalProperties: true, description: 'The port_analysis_config that ran (strategy, backtest, executor).' },
    risk: { type: 'object', required: ['excess_return_without_cost', 'excess_return_with_cost'], properties: { excess_return_without_cost: risk, excess_return_with_cost: risk } },
    report: { type: 'array', items: reportRow, description: 'One row a trading day: account, return before cost, turnover, cost, benchmark return (null without a benchmark).' },
    tradeCount: { type: 'integer' },
    positions: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'With ?full=true: cash and holdings at each close.' },
    trades: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'With ?full=true: every executed order.' },
  },
} as const;

// JSON has no NaN: a figure that is not defined (e.g. the IR of a flat series) is null.
const finiteOrNull = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x)));

function view(b: StoredBacktest, full: boolean): Record<string, unknown> {
  return finiteOrNull({
    name: b.name,
    createdAt: b.createdAt,
    start: b.start,
    end: b.end,
    config: b.config,
    risk: b.risk,
    report: b.report,
    tradeCount: b.trades.length,
    ...(full ? { positions: b.positions, trades: b.trades } : {}),
  }) as Record<string, unknown>;
}

/** `GET /api/backtest`: the backtests stored with the served manager (an empty list when there is none). */
export const backtestApiRoute: ApiRoute = {
  method: 'GET',
  url: '/api/backtest',
  schema: {
    summary: 'The backtests stored with the manager (the backtest step, qonline backtest): daily report, risk figures; positions and trades with full=true',
    querystring: { type: 'object', additionalProperties: false, properties: { full: { type: 'boolean', description: 'Add the daily positions and the trades.' } } },
    response: { 200: { type: 'object', required: ['manager', 'backtests'], properties: { manager: { type: 'string' }, backtests: { type: 'array', items: backtest } } } },
  },
  handler: async ({ store, manager, query }) => {
    const full = (query as Record<string, unknown>)['full'] === true;
    return { manager, backtests: (await backtestResults(store, manager)).map((b) => view(b, full)) };
  },
};
