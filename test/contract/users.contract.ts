import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentSpec, DataProvider, ExperimentStore } from '../../core/index.js';
import { Kernel, NullProgress, SilentLogger, SystemClock } from '../../plugins/index.js';
import { BUILTIN_PLUGINS } from '../../plugins/builtins.js';
import { runBacktest, scoreTable } from '../../plugins/backtest/index.js';
import { TradingDesk, type DeskEnv, type UserConfig } from '../../plugins/users/index.js';
import { rng } from '../helpers/rng.js';
import { tempDir } from '../helpers/cli.js';

/** A store and further connections to the same database (another process, as far as the store can tell). */
export interface UsersContractStores {
  store: ExperimentStore;
  another(): Promise<ExperimentStore>;
  close(): Promise<void>;
}

const DATA: ComponentSpec = { class: 'SyntheticMarket', kwargs: { instruments: 30, start: '2019-01-01', end: '2020-06-30', seed: 3 } } as ComponentSpec;
const MANAGER = 'm_users';
/** Signals cover [SIG_START, SIG_END]: a trading day whose previous date is outside has no scores. */
const SIG_START = '2019-09-02';
const SIG_END = '2020-03-31';

export function userConfig(over: Partial<UserConfig> = {}): UserConfig {
  return {
    init_cash: 1e8,
    strategy: { class: 'TopkDropoutStrategy', kwargs: { topk: 5, n_drop: 1 } } as ComponentSpec,
    exchange_kwargs: { deal_price: 'close', open_cost: 0.0005, close_cost: 0.0015, min_cost: 5, limit_threshold: 0.095 },
    region: 'cn',
    benchmark: 'SH600000',
    data: DATA,
    model: { manager: MANAGER },
    ...over,
  };
}

/**
 * The users contract: every SQL backend (SQLite, PostgreSQL) runs exactly
 * this suite over the embedded synthetic market.
 */
