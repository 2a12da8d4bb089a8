import { QonlineError, type DataProvider } from '../../../core/index.js';
import { pyFloorDiv, pyMax, pyMin } from './py-math.js';

export type Region = 'cn' | 'us';
export type Direction = 'buy' | 'sell';

/** A volume limit: `['current', expr]` caps each order by the day's value, `['cum', expr]` by the value minus what was dealt today. */
export type VolumeLimit = readonly ['cum' | 'current', string];

/**
 * Qlib's `exchange_kwargs`. A key that is absent takes Qlib's default; an
 * explicit `null` is Qlib's `None` (for `limit_threshold` and `deal_price`
 * that is the region's value, for `trade_unit` it disables rounding).
 */
export interface ExchangeOptions {
  freq?: string;
  /** `close`, `open`, `vwap`, any expression, or `[buy, sell]`; `$` is prepended when missing. Default (and null): the region's `close`. */
  deal_price?: string | readonly [string, string] | null;
  /** Default 0.0015. */
  open_cost?: number;
  /** Default 0.0025. */
  close_cost?: number;
  /** Default 5. */
  min_cost?: number;
  /** Default 0. */
  impact_cost?: number;
  /** A float (`$change` >= t stops buys, <= -t stops sells) or `[buyLimitExpr, sellLimitExpr]`; null/absent: the region's (cn 0.095, us none). */
  limit_threshold?: number | readonly [string, string] | null;
  /** Absent: the region's (cn 100, us 1); null disables rounding. */
  trade_unit?: number | null;
  volume_threshold?: VolumeLimit | { all?: VolumeLimit; buy?: VolumeLimit; sell?: VolumeLimit } | null;
  /** A market name (rows masked to its membership spans) or a list of codes. Default `all`. */
  codes?: string | readonly string[];
}

/** Qlib's region constants (qlib/config.py). */
export const REGION_DEFAULTS: Record<Region, { trade_unit: number; limit_threshold: number | null; deal_price: string }> = {
  cn: { trade_unit: 100, limit_threshold: 0.095, deal_price: 'close' },
  us: { trade_unit: 1, limit_threshold: null, deal_price: 'close' },
};

/** The options after defaults: what the exchange trades with. */
export interface ResolvedExchangeOptions {
  freq: string;
  buyPrice: string;
  sellPrice: string;
  openCost: number;
  closeCost: number;
  minCost: number;
  impactCost: number;
  limit: { type: 'none' } | { type: 'float'; threshold: number } | { type: 'expr'; buy: string; sell: string };
  tradeUnit: number | null;
  buyVolLimits: VolumeLimit[] | null;
  sellVolLimits: VolumeLimit[] | null;
  codes: string | readonly string[];
}

function dollar(p: string): string {
  return p.startsWith('$') ? p : `$${p}`;
}

export function resolveExchangeOptions(options: ExchangeOptions = {}, region: Region = 'cn'): ResolvedExchangeOptions {
  const r = REGION_DEFAULTS[region];
  if (!r) throw new QonlineError('QONLINE_CONFIG_INVALID', `region must be cn or us, found ${JSON.stringify(region)}`);
  const freq = options.freq ?? 'day';
  if (freq !== 'day') throw new QonlineError('QONLINE_CONFIG_INVALID', `exchange freq ${JSON.stringify(freq)} is not supported (only day)`);
  const dp = options.deal_price ?? r.deal_price;
  let buyPrice: string;
  let sellPrice: string;
  if (typeof dp === 'string') buyPrice = sellPrice = dollar(dp);
  else if (Array.isArray(dp) && dp.length === 2) [buyPrice, sellPrice] = [dp[0], dp[1]] as [string, string];
  else throw new QonlineError('QONLINE_CONFIG_INVALID', `deal_price must be a string or [buy, sell], found ${JSON.stringify(dp)}`);
  const lt = options.limit_threshold ?? r.limit_threshold;
  let limit: ResolvedExchangeOptions['limit'];
  if (lt === null) limit = { type: 'none' };
  else if (typeof lt === 'number') limit = { type: 'float', threshold: lt };
  else if (Array.isArray(lt) && lt.length === 2) limit = { type: 'expr', buy: lt[0], sell: lt[1] };
  else throw new QonlineError('QONLINE_CONFIG_INVALID', `limit_threshold must be a number, [buyExpr, sellExpr] or null, found ${JSON.stringify(lt)}`);
  const tradeUnit = options.trade_unit === undefined ? r.trade_unit : options.trade_unit;
  let buyVolLimits: VolumeLimit[] | null = null;
  let sellVolLimits: VolumeLimit[] | null = null;
  const vt = options.volume_threshold;
  if (vt !== undefined && vt !== null) {
    const entries: [string, VolumeLimit][] = Array.isArray(vt) ? [['all', vt as VolumeLimit]] : Object.entries(vt as Record<string, VolumeLimit>);
    buyVolLimits = [];
    sellVolLimits = [];
    for (const [key, lim] of entries) {
      if (!Array.isArray(lim) || lim.length !== 2 || (lim[0] !== 'cum' && lim[0] !== 'current') || typeof lim[1] !== 'string') {
        throw new QonlineError('QONLINE_CONFIG_INVALID', `volume_threshold.${key} must be ["cum" | "current", expression], found ${JSON.stringify(lim)}`);
      }
      if (key !== 'all' && key !== 'buy' && key !== 'sell') throw new QonlineError('QONLINE_CONFIG_INVALID', `volume_threshold keys are all, buy, sell; found ${JSON.stringify(key)}`);
      if (key === 'buy' || key === 'all') buyVolLimits.push(lim);
      if (key === 'sell' || key === 'all') sellVolLimits.push(lim);
    }
  }
  return {
    freq,
    buyPrice,
    sellPrice,
    openCost: options.open_cost ?? 0.0015,
    closeCost: options.close_cost ?? 0.0025,
    minCost: options.min_cost ?? 5,
    impactCost: options.impact_cost ?? 0,
    limit,
    tradeUnit,
    buyVolLimits,
    sellVolLimits,
    codes: options.codes ?? 'all',
  };
}

