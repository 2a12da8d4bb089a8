import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QlibDataProvider } from '../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { D, SCORES, writeBacktestMarket } from '../../../helpers/backtest-market.js';
import { Exchange, initialAccountState, Position, runBacktest, scoreTable, selectScores, tradeDay, TopkDropoutStrategy, WeightStrategy, type BacktestResult } from '../../../../plugins/backtest/index.js';

let root = '';
let provider: QlibDataProvider;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'qonline-backtest-'));
  await writeBacktestMarket(root);
  provider = new QlibDataProvider({ id: 'bt-test', uri: root });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const EXCHANGE = { open_cost: 0.001, close_cost: 0.002, min_cost: 5, deal_price: 'close' };

async function run(strategyOptions: Record<string, unknown> = {}): Promise<BacktestResult> {
  return runBacktest({
    provider,
    scores: SCORES,
    strategy: new TopkDropoutStrategy({ topk: 2, n_drop: 1, risk_degree: 1, ...strategyOptions }),
    exchange: EXCHANGE,
    region: 'cn',
    account: 10000,
    start: D[1]!,
    end: D[5]!,
    benchmark: 'IDX',
  });
}

describe('TopkDropoutStrategy backtest on a 5-day x 3-instrument market (hand-computed)', () => {
  let res: BacktestResult;
  beforeAll(async () => {
    res = await run();
  });

  it('D1: buys the top 2; min_cost applies; the last buy is clipped by cash to whole trade units', () => {
    // value per buy = 10000 x 1 / 2 = 5000. A: 5000/10 = 500 -> 500 shares, value 5000, cost max(5, 5) = 5 -> cash 4995.
    // B: 5000/25 = 200 asked, 5000 + 5 > 4995: cash limit (4995 < 5/0.001 + 5) -> (4995 - 5)/25 = 199.6 -> 100 shares.
    const t = res.trades.filter((x) => x.date === D[1]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.price, x.cost])).toEqual([
      ['A', 'buy', 500, 10, 5],
      ['B', 'buy', 100, 25, 5],
    ]);
    const r = res.report[0]!;
    expect(r.date).toBe(D[1]);
    expect(r.cash).toBeCloseTo(10000 - 5005 - 2505, 9);
    expect(r.value).toBeCloseTo(5000 + 2500, 9);
    expect(r.account).toBeCloseTo(9990, 9);
    expect(r.return).toBeCloseTo((9990 - 10000 + 10) / 10000, 12);
    expect(r.turnover).toBeCloseTo(7500 / 10000, 12);
    expect(r.cost).toBeCloseTo(10 / 10000, 12);
    expect(r.total_cost).toBeCloseTo(10, 9);
    expect(r.bench).toBeCloseTo(0.25, 6); // IDX 100 -> 125
  });

  it('D2: drops the worst holding (sold whole, unrounded) and buys the best new one with the proceeds', () => {
    // scores D1: C .9, A .5, B .4 -> sell B, buy C. B 100 x 30 = 3000, cost max(6, 5) = 6 -> cash 2490 + 2994 = 5484.
    // C: 5484/5 = 1096.8 -> 1000 shares, 5000, cost 5 -> cash 479.
    const t = res.trades.filter((x) => x.date === D[2]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.price, x.cost])).toEqual([
      ['B', 'sell', 100, 30, 6],
      ['C', 'buy', 1000, 5, 5],
    ]);
    const r = res.report[1]!;
    expect(r.cash).toBeCloseTo(479, 9);
    expect(r.account).toBeCloseTo(479 + 500 * 11 + 1000 * 5, 9);
    expect(r.return).toBeCloseTo((10979 - 9990 + 11) / 9990, 12);
    expect(r.turnover).toBeCloseTo(8000 / 9990, 12);
    expect(r.bench).toBeCloseTo(-0.2, 6);
  });

  it('D3: trade-unit rounding uses the trade day\'s factor (B: 0.5 -> a unit is 200 adjusted shares)', () => {
    // sell A 500 x 12 = 6000, cost 12 -> cash 479 + 5988 = 6467. B: 6467/20 = 323.35; x0.5 = 161.675 -> 100 raw -> 200 adjusted
    // (with factor 1 it would be 300). 200 x 20 = 4000, cost max(4, 5) = 5 -> cash 2462.
    const t = res.trades.filter((x) => x.date === D[3]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.price, x.cost])).toEqual([
      ['A', 'sell', 500, 12, 12],
      ['B', 'buy', 200, 20, 5],
    ]);
    const r = res.report[2]!;
    expect(r.cash).toBeCloseTo(2462, 9);
    expect(r.account).toBeCloseTo(2462 + 1000 * 6 + 200 * 20, 9);
    expect(r.return).toBeCloseTo((12462 - 10979 + 17) / 10979, 12);
  });

  it('D4: a holding at limit-down is not sold and an instrument at limit-up is not bought', () => {
    // wants to sell B (change -0.1) and buy A (change +0.1): neither trades.
    expect(res.trades.filter((x) => x.date === D[4])).toEqual([]);
    const r = res.report[3]!;
    expect(r.cash).toBeCloseTo(2462, 9);
    expect(r.account).toBeCloseTo(2462 + 6000 + 200 * 18, 9);
    expect(r.return).toBeCloseTo((12062 - 12462) / 12462, 12);
    expect(r.cost).toBe(0);
    expect(r.turnover).toBe(0);
  });

  it('D5: a suspended and a delisted holding keep their last price and cannot be sold; counts go on', () => {
    // wants to sell B (suspended): not sold; buys A 2462/13 = 189.4 -> 100, 1300 + 5 -> cash 1157. C has no data (delisted): price 6 kept.
    const t = res.trades.filter((x) => x.date === D[5]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.price, x.cost])).toEqual([['A', 'buy', 100, 13, 5]]);
    const r = res.report[4]!;
    expect(r.cash).toBeCloseTo(1157, 9);
    expect(r.account).toBeCloseTo(1157 + 1300 + 3600 + 6000, 9);
    expect(r.return).toBeCloseTo((12057 - 12062 + 5) / 12062, 12);
    expect(r.bench).toBeCloseTo(99 / 110 - 1, 6);
    const p = res.positions[4]!;
    expect(p.holdings.B).toMatchObject({ amount: 200, price: 18, count_day: 3 });
    expect(p.holdings.C).toMatchObject({ amount: 1000, price: 6, count_day: 4 });
    expect(p.holdings.A).toMatchObject({ amount: 100, price: 13, count_day: 1 });
    expect(p.holdings.C!.weight).toBeCloseTo(6000 / 12057, 12);
  });

  it('hold_thresh 2: a holding bought the day before is not sold, the buy still happens', async () => {
    const r2 = await run({ hold_thresh: 2 });
    // D2: B held 1 day < 2 -> kept; buy C with 2490: 498 -> 400 shares, 2000 + 5 -> cash 485.
    const t = r2.trades.filter((x) => x.date === D[2]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.cost])).toEqual([['C', 'buy', 400, 5]]);
    expect(r2.report[1]!.cash).toBeCloseTo(485, 9);
    expect(Object.keys(r2.positions[1]!.holdings).sort()).toEqual(['A', 'B', 'C']);
  });

  it('only_tradable: the drop skips a holding that cannot trade and takes the next tradable one', async () => {
    const r2 = await run({ only_tradable: true });
    // D4: candidates not held: A (limit-up, not tradable) -> none; comb [C, B]; from the bottom B is at limit-down,
    // so C is the one dropped: sell C 1000 x 6 = 6000, cost 12 -> cash 2462 + 5988 = 8450; nothing to buy.
    const t = r2.trades.filter((x) => x.date === D[4]);
    expect(t.map((x) => [x.instrument, x.direction, x.amount, x.cost])).toEqual([['C', 'sell', 1000, 12]]);
    expect(r2.report[3]!.cash).toBeCloseTo(8450, 9);
  });

  it('the day-by-day API gives the same days as runBacktest', async () => {
    const exchange = await Exchange.open(provider, { ...EXCHANGE, region: 'cn', start: D[1]!, end: D[5]! });
    const strategy = new TopkDropoutStrategy({ topk: 2, n_drop: 1, risk_degree: 1 });
    let state = initialAccountState(10000);
    for (let k = 1; k <= 5; k++) {
      const day = tradeDay({ state: JSON.parse(JSON.stringify(state)), date: D[k]!, predDate: D[k - 1]!, scores: selectScores(SCORES, D[k - 1]!, D[k]!), strategy, exchange, bench: res.report[k - 1]!.bench });
      expect(day.report).toEqual(res.report[k - 1]);
      expect(day.positions).toEqual(res.positions[k - 1]);
      state = day.state;
    }
  });
});

