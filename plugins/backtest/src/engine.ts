import { QonlineError, type DataProvider } from '../../../core/index.js';
import { Exchange, type Deal, type Direction, type ExchangeOptions, type Order, type Region } from './exchange.js';
import { Position, type AccountState, type Holding } from './position.js';
import type { TradingStrategy } from './strategies.js';

/** One row of Qlib's portfolio report. Rates are relative to the previous day's account value (the initial cash on day one). */
export interface ReportRow {
  date: string;
  /** Account value at the close: cash + holdings at their last prices. */
  account: number;
  /** (value change + cost) / previous account value: the return before costs. */
  return: number;
  total_turnover: number;
  turnover: number;
  total_cost: number;
  cost: number;
  /** Holdings' value. */
  value: number;
  cash: number;
  /** The benchmark's return that day (0 when it has none); null without a benchmark. */
  bench: number | null;
}

export interface PositionsRow {
  date: string;
  cash: number;
  account: number;
  holdings: Record<string, { amount: number; price: number; weight: number; count_day: number }>;
}

export interface TradeRow {
  date: string;
  instrument: string;
  direction: Direction;
  /** The dealt adjusted amount. */
  amount: number;
  price: number;
  cost: number;
  value: number;
}

export interface DayResult {
  state: AccountState;
  orders: Order[];
  /** Every order's deal, in execution order (rejected ones with amount 0). */
  deals: { order: Order; deal: Deal }[];
  trades: TradeRow[];
  report: ReportRow;
  positions: PositionsRow;
}

/** Scores by date, then instrument. */
export type ScoreTable = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** Builds a score table from rows; non-finite scores are dropped. */
export function scoreTable(rows: Iterable<{ date: string; instrument: string; score: number }>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (!Number.isFinite(r.score)) continue;
    let m = out.get(r.date);
    if (!m) out.set(r.date, (m = new Map()));
    m.set(r.instrument, r.score);
  }
  return out;
}

const SORTED_DATES = new WeakMap<ScoreTable, string[]>();
const SORTED_SCORES = new WeakMap<ReadonlyMap<string, number>, Map<string, number>>();

/**
 * The signal a strategy uses on trading day `date`: for each instrument the
 * last score dated in [predDate, date) (Qlib's `get_signal` over the step
 * before), instruments sorted; null when there is none.
 */
export function selectScores(table: ScoreTable, predDate: string | null, date: string): ReadonlyMap<string, number> | null {
  if (predDate === null) return null;
  let keys = SORTED_DATES.get(table);
  if (!keys || keys.length !== table.size) SORTED_DATES.set(table, (keys = [...table.keys()].sort()));
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < predDate) lo = mid + 1;
    else hi = mid;
  }
  const dates: string[] = [];
  for (let k = lo; k < keys.length && keys[k]! < date; k++) dates.push(keys[k]!);
  if (!dates.length) return null;
  if (dates.length === 1) {
    // the usual case: one score date; its sorted copy is shared (read-only)
    const inner = table.get(dates[0]!)!;
    let cached = SORTED_SCORES.get(inner);
    if (!cached) {
      cached = new Map<string, number>();
      for (const c of [...inner.keys()].sort()) cached.set(c, inner.get(c)!);
      SORTED_SCORES.set(inner, cached);
    }
    return cached;
  }
  const picked = new Map<string, number>();
  for (const d of dates) for (const [c, s] of table.get(d)!) picked.set(c, s);
  const sorted = new Map<string, number>();
  for (const c of [...picked.keys()].sort()) sorted.set(c, picked.get(c)!);
  return sorted;
}

/** Qlib's `account`: initial cash, or `{cash, CODE: amount | {amount, price?}}`. */
export type AccountSpec = number | ({ cash: number } & Record<string, number | { amount: number; price?: number }>);

/**
 * The state before the first trading day. Holdings without a price take the
 * last close within the 30 calendar days up to `start` (Qlib's
 * `fill_stock_value`), read through `lastClose`.
 */