/** What the exchange needs of an account's position to deal an order. */
export interface DealPosition {
  getCash(): number;
  /** The held amount, or undefined when not held. */
  getAmount(code: string): number | undefined;
}

export interface Order {
  instrument: string;
  direction: Direction;
  /** Adjusted amount asked for. */
  amount: number;
  date: string;
}

export interface Deal {
  /** Adjusted amount dealt (0 when rejected). */
  dealAmount: number;
  tradeValue: number;
  cost: number;
  /** NaN when the order was rejected before pricing (limit, suspension). */
  price: number;
  factor: number | null;
}

function isClose(a: number, b: number): boolean {
  // numpy.isclose defaults: rtol 1e-5, atol 1e-8
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/**
 * Qlib's `Exchange` over the data layer: a quote of the fields it trades on
 * for the instruments and the dates [start, end], read once. A date or an
 * instrument outside the quote is suspended (Qlib's quote has nothing there).
 * Values are float32 from the data, computed with in float64.
 */
export class Exchange {
  readonly options: ResolvedExchangeOptions;
  readonly dates: readonly string[];
  readonly instruments: readonly string[];
  /** Qlib's `trade_w_adj_price`: a factor is missing where a close exists, so trade-unit rounding is off. */
  readonly tradeWithAdjustedPrice: boolean;
  private readonly dateIndex = new Map<string, number>();
  private readonly instIndex = new Map<string, number>();
  private readonly cols = new Map<string, Float64Array>();
  private readonly limitBuy: Uint8Array;
  private readonly limitSell: Uint8Array;

  private constructor(options: ResolvedExchangeOptions, dates: readonly string[], instruments: readonly string[], cols: Map<string, Float64Array>) {
    this.options = options;
    this.dates = dates;
    this.instruments = instruments;
    dates.forEach((d, i) => this.dateIndex.set(d, i));
    instruments.forEach((c, i) => this.instIndex.set(c, i));
    this.cols = cols;
    const close = cols.get('$close')!;
    const factor = cols.get('$factor')!;
    let adj = false;
    for (let k = 0; k < close.length; k++) if (Number.isNaN(factor[k]!) && !Number.isNaN(close[k]!)) adj = true;
    this.tradeWithAdjustedPrice = adj;
    const n = close.length;
    this.limitBuy = new Uint8Array(n);
    this.limitSell = new Uint8Array(n);
    const lim = options.limit;
    const change = cols.get('$change')!;
    for (let k = 0; k < n; k++) {
      const suspended = Number.isNaN(close[k]!);
      let lb = suspended;
      let ls = suspended;
      if (lim.type === 'float') {
        lb ||= change[k]! >= lim.threshold;
        ls ||= change[k]! <= -lim.threshold;
      } else if (lim.type === 'expr') {
        // pandas astype(bool): NaN is True, 0 is False
        const b = cols.get(lim.buy)![k]!;
        const s = cols.get(lim.sell)![k]!;
        lb ||= b !== 0;
        ls ||= s !== 0;
      }
      this.limitBuy[k] = lb ? 1 : 0;
      this.limitSell[k] = ls ? 1 : 0;
    }
  }

  /** The fields the exchange reads: the deal prices, `$close`, `$change`, `$factor`, `$volume`, limit and volume expressions. */
  static fieldsOf(o: ResolvedExchangeOptions): string[] {
    const set = new Set<string>([o.buyPrice, o.sellPrice, '$close', '$change', '$factor', '$volume']);
    if (o.limit.type === 'expr') {
      set.add(o.limit.buy);
      set.add(o.limit.sell);
    }
    for (const l of [...(o.buyVolLimits ?? []), ...(o.sellVolLimits ?? [])]) set.add(l[1]);
    return [...set];
  }

  /** Reads the quote for [start, end] from the data layer. */
  static async open(provider: DataProvider, options: { start: string; end: string; region?: Region } & ExchangeOptions): Promise<Exchange> {
    const resolved = resolveExchangeOptions(options, options.region ?? 'cn');
    const fields = Exchange.fieldsOf(resolved);
    const codes = typeof resolved.codes === 'string' ? resolved.codes : [...resolved.codes];
    const frame = await provider.features({ instruments: codes, fields, start: options.start, end: options.end, freq: resolved.freq });
    const nd = frame.dates.length;
    const ni = frame.instruments.length;
    const cols = new Map<string, Float64Array>();
    fields.forEach((f, c) => {
      const out = new Float64Array(nd * ni).fill(NaN);
      const src = frame.data[c]!;
      for (let r = 0; r < frame.rows; r++) out[frame.rowDate[r]! * ni + frame.rowInst[r]!] = src[r]!;
      cols.set(f, out);
    });
    return new Exchange(resolved, frame.dates, frame.instruments, cols);
  }

  /** An exchange over an in-memory quote: `quote[field][date][instrument]` (tests, simulations). */
  static fromQuote(quote: Record<string, Record<string, Record<string, number>>>, options: { region?: Region } & ExchangeOptions = {}): Exchange {
    const resolved = resolveExchangeOptions(options, options.region ?? 'cn');
    const fields = Exchange.fieldsOf(resolved);
    const dateSet = new Set<string>();
    const instSet = new Set<string>();
    for (const byDate of Object.values(quote)) for (const [d, byInst] of Object.entries(byDate)) {
      dateSet.add(d);
      for (const i of Object.keys(byInst)) instSet.add(i);
    }
    const dates = [...dateSet].sort();
    const insts = [...instSet].sort();
    const cols = new Map<string, Float64Array>();
    for (const f of fields) {
      const out = new Float64Array(dates.length * insts.length).fill(NaN);
      const byDate = quote[f] ?? {};
      dates.forEach((d, di) => insts.forEach((c, ii) => {
        const v = byDate[d]?.[c];
        if (v !== undefined && v !== null) out[di * insts.length + ii] = v;
      }));
      cols.set(f, out);
    }
    return new Exchange(resolved, dates, insts, cols);
  }

  private at(code: string, date: string): number {
    const d = this.dateIndex.get(date);
    const i = this.instIndex.get(code);
    if (d === undefined || i === undefined) return -1;
    return d * this.instruments.length + i;
  }

  /** A quoted field's value (NaN when absent). */
  quote(field: string, code: string, date: string): number {
    const k = this.at(code, date);
    const col = this.cols.get(field);
    if (!col) throw new QonlineError('QONLINE_INTERNAL', `exchange: field ${field} is not in the quote`);
    return k < 0 ? NaN : col[k]!;
  }

  hasInstrument(code: string): boolean {
    return this.instIndex.has(code);
  }

  /** Suspended: no close that day, or the instrument/date is not in the quote. */
  isSuspended(code: string, date: string): boolean {
    const k = this.at(code, date);
    return k < 0 || Number.isNaN(this.cols.get('$close')![k]!);
  }

  /** At a limit: for `buy` the buy limit, for `sell` the sell limit, without a direction either. */
  isLimited(code: string, date: string, direction?: Direction): boolean {
    const k = this.at(code, date);
    if (k < 0) return true;
    if (direction === 'buy') return this.limitBuy[k] === 1;
    if (direction === 'sell') return this.limitSell[k] === 1;
    return this.limitBuy[k] === 1 || this.limitSell[k] === 1;
  }

  isTradable(code: string, date: string, direction?: Direction): boolean {
    return !(this.isSuspended(code, date) || this.isLimited(code, date, direction));
  }

  close(code: string, date: string): number {
    return this.quote('$close', code, date);
  }

  /** The deal price; a missing or non-positive one falls back to the close, as Qlib. */
  dealPrice(code: string, date: string, direction: Direction): number {
    const p = this.quote(direction === 'sell' ? this.options.sellPrice : this.options.buyPrice, code, date);
    if (Number.isNaN(p) || p <= 1e-8) return this.close(code, date);
    return p;
  }

  /** The trade day's factor; null when the instrument is not in the quote (NaN when missing that day). */
  factor(code: string, date: string): number | null {
    if (!this.instIndex.has(code)) return null;
    return this.quote('$factor', code, date);
  }

  /** Qlib's `round_amount_by_trade_unit`: whole trade units of raw shares at the given factor. */
  roundAmount(amount: number, factor: number | null): number {
    if (!this.tradeWithAdjustedPrice && this.options.tradeUnit !== null) {
      if (factor === null) throw new QonlineError('QONLINE_INTERNAL', 'exchange: a factor is needed to round to the trade unit');
      const u = this.options.tradeUnit;
      return (pyFloorDiv(amount * factor + 0.1, u) * u) / factor;
    }
    return amount;
  }

  /** Qlib's `get_amount_of_trade_unit`: one trade unit in adjusted amount, null without rounding. */
  tradeUnitAmount(factor: number): number | null {
    if (!this.tradeWithAdjustedPrice && this.options.tradeUnit !== null) return this.options.tradeUnit / factor;
    return null;
  }

  /** Qlib's `get_real_deal_amount`: the rounded change from current to target (negative sells; a full exit is never rounded). */
  realDealAmount(current: number, target: number, factor: number | null): number {
    if (current === target) return 0;
    if (current < target) return this.roundAmount(target - current, factor);
    if (target === 0) return -current;
    return -this.roundAmount(current - target, factor);
  }

  private clipByVolume(order: Order, amount: number, dealt: ReadonlyMap<string, number>): number {
    const limits = order.direction === 'buy' ? this.options.buyVolLimits : this.options.sellVolLimits;
    if (!limits) return amount;
    let min = NaN;
    limits.forEach(([kind, expr], j) => {
      const v = this.quote(expr, order.instrument, order.date);
      const lim = kind === 'current' ? v : v - (dealt.get(order.instrument) ?? 0);
      min = j === 0 ? lim : pyMin(min, lim);
    });
    return pyMax(pyMin(min, amount), 0);
  }

  private buyAmountByCash(price: number, cash: number, costRatio: number): number {
    const minCost = this.options.minCost;
    if (cash < minCost) return 0;
    const critical = minCost / costRatio + minCost;
    if (cash >= critical) return cash / (1 + costRatio) / price;
    return (cash - minCost) / price;
  }

  /**
   * Qlib's `deal_order` against a position (cash and holdings): rejected when
   * not tradable in the order's direction; otherwise clipped by volume, held
   * amount, cash, and rounded to the trade unit (not when selling the whole
   * holding); cost = max(value x rate, min_cost) with rate = open or close
   * cost plus the impact cost. The caller applies the deal when its value is
   * above 1e-5.
   */
  deal(order: Order, position: DealPosition | null, dealt: ReadonlyMap<string, number> = new Map()): Deal {
    if (!this.isTradable(order.instrument, order.date, order.direction)) {
      return { dealAmount: 0, tradeValue: 0, cost: 0, price: NaN, factor: this.factor(order.instrument, order.date) };
    }
    const o = this.options;
    const price = this.dealPrice(order.instrument, order.date, order.direction);
    const totalTradeValue = this.quote('$volume', order.instrument, order.date) * price;
    const factor = this.factor(order.instrument, order.date);
    let amount = this.clipByVolume(order, order.amount, dealt);
    let tradeValue = amount * price;
    const adj = !totalTradeValue || Number.isNaN(totalTradeValue) ? o.impactCost : o.impactCost * (tradeValue / totalTradeValue) ** 2;
    let costRatio: number;
    if (order.direction === 'sell') {
      costRatio = o.closeCost + adj;
      if (position) {
        const current = position.getAmount(order.instrument) ?? 0;
        if (!isClose(amount, current)) amount = this.roundAmount(pyMin(current, amount), factor);
        if (position.getCash() + amount * price < pyMax(amount * price * costRatio, o.minCost)) amount = 0;
      }
    } else {
      costRatio = o.openCost + adj;
      if (position) {
        const cash = position.getCash();
        tradeValue = amount * price;
        if (cash < pyMax(tradeValue * costRatio, o.minCost)) amount = 0;
        else if (cash < tradeValue + pyMax(tradeValue * costRatio, o.minCost)) {
          amount = this.roundAmount(pyMin(this.buyAmountByCash(price, cash, costRatio), amount), factor);
        } else amount = this.roundAmount(amount, factor);
      } else amount = this.roundAmount(amount, factor);
    }
    tradeValue = amount * price;
    let cost = pyMax(tradeValue * costRatio, o.minCost);
    if (tradeValue <= 1e-5) cost = 0;
    return { dealAmount: amount, tradeValue, cost, price, factor };
  }
}