describe('TopkDropoutStrategy with unscored holdings that cannot trade (Qlib\'s stall)', () => {
  // A, B, C trade at 10 on day d; X is delisted (not in the quote) and has no score, so pandas'
  // sort puts it last: it is always the one `bottom` drops, and the sell is skipped as untradable.
  const quote = (f: number) => ({ d: { A: f, B: f, C: f } });
  const exchange = Exchange.fromQuote({ $close: quote(10), $factor: quote(1), $change: quote(0), $volume: quote(1e9) }, { min_cost: 0, open_cost: 0, close_cost: 0 });
  const scores = new Map([['A', 1], ['B', 3], ['C', 2]]);
  const held = (codes: string[]): Position => new Position(1000, codes.map((c) => [c, { amount: 100, price: 10, count_day: 5, weight: 0 }]));
  const orders = (codes: string[], opts: Record<string, unknown> = {}) =>
    new TopkDropoutStrategy({ topk: 2, n_drop: 1, risk_degree: 1, ...opts })
      .generateOrders({ date: 'd', predDate: 'c', scores, position: held(codes), exchange })
      .map((o) => [o.direction, o.instrument, o.amount]);

  it('holding {A, X}: the drop is X (not sold) yet the buy of B happens, so the book grows past topk', () => {
    // last [A, X]; today = best 1 not held = [B]; comb [B, A, X]; sell [X]; buy today[:1 + 2 - 2] = [B]: 1000 / 10 = 100.
    expect(orders(['A', 'X'])).toEqual([['buy', 'B', 100]]);
  });

  it('holding {A, B, X}: today is empty (1 + 2 - 3 = 0), the drop is X again: no order on any later day', () => {
    expect(orders(['A', 'B', 'X'])).toEqual([]);
  });

  it('only_tradable drops the worst tradable holding instead, so trading goes on', () => {
    // comb [B, A, X]; the last tradable one is A.
    expect(orders(['A', 'B', 'X'], { only_tradable: true })).toEqual([['sell', 'A', 100]]);
  });
});