export function initialAccountState(account: AccountSpec, lastClose?: (code: string) => number | null): AccountState {
  if (typeof account === 'number') {
    return { init_cash: account, cash: account, holdings: {}, total_turnover: 0, total_cost: 0, last_account_value: null, last_date: null };
  }
  const { cash, ...rest } = account;
  if (typeof cash !== 'number') throw new QonlineError('QONLINE_CONFIG_INVALID', 'account: `cash` (a number) is required when the account is a mapping');
  const holdings: Record<string, Holding> = {};
  for (const [code, v] of Object.entries(rest)) {
    const amount = typeof v === 'number' ? v : v.amount;
    let price = typeof v === 'number' ? undefined : v.price;
    if (price === undefined) {
      const p = lastClose?.(code) ?? null;
      if (p === null) throw new QonlineError('QONLINE_CONFIG_INVALID', `account: ${code} has no price and no close in the 30 days up to the start`);
      price = p;
    }
    holdings[code] = { amount, price, count_day: 0, weight: 0 };
  }
  return { init_cash: cash, cash, holdings, total_turnover: 0, total_cost: 0, last_account_value: null, last_date: null };
}

/**
 * One trading day, as Qlib's executor runs it: the strategy's orders from the
 * state at the start of the day; each order dealt in turn against the
 * account (a deal above 1e-5 in value changes cash and holdings and adds to
 * turnover and cost); at the close, holdings take the day's close (suspended
 * or delisted ones keep their last price), hold counts + 1, the report row and
 * the positions. Pure: the input state is not changed.
 */
export function tradeDay(input: {
  state: AccountState;
  date: string;
  predDate: string | null;
  scores: ReadonlyMap<string, number> | null;
  strategy: TradingStrategy;
  exchange: Exchange;
  /** The benchmark's return that day; null/undefined without a benchmark. */
  bench?: number | null;
}): DayResult {
  const { state, date, exchange } = input;
  const position = Position.fromState(state);
  const orders = input.strategy.generateOrders({ date, predDate: input.predDate, scores: input.scores, position: position.clone(), exchange });
  let totalTurnover = state.total_turnover;
  let totalCost = state.total_cost;
  const dealt = new Map<string, number>();
  const deals: DayResult['deals'] = [];
  const trades: TradeRow[] = [];
  for (const order of orders) {
    const deal = exchange.deal(order, position, dealt);
    if (deal.tradeValue > 1e-5) {
      totalTurnover += deal.tradeValue;
      totalCost += deal.cost;
      position.apply(order.instrument, order.direction, deal.tradeValue, deal.cost, deal.price);
      trades.push({ date, instrument: order.instrument, direction: order.direction, amount: deal.dealAmount, price: deal.price, cost: deal.cost, value: deal.tradeValue });
    }
    deals.push({ order, deal });
    dealt.set(order.instrument, (dealt.get(order.instrument) ?? 0) + deal.dealAmount);
  }
  position.endBar((code) => (exchange.isSuspended(code, date) ? null : exchange.close(code, date)));
  const lastValue = state.last_account_value ?? state.init_cash;
  const account = position.value();
  const stockValue = position.stockValue();
  const nowCost = totalCost - state.total_cost;
  const nowTurnover = totalTurnover - state.total_turnover;
  const report: ReportRow = {
    date,
    account,
    return: (account - lastValue + nowCost) / lastValue,
    total_turnover: totalTurnover,
    turnover: nowTurnover / lastValue,
    total_cost: totalCost,
    cost: nowCost / lastValue,
    value: stockValue,
    cash: position.cash,
    bench: input.bench ?? null,
  };
  position.updateWeights();
  const holdings = position.holdingsRecord();
  const positions: PositionsRow = {
    date,
    cash: position.cash,
    account,
    holdings: Object.fromEntries(Object.entries(holdings).map(([c, h]) => [c, { amount: h.amount, price: h.price, weight: h.weight, count_day: h.count_day }])),
  };
  return {
    state: { init_cash: state.init_cash, cash: position.cash, holdings, total_turnover: totalTurnover, total_cost: totalCost, last_account_value: account, last_date: date },
    orders,
    deals,
    trades,
    report,
    positions,
  };
}

/**
 * Qlib's `bench`: the benchmark's (or, for a list, the mean of the
 * instruments') `$close/Ref($close,1)-1` over [start, end], a day without
 * any value giving 0; a trading day missing from it gives 0 too.
 */