export function usersContract(name: string, open: () => Promise<UsersContractStores>, opts: { skip?: string } = {}): void {
  describe.skipIf(Boolean(opts.skip))(`users contract: ${name}`, () => {
    let kernel: Kernel;
    let stores: UsersContractStores;
    let provider: DataProvider;
    let dates: readonly string[];
    let signalRows: { date: string; instrument: string; score: number }[];
    const envOf = (store: ExperimentStore): DeskEnv => ({ store, resolve: ((kind: 'dataProvider', spec: ComponentSpec, p?: string) => kernel.resolve(kind, spec, p)) as DeskEnv['resolve'] });

    beforeAll(async () => {
      kernel = new Kernel({ plugins: BUILTIN_PLUGINS.map((manifest) => ({ manifest, source: 'builtin' })), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), home: tempDir('qonline-users-') });
      await kernel.start();
      provider = await kernel.resolve('dataProvider', DATA);
      dates = (await provider.calendar('day')).dates;
      const spans = await provider.instruments('all');
      const r = rng(11);
      const sigDates = dates.filter((d) => d >= SIG_START && d <= SIG_END);
      signalRows = [];
      // scores for the instruments listed that day (as a model predicts them)
      for (const d of sigDates) for (const [c, sp] of spans) if (sp.some((x) => x.start <= d && d <= x.end)) signalRows.push({ date: d, instrument: c, score: r() - 0.5 });
      stores = await open();
      await stores.store.replaceSignals(
        MANAGER,
        sigDates,
        { dates: signalRows.map((x) => x.date), instruments: signalRows.map((x) => x.instrument), scores: Float64Array.from(signalRows, (x) => x.score) },
        1,
      );
    }, 120_000);
    afterAll(async () => {
      await stores?.close();
      await kernel?.stop();
    });

    const after = (d: string, n = 1): string => dates[dates.indexOf(d) + n]!;

    it('a day cycle: generate, execute, update; every step idempotent; each out-of-order step refused', async () => {
      const desk = await TradingDesk.open(envOf(stores.store));
      const d0 = after(SIG_START); // trades on SIG_START's scores
      expect(await desk.addUser('alice', userConfig(), d0)).toEqual({ id: 'alice', status: 'added' });
      expect(await desk.addUser('alice', userConfig(), d0)).toEqual({ id: 'alice', status: 'already' });
      await expect(desk.addUser('alice', userConfig({ init_cash: 5 }), d0)).rejects.toMatchObject({ code: 'QONLINE_TRADE_REFUSED' });
      await expect(desk.addUser('bob', userConfig(), '2019-09-07')).rejects.toMatchObject({ code: 'QONLINE_TRADE_REFUSED', message: expect.stringContaining('not a trading date') });

      const refusedWith = async (p: Promise<unknown>, text: string) => expect(p).rejects.toMatchObject({ code: 'QONLINE_TRADE_REFUSED', message: expect.stringContaining(text) });
      await refusedWith(desk.execute('alice', d0), 'before generate');
      await refusedWith(desk.update('alice', d0), 'before generate');
      await refusedWith(desk.generate('alice', '2019-09-07'), 'not a trading date'); // a Saturday
      await refusedWith(desk.generate('alice', after(d0)), 'not the next trading date');
      await refusedWith(desk.generate('alice', SIG_START), 'before the user');
      await refusedWith(desk.generate('nobody', d0), 'no user');

      const g = await desk.generate('alice', d0);
      expect(g.status).toBe('done');
      const orders = await desk.orders('alice', d0);
      expect(g.orders).toBe(orders.length);
      // the five best scores of SIG_START, those tradable on d0 (not at a limit, quoted)
      const best = signalRows.filter((x) => x.date === SIG_START).sort((a, b) => b.score - a.score).slice(0, 5).map((x) => x.instrument).sort();
      expect(orders.length).toBeGreaterThanOrEqual(3);
      expect(orders.every((o) => o.direction === 'buy' && best.includes(o.instrument))).toBe(true);
      expect((await desk.generate('alice', d0)).status).toBe('already');
      await refusedWith(desk.update('alice', d0), 'comes after execute');
      await refusedWith(desk.generate('alice', after(d0)), 'in progress');

      const e = await desk.execute('alice', d0);
      expect(e.status).toBe('done');
      const fills = await desk.fills('alice', d0);
      expect(fills).toHaveLength(orders.length);
      expect(fills.every((f) => f.deal_amount > 0)).toBe(true);
      // each buy is at most 95% of the cash split 5 ways (rounded down to the trade unit); the cost comes on top
      for (const f of fills) expect(f.value).toBeLessThanOrEqual((1e8 * 0.95) / 5 + 1e-6);
      const spent = fills.reduce((a, f) => a + f.value + f.cost, 0);
      for (const f of fills) expect(f.cost).toBeCloseTo(Math.max(f.value * 0.0005, 5), 6);
      expect((await desk.execute('alice', d0)).status).toBe('already');
      expect((await desk.generate('alice', d0)).status).toBe('already');
      // the account is not touched before update
      expect((await desk.getUser('alice')).state.cash).toBe(1e8);

      const u = await desk.update('alice', d0);
      expect(u.status).toBe('done');
      const shown = await desk.show('alice');
      expect(shown.last_date).toBe(d0);
      expect(shown.cash).toBeCloseTo(1e8 - spent, 4);
      expect(shown.report).toHaveLength(1);
      expect(shown.report[0]!.cost).toBeCloseTo(fills.reduce((a, f) => a + f.cost, 0) / 1e8, 12);
      expect(Object.keys(shown.positions).sort()).toEqual(orders.map((o) => o.instrument).sort());
      for (const h of Object.values(shown.positions)) expect(h.count_day).toBe(1);
      const w = Object.values(shown.positions).reduce((a, h) => a + h.weight, 0);
      expect(w).toBeCloseTo(1 - shown.cash / shown.account, 9);

      // re-running every step of a done day changes nothing
      const version = (await desk.getUser('alice')).version;
      for (const st of ['generate', 'execute', 'update'] as const) expect((await desk.step(st, 'alice', d0)).status).toBe('already');
      expect((await desk.simulate('alice', d0, d0)).already).toBe(1);
      expect((await desk.getUser('alice')).version).toBe(version);
      expect(await desk.show('alice')).toEqual(shown);

      // next day: a skipped date is refused, the next one goes
      await refusedWith(desk.generate('alice', after(d0, 2)), 'not the next trading date');
      await refusedWith(desk.execute('alice', after(d0)), 'before generate');
      expect((await desk.simulate('alice', after(d0), after(d0))).done).toBe(1);
      expect((await desk.show('alice')).report).toHaveLength(2);

      // a date with no scores: the day after SIG_END's next trades on nothing
      const late = after(SIG_END, 1);
      await desk.addUser('late', userConfig(), after(late));
      await refusedWith(desk.generate('late', after(late)), 'no scores');

      // removal keeps an audit row
      expect(await desk.removeUser('late')).toEqual({ id: 'late', status: 'removed' });
      expect(await desk.removeUser('late')).toEqual({ id: 'late', status: 'absent' });
      expect((await desk.audit('late')).map((a) => a.action)).toEqual(['add', 'remove']);
      await refusedWith(desk.show('late'), 'no user');
      expect((await desk.summaries()).map((s) => s.id)).toEqual(['alice']);
    }, 120_000);

    it('trade simulate equals the backtest day by day (report and positions) over 60 days', async () => {
      const desk = await TradingDesk.open(envOf(stores.store));
      const start = after(SIG_START, 5);
      const end = after(start, 59);
      const cfg = userConfig({ strategy: { class: 'TopkDropoutStrategy', kwargs: { topk: 6, n_drop: 2 } } as ComponentSpec });
      await desk.addUser('eq', cfg, start);
      // in two runs, the second overlapping the first (dates done are skipped)
      await desk.simulate('eq', start, after(start, 29));
      const r2 = await desk.simulate('eq', after(start, 20), end);
      expect(r2).toMatchObject({ already: 10, done: 30, last_date: end });
      const strategy = await kernel.resolve('tradingStrategy', cfg.strategy);
      const ex = await kernel.resolve('exchange', { class: 'Exchange', kwargs: { ...cfg.exchange_kwargs, region: 'cn' } } as ComponentSpec);
      const bt = await runBacktest({ provider, scores: scoreTable(signalRows), strategy, exchange: ex.options, region: ex.region, account: cfg.init_cash, start, end, benchmark: cfg.benchmark });
      const shown = await desk.show('eq');
      expect(shown.report).toHaveLength(60);
      expect(shown.report).toEqual(bt.report);
      expect(await desk.positions('eq')).toEqual(bt.positions);
      expect(bt.trades.length).toBeGreaterThan(60); // it did trade
    }, 240_000);

    it('a crash between generate and execute leaves the user at generate; a new process resumes to the same numbers', async () => {
      const start = after(SIG_START, 80);
      const end = after(start, 9);
      const a = await TradingDesk.open(envOf(stores.store));
      await a.addUser('ref', userConfig(), start);
      await a.addUser('crashy', userConfig(), start);
      await a.simulate('ref', start, end);
      await a.simulate('crashy', start, after(start, 4));
      expect((await a.generate('crashy', after(start, 5))).status).toBe('done');
      // the process dies here: a new connection (another process) finds the user at the last completed step
      const other = await stores.another();
      const b = await TradingDesk.open(envOf(other));
      const u = await b.getUser('crashy');
      expect(u).toMatchObject({ step: 'generated', pending_date: after(start, 5), last_date: after(start, 4) });
      await expect(b.generate('crashy', after(start, 6))).rejects.toMatchObject({ code: 'QONLINE_TRADE_REFUSED' });
      const r = await b.simulate('crashy', start, end);
      expect(r).toMatchObject({ done: 5, already: 5, last_date: end });
      const ref = await b.show('ref');
      const got = await b.show('crashy');
      expect(got.report).toEqual(ref.report);
      expect(got.positions).toEqual(ref.positions);
      expect(await b.orders('crashy', after(start, 5))).toEqual(await b.orders('ref', after(start, 5)));
    }, 120_000);

    it('two processes running the same step for the same user and date: one does it, the other reports it done', async () => {
      const start = after(SIG_START, 100);
      const a = await TradingDesk.open(envOf(stores.store));
      const b = await TradingDesk.open(envOf(await stores.another()));
      await a.addUser('twice', userConfig(), start);
      for (const d of [start, after(start)]) {
        for (const st of ['generate', 'execute', 'update'] as const) {
          const outs = await Promise.all([a.step(st, 'twice', d), b.step(st, 'twice', d)]);
          expect(outs.map((o) => o.status).sort()).toEqual(['already', 'done']);
        }
      }
      const n = (await a.orders('twice', start)).length;
      expect(n).toBeGreaterThan(0);
      expect(await a.fills('twice', start)).toHaveLength(n);
      expect((await a.show('twice')).report).toHaveLength(2);
      // racing adds of the same user: both succeed, one row
      const adds = await Promise.all([a.addUser('pair', userConfig(), start), b.addUser('pair', userConfig(), start)]);
      expect(adds.map((x) => x.status).sort()).toEqual(['added', 'already']);
    }, 120_000);
  });
}
