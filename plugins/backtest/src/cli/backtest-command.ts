import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { isQonlineError, QonlineError, riskAnalysis, type CliCommand, type CliCommandContext, type ComponentSpec, type DataProvider, type RiskReport } from '../../../../core/index.js';
import { runBacktest, scoreTable, type AccountSpec, type BacktestResult, type ScoreTable } from '../engine.js';
import type { ExchangeOptions, Region } from '../exchange.js';
import type { TradingStrategy } from '../strategies.js';
import { backtestResults, type StoredBacktest } from '../results.js';
import type { BacktestStepReport } from '../components.js';

function str(ctx: CliCommandContext, name: string, required = true): string | undefined {
  const v = ctx.args.flags[name];
  if (typeof v === 'string') return v;
  if (required) throw new QonlineError('QONLINE_USAGE', `--${name} is required`);
  return undefined;
}

/** Reads `datetime,instrument,score` (any column order, extra columns ignored); a row without a number is an error. */
export function readScoresCsv(file: string): ScoreTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read the scores file ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const di = header.indexOf('datetime');
  const ii = header.indexOf('instrument');
  const si = header.indexOf('score');
  if (di < 0 || ii < 0 || si < 0) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `the header must name the columns datetime, instrument, score (found ${JSON.stringify(lines[0] ?? '')})`, { location: { file, line: 1 } });
  }
  const rows: { date: string; instrument: string; score: number }[] = [];
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!;
    if (!line.trim()) continue;
    const cells = line.split(',');
    const at = { file, line: k + 1 };
    const date = (cells[di] ?? '').trim();
    const m = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00)?$/.exec(date);
    if (!m) throw new QonlineError('QONLINE_CONFIG_INVALID', `datetime must be a date YYYY-MM-DD, found ${JSON.stringify(date)}`, { location: at });
    const instrument = (cells[ii] ?? '').trim();
    if (!instrument) throw new QonlineError('QONLINE_CONFIG_INVALID', `instrument is empty`, { location: at });
    const raw = (cells[si] ?? '').trim();
    const score = raw === '' || /^nan$/i.test(raw) ? NaN : Number(raw);
    if (raw !== '' && !/^nan$/i.test(raw) && Number.isNaN(score)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `score must be a number, found ${JSON.stringify(raw)}`, { location: at });
    }
    rows.push({ date: m[1]!, instrument: instrument.toUpperCase(), score });
  }
  return scoreTable(rows);
}

/** The parts of Qlib's `port_analysis_config` the backtest runs. */
export interface PortConfig {
  strategy: ComponentSpec;
  start: string;
  end: string;
  account: AccountSpec;
  benchmark: string | string[] | null;
  exchangeKwargs: Record<string, unknown>;
  region?: Region;
  /** The line of a JSON pointer in the file (for errors found later). */
  lineOf(pointer: string): number | undefined;
}