export async function loadBenchmark(provider: DataProvider, benchmark: string | readonly string[], start: string, end: string): Promise<Map<string, number>> {
  const codes = typeof benchmark === 'string' ? [benchmark] : [...benchmark];
  const frame = await provider.features({ instruments: codes, fields: ['$close/Ref($close,1)-1'], start, end });
  if (frame.rows === 0) throw new QonlineError('QONLINE_CONFIG_INVALID', `benchmark ${codes.join(', ')} does not exist in the data (no rows between ${start} and ${end})`);
  const sum = new Float64Array(frame.dates.length);
  const cnt = new Int32Array(frame.dates.length);
  const seen = new Uint8Array(frame.dates.length);
  const col = frame.data[0]!;
  for (let r = 0; r < frame.rows; r++) {
    const d = frame.rowDate[r]!;
    seen[d] = 1;
    const v = col[r]!;
    if (!Number.isNaN(v)) {
      sum[d] += v;
      cnt[d]! += 1;
    }
  }
  const out = new Map<string, number>();
  frame.dates.forEach((d, i) => {
    if (seen[i]) out.set(d, cnt[i] ? sum[i]! / cnt[i]! : 0);
  });
  return out;
}

export interface BacktestResult {
  report: ReportRow[];
  positions: PositionsRow[];
  trades: TradeRow[];
}

export interface RunBacktestInput {
  provider: DataProvider;
  scores: ScoreTable;
  strategy: TradingStrategy;
  /** An opened exchange, or its options (opened over [start, end]). */
  exchange?: Exchange | ExchangeOptions;
  region?: Region;
  /** Initial cash (default 1e9, Qlib's) or cash and holdings. */
  account?: AccountSpec;
  start: string;
  end: string;
  /** An instrument or a list (their mean change); null/absent: no bench column. */
  benchmark?: string | readonly string[] | null;
}

/**
 * Qlib's daily backtest: every trading day in [start, end], the strategy
 * trades on the scores dated the calendar day before.
 */
export async function runBacktest(input: RunBacktestInput): Promise<BacktestResult> {
  const { provider, start, end } = input;
  const cal = await provider.calendar('day');
  const i0 = cal.lowerBound(start);
  const days = cal.dates.slice(i0).filter((d) => d <= end);
  if (!days.length) throw new QonlineError('QONLINE_CONFIG_INVALID', `backtest: no trading day between ${start} and ${end}`);
  const exchange = input.exchange instanceof Exchange ? input.exchange : await Exchange.open(provider, { ...(input.exchange ?? {}), region: input.region ?? 'cn', start: days[0]!, end: days[days.length - 1]! });
  const bench = input.benchmark ? await loadBenchmark(provider, input.benchmark, days[0]!, days[days.length - 1]!) : null;
  let state: AccountState;
  const account = input.account ?? 1e9;
  if (typeof account === 'number') state = initialAccountState(account);
  else {
    const codes = Object.keys(account).filter((k) => k !== 'cash');
    const need = codes.filter((c) => {
      const v = account[c];
      return typeof v === 'number' || v?.price === undefined;
    });
    const closes = new Map<string, number>();
    if (need.length) {
      const from = new Date(Date.parse(`${start}T00:00:00Z`) - 30 * 86400000).toISOString().slice(0, 10);
      const frame = await provider.features({ instruments: need, fields: ['$close'], start: from, end: start });
      for (let r = 0; r < frame.rows; r++) {
        const v = frame.data[0]![r]!;
        if (!Number.isNaN(v)) closes.set(frame.instruments[frame.rowInst[r]!]!, v);
      }
    }
    state = initialAccountState(account, (c) => closes.get(c) ?? null);
  }
  const result: BacktestResult = { report: [], positions: [], trades: [] };
  for (const date of days) {
    const idx = cal.indexOf(date);
    const predDate = idx > 0 ? cal.dates[idx - 1]! : null;
    const day = tradeDay({
      state,
      date,
      predDate,
      scores: selectScores(input.scores, predDate, date),
      strategy: input.strategy,
      exchange,
      bench: bench ? bench.get(date) ?? 0 : null,
    });
    state = day.state;
    result.report.push(day.report);
    result.positions.push(day.positions);
    result.trades.push(...day.trades);
  }
  return result;
}
