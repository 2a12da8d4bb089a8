import { QonlineError } from '../../../core/index.js';
import type { Direction, Exchange, Order } from './exchange.js';
import type { Position } from './position.js';
import { PyRandom } from './py-random.js';

/** What a trading strategy sees on trading day `date`. */
export interface DayContext {
  /** The trading day. */
  date: string;
  /** The calendar day before `date` (the scores' date); null on the calendar's first day. */
  predDate: string | null;
  /** The signal for the window [predDate, date): instrument -> score (or target weight); null when there is none. */
  scores: ReadonlyMap<string, number> | null;
  /** A copy of the account's position at the start of the day: the strategy may change it. */
  position: Position;
  exchange: Exchange;
}

/** A trading strategy: the orders of one day, in execution order. */
export interface TradingStrategy {
  readonly name: string;
  generateOrders(ctx: DayContext): Order[];
}

/** Python's `seq[start:stop]`. */
function pySlice<T>(seq: readonly T[], start?: number, stop?: number): T[] {
  const n = seq.length;
  const norm = (i: number | undefined, dflt: number): number => {
    if (i === undefined) return dflt;
    if (i < 0) return Math.max(0, n + i);
    return Math.min(n, i);
  };
  return seq.slice(norm(start, 0), norm(stop, n));
}

/** pandas `sort_values(ascending=False)` with NaN last; ties keep the input order. */
function sortByScoreDesc(codes: readonly string[], score: (c: string) => number): string[] {
  const keyed = codes.map((c, i) => ({ c, i, s: score(c) }));
  keyed.sort((a, b) => {
    const an = Number.isNaN(a.s);
    const bn = Number.isNaN(b.s);
    if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1;
    return b.s - a.s || a.i - b.i;
  });
  return keyed.map((k) => k.c);
}

const RANKED = new WeakMap<ReadonlyMap<string, number>, string[]>();

/** The signal's codes by score, best first (cached per signal map: days share them). */
function rankedCodes(scores: ReadonlyMap<string, number>): string[] {
  let r = RANKED.get(scores);
  if (!r) {
    r = sortByScoreDesc([...scores.keys()], (c) => scores.get(c) ?? NaN);
    RANKED.set(scores, r);
  }
  return r;
}

/** A small seeded generator for the `random` methods (Qlib draws them unseeded from numpy). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** numpy's `choice(candi, n, replace=False)`: throws when n is out of range (the caller falls back as Qlib). */
function choice<T>(rand: () => number, candi: readonly T[], n: number): T[] {
  if (n < 0 || n > candi.length) throw new RangeError('choice');
  const pool = [...candi];
  const out: T[] = [];
  for (let k = 0; k < n; k++) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]!);
  return out;
}

export interface TopkDropoutOptions {
  topk: number;
  n_drop: number;
  /** `bottom` (default) or `random`. */
  method_sell?: 'bottom' | 'random';
  /** `top` (default) or `random`. */
  method_buy?: 'top' | 'random';
  /** Minimum bars held before a sell (default 1). */
  hold_thresh?: number;
  /** Choose only among instruments tradable on the trade day (default false). */
  only_tradable?: boolean;
  /** A stock at either limit can be neither bought nor sold (default true, as Qlib). */
  forbid_all_trade_at_limit?: boolean;
  /** Share of the cash spent on buys (default 0.95). */
  risk_degree?: number;
  /** Seed of the `random` methods (Qlib's are unseeded). Default 0. */
  seed?: number;
}

/**
 * Qlib's `TopkDropoutStrategy`: holds `topk` instruments; each day drops the
 * `n_drop` worst held by the previous day's scores (when a better one is
 * available) and buys the best not held, splitting `risk_degree` of the cash
 * (after the day's sells) equally among the buys.
 */
export class TopkDropoutStrategy implements TradingStrategy {
  readonly name = 'TopkDropoutStrategy';
  readonly o: Required<TopkDropoutOptions>;
  private readonly rand: () => number;