describe('Exchange rules', () => {
  it('limit flags read the trade day\'s $change; forbid_all_trade_at_limit off lets a limit-down stock be bought', async () => {
    const ex = await Exchange.open(provider, { ...EXCHANGE, start: D[1]!, end: D[5]! });
    expect(ex.isTradable('B', D[4]!, 'sell')).toBe(false);
    expect(ex.isTradable('B', D[4]!, 'buy')).toBe(true);
    expect(ex.isTradable('B', D[4]!)).toBe(false);
    expect(ex.isTradable('A', D[4]!, 'buy')).toBe(false);
    expect(ex.isTradable('A', D[4]!, 'sell')).toBe(true);
    // null limit in cn is Qlib's None -> the region's 0.095; us has none
    const us = await Exchange.open(provider, { ...EXCHANGE, region: 'us', limit_threshold: null, start: D[1]!, end: D[5]! });
    expect(us.isTradable('A', D[4]!, 'buy')).toBe(true);
    const cnNull = await Exchange.open(provider, { ...EXCHANGE, limit_threshold: null, start: D[1]!, end: D[5]! });
    expect(cnNull.isTradable('A', D[4]!, 'buy')).toBe(false);
  });

  it('selling less than the whole holding rounds to the trade unit; selling it all does not', () => {
    const ex = Exchange.fromQuote({ $close: { d: { X: 10 } }, $factor: { d: { X: 1 } }, $change: { d: { X: 0 } }, $volume: { d: { X: 1e9 } } }, { min_cost: 0, open_cost: 0, close_cost: 0 });
    const pos = { getCash: () => 0, getAmount: () => 250 };
    expect(ex.deal({ instrument: 'X', direction: 'sell', amount: 250, date: 'd' }, pos).dealAmount).toBe(250);
    expect(ex.deal({ instrument: 'X', direction: 'sell', amount: 180, date: 'd' }, pos).dealAmount).toBe(100);
  });

  it('impact cost scales with (value / day value)^2; volume threshold caps the amount', () => {
    const q = { $close: { d: { X: 10 } }, $factor: { d: { X: 1 } }, $change: { d: { X: 0 } }, $volume: { d: { X: 1000 } } };
    const ex = Exchange.fromQuote(q, { min_cost: 0, open_cost: 0.001, impact_cost: 0.1, trade_unit: null });
    const d = ex.deal({ instrument: 'X', direction: 'buy', amount: 500, date: 'd' }, { getCash: () => 1e9, getAmount: () => undefined });
    // value 5000 of 10000: rate 0.001 + 0.1 x 0.25
    expect(d.cost).toBeCloseTo(5000 * (0.001 + 0.1 * 0.25), 9);
    const ev = Exchange.fromQuote(q, { min_cost: 0, trade_unit: null, volume_threshold: ['current', '$volume'] });
    expect(ev.deal({ instrument: 'X', direction: 'buy', amount: 1500, date: 'd' }, { getCash: () => 1e9, getAmount: () => undefined }).dealAmount).toBe(1000);
    const ec = Exchange.fromQuote(q, { min_cost: 0, trade_unit: null, volume_threshold: ['cum', '$volume'] });
    expect(ec.deal({ instrument: 'X', direction: 'buy', amount: 1500, date: 'd' }, { getCash: () => 1e9, getAmount: () => undefined }, new Map([['X', 700]])).dealAmount).toBe(300);
  });
});

describe('WeightStrategy', () => {
  it('target weights from the signal: amounts from the score date\'s close, rounded, sells before buys', async () => {
    // D2 with weights dated D1 (A .5, C .5): account 10000 x 0.95 = 9500; A 4750/10 (D1 close) = 475 -> 400; C 4750/5 = 950 -> 900.
    const scores = scoreTable([{ date: D[1]!, instrument: 'A', score: 0.5 }, { date: D[1]!, instrument: 'C', score: 0.5 }]);
    const res = await runBacktest({ provider, scores, strategy: new WeightStrategy(), exchange: EXCHANGE, account: 10000, start: D[1]!, end: D[2]! });
    const t = res.trades.map((x) => [x.date, x.instrument, x.amount, x.price]);
    expect(t.sort()).toEqual([[D[2], 'A', 400, 11], [D[2], 'C', 900, 5]]);
    expect(res.report[1]!.cash).toBeCloseTo(10000 - 4400 - 5 - 4500 - 5, 9);
  });
});