/** Parses PORT.yaml: `port_analysis_config` (or its content at the top level), optional `qlib_init.region`. */
export function readPortConfig(file: string): PortConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read the config ${file}: ${(e as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new QonlineError('QONLINE_CONFIG_PARSE', e.message.split('\n')[0]!, { location: { file, line: pos.line, column: pos.col } });
  }
  const root = doc.toJS() as Record<string, unknown> | null;
  const inPort = root !== null && typeof root === 'object' && 'port_analysis_config' in root;
  const base = inPort ? ['port_analysis_config'] : [];
  const fail = (segs: (string | number)[], msg: string): never => {
    const node = doc.getIn(segs, true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lc.linePos(node.range[0]).line : undefined;
    const p = '/' + segs.join('/');
    throw new QonlineError('QONLINE_CONFIG_INVALID', msg, { location: { file, line, path: p } });
  };
  if (root === null || typeof root !== 'object' || Array.isArray(root)) fail([], 'expected a mapping with strategy and backtest');
  const port = (inPort ? root!['port_analysis_config'] : root) as Record<string, unknown>;
  if (!port || typeof port !== 'object') fail(base, 'expected a mapping with strategy and backtest');
  const strategy = port['strategy'] as Record<string, unknown> | undefined;
  if (!strategy || typeof strategy !== 'object' || typeof strategy['class'] !== 'string') fail([...base, 'strategy'], 'expected {class, module_path?, kwargs}');
  const bt = port['backtest'] as Record<string, unknown> | undefined;
  if (!bt || typeof bt !== 'object') fail([...base, 'backtest'], 'expected {start_time, end_time, account, benchmark, exchange_kwargs}');
  const date = (key: string): string => {
    const v = bt![key];
    const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
    if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}( 00:00:00)?$/.test(s) || Number.isNaN(Date.parse(`${s.slice(0, 10)}T00:00:00Z`)) || new Date(`${s.slice(0, 10)}T00:00:00Z`).toISOString().slice(0, 10) !== s.slice(0, 10)) fail([...base, 'backtest', key], `expected a date YYYY-MM-DD, found ${JSON.stringify(v)}`);
    return (s as string).slice(0, 10);
  };
  const start = date('start_time');
  const end = date('end_time');
  const account = bt!['account'] ?? 1e9;
  if (typeof account !== 'number' && (typeof account !== 'object' || account === null || typeof (account as Record<string, unknown>)['cash'] !== 'number')) {
    fail([...base, 'backtest', 'account'], 'expected a number (initial cash) or a mapping with cash and holdings');
  }
  const benchmark = 'benchmark' in bt! ? bt!['benchmark'] : 'SH000300';
  if (benchmark !== null && typeof benchmark !== 'string' && !(Array.isArray(benchmark) && benchmark.every((b) => typeof b === 'string'))) {
    fail([...base, 'backtest', 'benchmark'], 'expected an instrument, a list of instruments or null');
  }
  const ek = bt!['exchange_kwargs'] ?? {};
  if (typeof ek !== 'object' || ek === null || Array.isArray(ek)) fail([...base, 'backtest', 'exchange_kwargs'], 'expected a mapping');
  const executor = port['executor'] as { kwargs?: Record<string, unknown> } | undefined;
  const tps = executor?.kwargs?.['time_per_step'];
  if (tps !== undefined && tps !== 'day') fail([...base, 'executor', 'kwargs', 'time_per_step'], `only day is supported, found ${JSON.stringify(tps)}`);
  const qi = (root as Record<string, unknown>)['qlib_init'] as Record<string, unknown> | undefined;
  const region = qi?.['region'];
  if (region !== undefined && region !== 'cn' && region !== 'us') fail(['qlib_init', 'region'], `expected cn or us, found ${JSON.stringify(region)}`);
  return {
    strategy: strategy as unknown as ComponentSpec,
    start,
    end,
    account: account as AccountSpec,
    benchmark: benchmark as string | string[] | null,
    exchangeKwargs: ek as Record<string, unknown>,
    region: region as Region | undefined,
    lineOf: (pointer) => {
      const segs = pointer.split('/').filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
      for (let n = segs.length; n > 0; n--) {
        const node = doc.getIn(segs.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lc.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

export interface BacktestOutput extends BacktestResult {
  risk: { excess_return_without_cost: RiskReport; excess_return_with_cost: RiskReport };
}

/** PortAnaRecord's analysis: excess return = return - bench, with cost also - cost, Qlib's risk_analysis on each. */
export function portAnalysis(result: BacktestResult): BacktestOutput['risk'] {
  const without = result.report.map((r) => r.return - (r.bench ?? 0));
  const withCost = result.report.map((r) => r.return - (r.bench ?? 0) - r.cost);
  return { excess_return_without_cost: riskAnalysis(without, { freq: 'day' }), excess_return_with_cost: riskAnalysis(withCost, { freq: 'day' }) };
}

function summary(out: BacktestOutput, start: string, end: string): string {
  const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  const last = out.report.at(-1);
  const lines = [
    `backtest ${start}..${end}: ${out.report.length} trading days, ${out.trades.length} trades`,
    last ? `final account ${f(last.account, 2)}, total cost ${f(last.total_cost, 2)}, total turnover ${f(last.total_turnover, 2)}` : 'no trading day',
    '',
    `${''.padEnd(28)}${'mean'.padStart(10)}${'std'.padStart(10)}${'ann.ret'.padStart(10)}${'IR'.padStart(10)}${'max.dd'.padStart(10)}`,
  ];
  for (const [name, r] of Object.entries(out.risk)) {
    lines.push(`${name.padEnd(28)}${f(r.mean, 6).padStart(10)}${f(r.std, 6).padStart(10)}${f(r.annualized_return).padStart(10)}${f(r.information_ratio, 3).padStart(10)}${f(r.max_drawdown).padStart(10)}`);
  }
  return lines.join('\n');
}

function withFile(e: unknown, file: string, lineOf: (pointer: string) => number | undefined): unknown {
  if (isQonlineError(e) && !e.location?.file) {
    const line = e.location?.path ? lineOf(e.location.path) : undefined;
    return new QonlineError(e.code, e.message, { cause: e.cause, location: { ...(e.location ?? {}), file, line }, details: e.details, hint: e.hint });
  }
  return e;
}

/** `qonline backtest CONFIG`: runs the config's `backtest` steps over the manager's signals, stores and prints their results. */
async function backtestConfig(ctx: CliCommandContext, file: string): Promise<void> {
  for (const f of ['data', 'scores', 'config', 'region']) {
    if (ctx.args.flags[f] !== undefined) throw new QonlineError('QONLINE_USAGE', `--${f} belongs to the score-file form (backtest --data --scores --config); with CONFIG the config's backtest step says everything`);
  }
  const opened = await ctx.openConfig(file, { lock: true });
  try {
    const entries = opened.steps.filter((s) => s.spec.class === 'backtest');
    if (!entries.length) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `the config has no backtest step`, {
        location: { file, path: '/steps' },
        hint: 'add `- backtest: {strategy: {...}, backtest: {...}}` (a Qlib port_analysis_config) to its steps, after simulate',
      });
    }
    const ran: StoredBacktest[] = [];
    for (const e of entries) {
      const step = await opened.resolve('step', e.spec, e.pointer);
      const r = (await step.run(opened.pipeline, {})) as BacktestStepReport;
      const all = await backtestResults(opened.pipeline.store, opened.pipeline.manager.name);
      ran.push(all.find((b) => b.name === r.backtest.name)!);
    }
    const body = ran.map((b) => ({ manager: b.manager, name: b.name, start: b.start, end: b.end, report: b.report, positions: b.positions, trades: b.trades, risk: b.risk }));
    ctx.print(body.length === 1 ? body[0] : body, () =>
      ran.map((b) => `manager ${b.manager}, backtest ${b.name} (stored; see qonline report)\n` + summary({ report: b.report, positions: [], trades: b.trades.map((t) => ({ ...t, value: t.amount * t.price })), risk: b.risk }, b.start, b.end)).join('\n\n'),
    );
  } finally {
    await opened.close();
  }
}

export const backtestCommand: CliCommand = {
  name: 'backtest',
  usage: 'backtest CONFIG | backtest --data QLIB_DIR --scores SCORES.csv --config PORT.yaml [--region cn|us]',
  summary: "Qlib's daily backtest with risk analysis: of a config's manager signals (its backtest step; stored, shown by report) or of a score file",
  flags: {
    data: { value: true, description: "Market data in Qlib's binary layout" },
    scores: { value: true, description: 'CSV with columns datetime,instrument,score' },
    config: { value: true, description: 'YAML holding a Qlib port_analysis_config (strategy, backtest, optional executor)' },
    region: { value: true, description: 'cn (trade unit 100, limit 0.095) or us; default qlib_init.region or cn' },
  },
  async run(ctx) {
    if (ctx.args.positionals.length > 1) throw new QonlineError('QONLINE_USAGE', `unexpected argument ${JSON.stringify(ctx.args.positionals[1])}`);
    if (ctx.args.positionals.length === 1) return backtestConfig(ctx, ctx.args.positionals[0]!);
    const data = path.resolve(str(ctx, 'data')!);
    const scoresFile = str(ctx, 'scores')!;
    const configFile = str(ctx, 'config')!;
    const regionFlag = str(ctx, 'region', false);
    if (regionFlag !== undefined && regionFlag !== 'cn' && regionFlag !== 'us') throw new QonlineError('QONLINE_USAGE', `--region must be cn or us, found ${JSON.stringify(regionFlag)}`);
    const port = readPortConfig(configFile);
    const scores = readScoresCsv(scoresFile);
    const region: Region = (regionFlag as Region | undefined) ?? port.region ?? 'cn';
    const base = '/port_analysis_config';
    let strategy: TradingStrategy;
    let exchange: { options: ExchangeOptions; region: Region };
    try {
      strategy = await ctx.resolve('tradingStrategy', port.strategy, `${base}/strategy`);
      exchange = await ctx.resolve('exchange', { class: 'Exchange', kwargs: { ...port.exchangeKwargs, region } }, `${base}/backtest/exchange_kwargs`);
    } catch (e) {
      throw withFile(e, configFile, port.lineOf);
    }
    const provider = await ctx.resolve('dataProvider', { class: 'QlibData', kwargs: { uri: data } });
    const result = await runBacktest({
      provider,
      scores,
      strategy,
      exchange: exchange.options,
      region: exchange.region,
      account: port.account,
      start: port.start,
      end: port.end,
      benchmark: port.benchmark,
    });
    const out: BacktestOutput = {
      report: result.report,
      positions: result.positions,
      trades: result.trades.map(({ date, instrument, direction, amount, price, cost }) => ({ date, instrument, direction, amount, price, cost, value: amount * price })),
      risk: portAnalysis(result),
    };
    ctx.print(
      {
        report: out.report,
        positions: out.positions.map((p) => ({ date: p.date, cash: p.cash, holdings: p.holdings })),
        trades: result.trades.map(({ date, instrument, direction, amount, price, cost }) => ({ date, instrument, direction, amount, price, cost })),
        risk: out.risk,
      },
      () => summary(out, port.start, port.end),
    );
  },
};
