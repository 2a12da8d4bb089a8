import { QonlineError } from '../../../core/index.js';
import type { DealPosition, Direction } from './exchange.js';

/** One holding, in adjusted terms (amount x price = value). */
export interface Holding {
  amount: number;
  /** The last known close (or the buy price on the day bought, until the bar end). */
  price: number;
  /** Bars held, counted at each bar end (0 before the first count: Qlib's missing `count_day`). */
  count_day: number;
  /** Weight in the account value at the last bar end. */
  weight: number;
}

/**
 * The whole state of a backtest account between two trading days, as plain
 * JSON: what the day-by-day API takes in and gives back.
 */
export interface AccountState {
  /** Qlib's `init_cash`: the base of the first day's return (cash only, as Qlib, even with initial holdings). */
  init_cash: number;
  cash: number;
  holdings: Record<string, Holding>;
  /** Accumulated traded value and cost since the start. */
  total_turnover: number;
  total_cost: number;
  /** The account value of the last report row; null before the first trading day. */
  last_account_value: number | null;
  /** The last trading day processed; null before the first. */
  last_date: string | null;
}

/** Qlib's `Position`: cash and holdings, updated by deals. */
export class Position implements DealPosition {
  cash: number;
  readonly holdings: Map<string, Holding>;

  constructor(cash: number, holdings: Iterable<[string, Holding]> = []) {
    this.cash = cash;
    this.holdings = new Map([...holdings].map(([k, h]) => [k, { ...h }]));
  }

  static fromState(state: AccountState): Position {
    return new Position(state.cash, Object.entries(state.holdings));
  }

  clone(): Position {
    return new Position(this.cash, this.holdings);
  }

  getCash(): number {
    return this.cash;
  }

  getAmount(code: string): number | undefined {
    return this.holdings.get(code)?.amount;
  }

  getPrice(code: string): number | undefined {
    return this.holdings.get(code)?.price;
  }

  getCount(code: string): number {
    return this.holdings.get(code)?.count_day ?? 0;
  }

  /** Held codes, sorted (Qlib iterates a set; sorting makes the order reproducible). */
  stocks(): string[] {
    return [...this.holdings.keys()].sort();
  }

  amounts(): Map<string, number> {
    return new Map(this.stocks().map((c) => [c, this.holdings.get(c)!.amount]));
  }

  stockValue(): number {
    let v = 0;
    for (const c of this.stocks()) {
      const h = this.holdings.get(c)!;
      v += h.amount * h.price;
    }
    return v;
  }

  value(): number {
    return this.stockValue() + this.cash;
  }

  /** Applies a deal: amount = value / price, as Qlib's `update_order`. */
  apply(code: string, direction: Direction, tradeValue: number, cost: number, price: number): void {
    const amount = tradeValue / price;
    if (direction === 'buy') {
      const h = this.holdings.get(code);
      if (h) h.amount += amount;
      else this.holdings.set(code, { amount, price, count_day: 0, weight: 0 });
      this.cash -= tradeValue + cost;
    } else {
      const h = this.holdings.get(code);
      if (!h) throw new QonlineError('QONLINE_INTERNAL', `backtest: selling ${code}, which is not held`);
      h.amount -= amount;
      if (h.amount < -1e-5) throw new QonlineError('QONLINE_INTERNAL', `backtest: only ${h.amount + amount} ${code} held, selling ${amount}`);
      if (Math.abs(h.amount) <= 1e-5) this.holdings.delete(code);
      this.cash += tradeValue - cost;
    }
  }

  /** Bar end: prices to the close (suspended holdings keep theirs), counts + 1. */
  endBar(close: (code: string) => number | null): void {
    for (const c of this.stocks()) {
      const h = this.holdings.get(c)!;
      const p = close(c);
      if (p !== null) h.price = p;
      h.count_day += 1;
    }
  }

  updateWeights(): void {
    const total = this.value();
    for (const c of this.stocks()) {
      const h = this.holdings.get(c)!;
      h.weight = (h.amount * h.price) / total;
    }
  }

  holdingsRecord(): Record<string, Holding> {
    const out: Record<string, Holding> = {};
    for (const c of this.stocks()) out[c] = { ...this.holdings.get(c)! };
    return out;
  }
}