  constructor(options: TopkDropoutOptions) {
    this.o = {
      method_sell: 'bottom',
      method_buy: 'top',
      hold_thresh: 1,
      only_tradable: false,
      forbid_all_trade_at_limit: true,
      risk_degree: 0.95,
      seed: 0,
      ...options,
    };
    if (!Number.isInteger(this.o.topk) || !Number.isInteger(this.o.n_drop)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `TopkDropoutStrategy: topk and n_drop must be integers, found ${this.o.topk}, ${this.o.n_drop}`);
    }
    this.rand = mulberry32(this.o.seed);
  }

  generateOrders(ctx: DayContext): Order[] {
    const { date, scores, exchange } = ctx;
    if (!scores) return [];
    const o = this.o;
    const tradable = (c: string): boolean => exchange.isTradable(c, date);
    const getFirstN = (li: readonly string[], n: number, reverse = false): string[] => {
      if (!o.only_tradable) return reverse ? pySlice(li, -n) : pySlice(li, 0, n);
      const res: string[] = [];
      const seq = reverse ? [...li].reverse() : li;
      for (const s of seq) {
        if (tradable(s)) {
          res.push(s);
          if (res.length >= n) break;
        }
      }
      return reverse ? res.reverse() : res;
    };
    const getLastN = (li: readonly string[], n: number): string[] => getFirstN(li, n, true);
    const filterStock = (li: readonly string[]): string[] => (o.only_tradable ? li.filter(tradable) : [...li]);
    const score = (c: string): number => scores.get(c) ?? NaN;

    const current = ctx.position;
    let cash = current.getCash();
    const currentStocks = current.stocks();
    const last = sortByScoreDesc(currentStocks, score);
    const lastSet = new Set(last);
    let today: string[];
    if (o.method_buy === 'top') {
      // filtering the whole ranking keeps the order sorting the filtered codes would give
      today = getFirstN(rankedCodes(scores).filter((c) => !lastSet.has(c)), o.n_drop + o.topk - last.length);
    } else if (o.method_buy === 'random') {
      const topkCandi = getFirstN(rankedCodes(scores), o.topk);
      const candi = topkCandi.filter((c) => !lastSet.has(c));
      try {
        today = choice(this.rand, candi, o.n_drop + o.topk - last.length);
      } catch {
        today = candi;
      }
    } else throw new QonlineError('QONLINE_CONFIG_INVALID', `method_buy ${String(o.method_buy)} is not supported (top, random)`);
    // pandas Index.union sorts; then by score
    const comb = sortByScoreDesc([...new Set([...last, ...today])].sort(), score);
    let sell: string[];
    if (o.method_sell === 'bottom') {
      const drop = new Set(getLastN(comb, o.n_drop));
      sell = last.filter((c) => drop.has(c));
    } else if (o.method_sell === 'random') {
      const candi = filterStock(last);
      try {
        sell = last.length ? choice(this.rand, candi, o.n_drop) : [];
      } catch {
        sell = candi;
      }
    } else throw new QonlineError('QONLINE_CONFIG_INVALID', `method_sell ${String(o.method_sell)} is not supported (bottom, random)`);
    const buy = pySlice(today, 0, sell.length + o.topk - last.length);
    const sellSet = new Set(sell);
    const sellDir: Direction | undefined = o.forbid_all_trade_at_limit ? undefined : 'sell';
    const buyDir: Direction | undefined = o.forbid_all_trade_at_limit ? undefined : 'buy';
    const orders: Order[] = [];
    for (const code of currentStocks) {
      if (!exchange.isTradable(code, date, sellDir)) continue;
      if (!sellSet.has(code)) continue;
      if (current.getCount(code) < o.hold_thresh) continue;
      const order: Order = { instrument: code, direction: 'sell', amount: current.getAmount(code)!, date };
      if (exchange.isTradable(code, date, 'sell')) {
        orders.push(order);
        const d = exchange.deal(order, current);
        if (d.tradeValue > 1e-5) current.apply(code, 'sell', d.tradeValue, d.cost, d.price);
        cash += d.tradeValue - d.cost;
      }
    }
    const value = buy.length > 0 ? (cash * o.risk_degree) / buy.length : 0;
    for (const code of buy) {
      if (!exchange.isTradable(code, date, buyDir)) continue;
      const price = exchange.dealPrice(code, date, 'buy');
      const amount = exchange.roundAmount(value / price, exchange.factor(code, date));
      orders.push({ instrument: code, direction: 'buy', amount, date });
    }
    return orders;
  }
}

export interface WeightStrategyOptions {
  /** Share of the account value to invest (default 0.95). */
  risk_degree?: number;
}

/**
 * Target weights per date from the signal (the signal's value for an
 * instrument is its weight), turned into orders as Qlib's
 * `WeightStrategyBase` with its default `OrderGenWOInteract`: target amount =
 * risk_degree x account value x weight / the score date's close (the held
 * price when not tradable then), orders for the rounded differences, sells
 * before buys, in Python's `random.seed(0)` shuffle of the sorted codes.
 */
export class WeightStrategy implements TradingStrategy {
  readonly name = 'WeightStrategy';
  readonly riskDegree: number;

  constructor(options: WeightStrategyOptions = {}) {
    this.riskDegree = options.risk_degree ?? 0.95;
  }

  generateOrders(ctx: DayContext): Order[] {
    const { date, predDate, scores, exchange } = ctx;
    if (!scores) return [];
    const current = ctx.position;
    const riskTotal = this.riskDegree * current.value();
    const target = new Map<string, number>();
    for (const [code, w] of scores) {
      if (exchange.isTradable(code, date) && predDate !== null && exchange.isTradable(code, predDate)) {
        target.set(code, (riskTotal * w) / exchange.close(code, predDate));
      } else if (current.getAmount(code) !== undefined) {
        target.set(code, (riskTotal * w) / current.getPrice(code)!);
      }
    }
    return ordersForTargetAmounts(exchange, target, current.amounts(), date);
  }
}

/** Qlib's `generate_order_for_target_amount_position`. */
export function ordersForTargetAmounts(exchange: Exchange, target: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, date: string): Order[] {
  const ids = [...new Set([...current.keys(), ...target.keys()])].sort();
  new PyRandom(0).shuffle(ids);
  const sells: Order[] = [];
  const buys: Order[] = [];
  for (const code of ids) {
    if (!exchange.isTradable(code, date)) continue;
    const deal = exchange.realDealAmount(current.get(code) ?? 0, target.get(code) ?? 0, exchange.factor(code, date));
    if (deal === 0) continue;
    if (deal > 0) buys.push({ instrument: code, direction: 'buy', amount: deal, date });
    else sells.push({ instrument: code, direction: 'sell', amount: Math.abs(deal), date });
  }
  return [...sells, ...buys];
}
