import {
  QonlineError,
  riskAnalysis,
  SqlExperimentStore,
  type Calendar,
  type ComponentSpec,
  type DataProvider,
  type ExperimentStore,
  type RiskReport,
  type SqlExecutor,
} from '../../../core/index.js';
import {
  Exchange,
  initialAccountState,
  loadBenchmark,
  readScoresCsv,
  scoreTable,
  selectScores,
  tradeDay,
  type AccountState,
  type DayResult,
  type ExchangeSpec,
  type Order,
  type PositionsRow,
  type ReportRow,
  type ScoreTable,
  type TradingStrategy,
} from '../../backtest/index.js';
import type { ScoreSource, UserConfig } from './config.js';
import { usersMigrations } from './migrations.js';

/** The step a user's trading day reached: `updated` = no day in progress. */
export type Step = 'updated' | 'generated' | 'executed';
export type StepName = 'generate' | 'execute' | 'update';

export interface UserRecord {
  id: string;
  config: UserConfig;
  first_date: string;
  created_at: string;
  state: AccountState;
  /** Last trading day fully done (updated); null before the first. */
  last_date: string | null;
  /** The day in progress (generated or executed); null when none. */
  pending_date: string | null;
  step: Step;
  version: number;
}

export interface StoredOrder {
  seq: number;
  instrument: string;
  direction: 'buy' | 'sell';
  amount: number;
}

export interface StoredFill extends StoredOrder {
  /** Adjusted amount dealt (0: rejected). */
  deal_amount: number;
  /** null when the order was rejected before pricing. */
  price: number | null;
  cost: number;
  value: number;
}

/** A step's outcome: `done` (this call did it) or `already` (done before, nothing changed). */
export interface StepOutcome {
  user: string;
  date: string;
  step: StepName;
  status: 'done' | 'already';
  orders?: number;
  fills?: number;
  account?: number;
}

export interface UserSummary {
  id: string;
  first_date: string;
  last_date: string | null;
  pending_date: string | null;
  step: Step;
  cash: number;
  account: number;
  holdings: number;
  model: ScoreSource;
  strategy: string;
}

export interface UserShow {
  id: string;
  first_date: string;
  last_date: string | null;
  pending_date: string | null;
  step: Step;
  cash: number;
  account: number;
  /** Holdings after the last day: amount, price, weight, holding days. */
  positions: PositionsRow['holdings'];
  /** The daily report, as the backtest's. */
  report: ReportRow[];
  risk: { excess_return_without_cost: RiskReport; excess_return_with_cost: RiskReport };
}

/** How the desk builds what a user config names (the CLI resolves them through the kernel). */
export interface DeskEnv {
  store: ExperimentStore;
  /** Builds a component of the installed plugins (strategy, exchange, data provider). */
  resolve(kind: 'tradingStrategy', spec: ComponentSpec, pointer?: string): Promise<TradingStrategy>;
  resolve(kind: 'exchange', spec: ComponentSpec, pointer?: string): Promise<ExchangeSpec>;
  resolve(kind: 'dataProvider', spec: ComponentSpec, pointer?: string): Promise<DataProvider>;
  /** Operational time (ISO), for created_at and audit rows. */
  now?(): string;
  /** Told each step committed (`user U generate D: done`). */
  logger?: { debug(msg: string): void };
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function refused(message: string, hint?: string): QonlineError {
  return new QonlineError('QONLINE_TRADE_REFUSED', message, hint ? { hint } : undefined);
}

interface Session {
  strategy: TradingStrategy;
  provider: DataProvider;
  calendar: Calendar;
  exchangeSpec: ExchangeSpec;
  exchange?: Exchange;
  /** The exchange and benchmark cover [first_date, end]. */
  end?: string;
  bench?: Map<string, number> | null;
  scores?: { table: ScoreTable; from: string; to: string };
}

/** Stored orders replayed as they were generated. */
function replay(orders: readonly StoredOrder[], date: string): TradingStrategy {
  return { name: 'stored-orders', generateOrders: () => orders.map((o): Order => ({ instrument: o.instrument, direction: o.direction, amount: o.amount, date })) };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/**
 * Users, their accounts and the trading day (Qlib's UserManager and
 * operator) over a SQL store. Every step is one transaction guarded by the
 * user's version: idempotent, ordered, and safe when two processes run it.
 */
export class TradingDesk {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly providers = new Map<string, Promise<DataProvider>>();
  private readonly store: SqlExperimentStore;

  private constructor(private readonly env: DeskEnv) {
    this.store = env.store as SqlExperimentStore;
  }

  /** Opens the desk on a SQL store, applying the plugin's migrations. */
  static async open(env: DeskEnv): Promise<TradingDesk> {
    if (!(env.store instanceof SqlExperimentStore)) {
      throw new QonlineError('QONLINE_USAGE', `users and trading need a SQL store (SQLiteStore or PostgresStore); this store is ${env.store.backend}`);
    }
    await env.store.registerMigrations('users', usersMigrations);
    return new TradingDesk(env);
  }

  private now(): string {
    return this.env.now?.() ?? new Date().toISOString();
  }

  private get ex(): SqlExecutor {
    return this.store.executor;
  }

  private tx<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    return this.store.transaction((t) => fn((t as SqlExperimentStore).executor));
  }

  // ---- users ------------------------------------------------------------

  private async provider(spec: ComponentSpec): Promise<DataProvider> {
    const key = JSON.stringify(spec);
    let p = this.providers.get(key);
    if (!p) {
      p = this.env.resolve('dataProvider', spec, '/data');
      this.providers.set(key, p);
    }
    return p;
  }

  /**
   * Adds a user trading from `firstDate` (a trading date). Adding the same
   * user again with the same config and date changes nothing; a different
   * one is refused.
   */
  async addUser(id: string, config: UserConfig, firstDate: string): Promise<{ id: string; status: 'added' | 'already' }> {
    if (!USER_ID.test(id)) throw new QonlineError('QONLINE_USAGE', `a user id is letters, digits, _ . - (at most 64, starting with a letter or digit), got ${JSON.stringify(id)}`);
    // Build everything first: a config that cannot trade is refused before anything is written.
    await this.env.resolve('tradingStrategy', config.strategy, '/strategy');
    await this.env.resolve('exchange', { class: 'Exchange', kwargs: { ...config.exchange_kwargs, region: config.region } } as ComponentSpec, '/exchange_kwargs');
    const provider = await this.provider(config.data);
    const cal = await provider.calendar('day');
    if (cal.indexOf(firstDate) < 0) throw refused(`${firstDate} is not a trading date of the data (${cal.first}..${cal.last})`);
    if (config.benchmark) await loadBenchmark(provider, config.benchmark, firstDate, firstDate);
    // the store is where the user lives, not part of it (and its url may hold a password)
    const { store: _store, ...kept } = config;
    const configJson = JSON.stringify(kept);
    const state = initialAccountState(config.init_cash);
    const created = await this.tx(async (ex) => {
      const have = await ex.all<{ config: string; first_date: string }>(`SELECT config, first_date FROM users_accounts WHERE id = ?`, [id]);
      if (have.length) {
        if (have[0]!.config === configJson && have[0]!.first_date === firstDate) return false;
        throw refused(`user ${id} exists with another config or first date`, `remove it first (qonline users remove ${id}) or choose another id`);
      }
      const now = this.now();
      await ex.run(
        `INSERT INTO users_accounts (id, config, first_date, created_at, state, last_date, pending_date, step, version) VALUES (?, ?, ?, ?, ?, NULL, NULL, 'updated', 1)`,
        [id, configJson, firstDate, now, JSON.stringify(state)],
      );
      await ex.run(`INSERT INTO users_audit (user_id, action, at, detail) VALUES (?, 'add', ?, ?)`, [id, now, JSON.stringify({ first_date: firstDate, config: kept })]);
      return true;
    }).catch(async (e) => {
      // two adds at once: the loser's insert hits the primary key
      if (this.store.dialect.classify(e) === 'unique_violation') {
        const u = await this.getUser(id);
        if (JSON.stringify(u.config) === configJson && u.first_date === firstDate) return false; // same key order: both written by JSON.stringify
      }
      throw e;
    });
    return { id, status: created ? 'added' : 'already' };
  }

  /** Removes a user, its orders, fills and days; an audit row keeps what was removed. */
  async removeUser(id: string): Promise<{ id: string; status: 'removed' | 'absent' }> {
    const removed = await this.tx(async (ex) => {
      const have = await ex.all<{ config: string; first_date: string; last_date: string | null; state: string }>(
        `SELECT config, first_date, last_date, state FROM users_accounts WHERE id = ?`,
        [id],
      );
      if (!have.length) return false;
      for (const t of ['users_orders', 'users_fills', 'users_days']) await ex.run(`DELETE FROM ${t} WHERE user_id = ?`, [id]);
      await ex.run(`DELETE FROM users_accounts WHERE id = ?`, [id]);
      const h = have[0]!;
      await ex.run(`INSERT INTO users_audit (user_id, action, at, detail) VALUES (?, 'remove', ?, ?)`, [
        id,
        this.now(),
        JSON.stringify({ first_date: h.first_date, last_date: h.last_date, config: JSON.parse(h.config), state: JSON.parse(h.state) }),
      ]);
      return true;
    });
    this.sessions.delete(id);
    return { id, status: removed ? 'removed' : 'absent' };
  }

  async audit(id?: string): Promise<{ user_id: string; action: string; at: string; detail: unknown }[]> {
    const rows = await this.ex.all<{ user_id: string; action: string; at: string; detail: string }>(
      `SELECT user_id, action, at, detail FROM users_audit ${id ? 'WHERE user_id = ? ' : ''}ORDER BY id`,
      id ? [id] : [],
    );
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  private parse(r: Record<string, unknown>): UserRecord {
    return {
      id: r['id'] as string,
      config: JSON.parse(r['config'] as string) as UserConfig,
      first_date: r['first_date'] as string,
      created_at: r['created_at'] as string,
      state: JSON.parse(r['state'] as string) as AccountState,
      last_date: (r['last_date'] as string | null) ?? null,
      pending_date: (r['pending_date'] as string | null) ?? null,
      step: r['step'] as Step,
      version: num(r['version']),
    };
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const rows = await this.ex.all(`SELECT * FROM users_accounts WHERE id = ?`, [id]);
    return rows.length ? this.parse(rows[0]!) : undefined;
  }

  async getUser(id: string): Promise<UserRecord> {
    const u = await this.findUser(id);
    if (!u) throw refused(`no user ${JSON.stringify(id)}`, 'qonline users list shows the users; qonline users add ID --config USER.yaml --date D adds one');
    return u;
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.ex.all(`SELECT * FROM users_accounts ORDER BY id`);
    return rows.map((r) => this.parse(r));
  }

  /** `users list --json`. */
  async summaries(): Promise<UserSummary[]> {
    return (await this.listUsers()).map((u) => ({
      id: u.id,
      first_date: u.first_date,
      last_date: u.last_date,
      pending_date: u.pending_date,
      step: u.step,
      cash: u.state.cash,
      account: u.state.last_account_value ?? u.state.init_cash,
      holdings: Object.keys(u.state.holdings).length,
      model: u.config.model,
      strategy: u.config.strategy.class,
    }));
  }

  /** `users show ID --json`: account, positions, daily report and risk against the benchmark. */
  async show(id: string): Promise<UserShow> {
    const u = await this.getUser(id);
    const days = await this.ex.all<{ date: string; report: string; positions: string }>(`SELECT date, report, positions FROM users_days WHERE user_id = ? ORDER BY date`, [id]);
    const report = days.map((d) => JSON.parse(d.report) as ReportRow);
    const last = days.length ? (JSON.parse(days[days.length - 1]!.positions) as PositionsRow) : null;
    const without = report.map((r) => r.return - (r.bench ?? 0));
    const withCost = report.map((r) => r.return - (r.bench ?? 0) - r.cost);
    return {
      id,
      first_date: u.first_date,
      last_date: u.last_date,
      pending_date: u.pending_date,
      step: u.step,
      cash: u.state.cash,
      account: u.state.last_account_value ?? u.state.init_cash,
      positions: last?.holdings ?? {},
      report,
      risk: { excess_return_without_cost: riskAnalysis(without, { freq: 'day' }), excess_return_with_cost: riskAnalysis(withCost, { freq: 'day' }) },
    };
  }

  /** The positions rows of the days done (for tests and the dashboard). */
  async positions(id: string): Promise<PositionsRow[]> {
    const days = await this.ex.all<{ positions: string }>(`SELECT positions FROM users_days WHERE user_id = ? ORDER BY date`, [id]);
    return days.map((d) => JSON.parse(d.positions) as PositionsRow);
  }

  /** `trade show`: a day's orders and fills (default: the latest day with orders). */
  async dayDetail(id: string, date?: string): Promise<{ user: string; date: string | null; step: Step; last_date: string | null; pending_date: string | null; orders: StoredOrder[]; fills: StoredFill[]; report: ReportRow | null }> {
    const u = await this.getUser(id);
    let d = date ?? null;
    if (!d) {
      const r = await this.ex.all<{ date: string }>(`SELECT MAX(date) AS date FROM users_orders WHERE user_id = ?`, [id]);
      d = r[0]?.date ?? u.last_date;
    }
    if (!d) return { user: id, date: null, step: u.step, last_date: u.last_date, pending_date: u.pending_date, orders: [], fills: [], report: null };
    const rep = await this.ex.all<{ report: string }>(`SELECT report FROM users_days WHERE user_id = ? AND date = ?`, [id, d]);
    return {
      user: id,
      date: d,
      step: u.step,
      last_date: u.last_date,
      pending_date: u.pending_date,
      orders: await this.orders(id, d),
      fills: await this.fills(id, d),
      report: rep.length ? (JSON.parse(rep[0]!.report) as ReportRow) : null,
    };
  }

  async orders(id: string, date: string): Promise<StoredOrder[]> {
    const rows = await this.ex.all<Record<string, unknown>>(`SELECT seq, instrument, direction, amount FROM users_orders WHERE user_id = ? AND date = ? ORDER BY seq`, [id, date]);
    return rows.map((r) => ({ seq: num(r['seq']), instrument: r['instrument'] as string, direction: r['direction'] as 'buy' | 'sell', amount: num(r['amount']) }));
  }

  async fills(id: string, date: string): Promise<StoredFill[]> {
    const rows = await this.ex.all<Record<string, unknown>>(
      `SELECT seq, instrument, direction, amount, deal_amount, price, cost, value FROM users_fills WHERE user_id = ? AND date = ? ORDER BY seq`,
      [id, date],
    );
    return rows.map((r) => ({
      seq: num(r['seq']),
      instrument: r['instrument'] as string,
      direction: r['direction'] as 'buy' | 'sell',
      amount: num(r['amount']),
      deal_amount: num(r['deal_amount']),
      price: r['price'] === null || r['price'] === undefined ? null : num(r['price']),
      cost: num(r['cost']),
      value: num(r['value']),
    }));
  }

  // ---- the trading day ---------------------------------------------------

  private session(u: UserRecord): Promise<Session> {
    let s = this.sessions.get(u.id);
    if (!s) {
      s = (async () => {
        const strategy = await this.env.resolve('tradingStrategy', u.config.strategy, '/strategy');
        const exchangeSpec = await this.env.resolve('exchange', { class: 'Exchange', kwargs: { ...u.config.exchange_kwargs, region: u.config.region } } as ComponentSpec, '/exchange_kwargs');
        const provider = await this.provider(u.config.data);
        return { strategy, exchangeSpec, provider, calendar: await provider.calendar('day') };
      })();
      this.sessions.set(u.id, s);
      s.catch(() => this.sessions.delete(u.id));
    }
    return s;
  }

  /** The exchange and benchmark over [first_date, end] (as a backtest from the user's first date). */
  private async market(u: UserRecord, s: Session, date: string, until = date): Promise<{ exchange: Exchange; bench: number | null }> {
    if (!s.exchange || !s.end || s.end < date) {
      const end = until > date ? until : date;
      s.exchange = await Exchange.open(s.provider, { ...s.exchangeSpec.options, region: s.exchangeSpec.region, start: u.first_date, end });
      s.bench = u.config.benchmark ? await loadBenchmark(s.provider, u.config.benchmark, u.first_date, end) : null;
      s.end = end;
    }
    return { exchange: s.exchange, bench: s.bench ? s.bench.get(date) ?? 0 : null };
  }

  private async scoreRows(source: ScoreSource, from: string, to: string): Promise<ScoreTable> {
    if ('file' in source) return readScoresCsv(source.file);
    const rows =
      'manager' in source
        ? await this.store.readSignals(source.manager, { start: from, end: to })
        : await this.store.readScores(source.recorder, 'pred', { start: from, end: to });
    return scoreTable(rows.dates.map((d, i) => ({ date: d, instrument: rows.instruments[i]!, score: rows.scores[i]! })));
  }

  /** The scores trading day `date` uses ([predDate, date)); loads ahead up to `ahead` for a range. */
  private async scores(u: UserRecord, s: Session, predDate: string, date: string, ahead = date): Promise<ReadonlyMap<string, number> | null> {
    if (!s.scores || s.scores.from > predDate || s.scores.to < date) {
      const m = u.config.model;
      if ('recorder' in m) {
        await this.store.getRecorder(m.recorder).catch(() => {
          throw refused(`user ${u.id}: the score source recorder ${m.recorder} does not exist`);
        });
      }
      s.scores = { table: await this.scoreRows(u.config.model, predDate, ahead), from: predDate, to: ahead };
    }
    return selectScores(s.scores.table, predDate, date);
  }

  /** The checks every step shares; returns 'already' when the step is done for that date. */
  private async check(u: UserRecord, step: StepName, date: string): Promise<{ already: boolean; s: Session; predDate: string }> {
    const s = await this.session(u);
    const cal = s.calendar;
    const i = cal.indexOf(date);
    if (i < 0) throw refused(`user ${u.id}: ${date} is not a trading date`, `the data's calendar runs ${cal.first}..${cal.last}`);
    if (date < u.first_date) throw refused(`user ${u.id}: ${date} is before the user's first trading date ${u.first_date}`);
    const predDate = i > 0 ? cal.dates[i - 1]! : null;
    if (predDate === null) throw refused(`user ${u.id}: ${date} is the calendar's first date: there is no previous date to take scores from`);
    if (u.last_date && date <= u.last_date) return { already: true, s, predDate };
    const next = u.last_date ? cal.dates[cal.indexOf(u.last_date) + 1] : u.first_date;
    const order = ['generated', 'executed', 'updated'];
    const want = step === 'generate' ? 'updated' : step === 'execute' ? 'generated' : 'executed';
    if (u.pending_date !== null && u.pending_date !== date) {
      throw refused(`user ${u.id}: the trading day ${u.pending_date} is in progress (${u.step}); finish it before ${date}`, `qonline trade ${u.step === 'generated' ? 'execute' : 'update'} --user ${u.id} --date ${u.pending_date}`);
    }
    if (u.pending_date === date) {
      const reached = order.indexOf(u.step);
      const target = order.indexOf(step === 'generate' ? 'generated' : step === 'execute' ? 'executed' : 'updated');
      if (reached >= target) return { already: true, s, predDate };
      if (u.step !== want) throw refused(`user ${u.id}: ${step} ${date} comes after ${u.step === 'generated' ? 'execute' : 'generate'}`, `qonline trade ${u.step === 'generated' ? 'execute' : 'generate'} --user ${u.id} --date ${date}`);
      return { already: false, s, predDate };
    }
    // no day in progress
    if (date !== next) {
      throw refused(`user ${u.id}: ${date} is not the next trading date (the account's last day is ${u.last_date ?? 'none yet'}; the next is ${next ?? 'past the data'})`);
    }
    if (step !== 'generate') {
      throw refused(`user ${u.id}: ${step} ${date} before generate: no orders were generated for ${date}`, `qonline trade generate --user ${u.id} --date ${date}`);
    }
    return { already: false, s, predDate };
  }

  /**
   * Conditional step write: applies `set` only on top of the version read;
   * false when another process moved the user first (nothing written).
   */
  private async advance(u: UserRecord, set: { step: Step; pending_date: string | null; last_date?: string; state?: AccountState }, writes: (ex: SqlExecutor) => Promise<void>): Promise<boolean> {
    return this.tx(async (ex) => {
      const r = await ex.run(
        `UPDATE users_accounts SET step = ?, pending_date = ?, last_date = ?, state = ?, version = version + 1 WHERE id = ? AND version = ?`,
        [set.step, set.pending_date, set.last_date ?? u.last_date, JSON.stringify(set.state ?? u.state), u.id, u.version],
      );
      if (r.changes !== 1) return false;
      await writes(ex);
      return true;
    }).catch((e) => {
      // the other process's rows arrived first (a database without row locks in this transaction)
      if (this.store.dialect.classify(e) === 'unique_violation') return false;
      throw e;
    });
  }

  private async raced(id: string, step: StepName, date: string): Promise<StepOutcome> {
    const again = await this.getUser(id);
    const c = await this.check(again, step, date);
    if (c.already) return { user: id, date, step, status: 'already' };
    throw new QonlineError('QONLINE_STATE_CONFLICT', `user ${id} changed while ${step} ${date} ran; nothing was written`, { hint: 'run the step again' });
  }

  /** Orders for `date` from the scores of the previous trading date and the account at the start of the day. */
  async generate(id: string, date: string): Promise<StepOutcome> {
    return this.generateWith(await this.getUser(id), date);
  }

  private async generateWith(u: UserRecord, date: string, ahead?: string): Promise<StepOutcome> {
    const c = await this.check(u, 'generate', date);
    if (c.already) return { user: u.id, date, step: 'generate', status: 'already' };
    const scores = await this.scores(u, c.s, c.predDate, date, ahead);
    if (!scores || scores.size === 0) {
      throw refused(`user ${u.id}: no scores for ${date} (none dated ${c.predDate}) from ${JSON.stringify(u.config.model)}`, 'run the routine (or add the scores) first');
    }
    const { exchange, bench } = await this.market(u, c.s, date, ahead);
    const day = tradeDay({ state: u.state, date, predDate: c.predDate, scores, strategy: c.s.strategy, exchange, bench });
    const orders = day.orders.map((o, seq): StoredOrder => ({ seq, instrument: o.instrument, direction: o.direction, amount: o.amount }));
    const ok = await this.advance(u, { step: 'generated', pending_date: date }, async (ex) => {
      for (const o of orders) {
        await ex.run(`INSERT INTO users_orders (user_id, date, seq, instrument, direction, amount) VALUES (?, ?, ?, ?, ?, ?)`, [u.id, date, o.seq, o.instrument, o.direction, o.amount]);
      }
    });
    if (!ok) return this.raced(u.id, 'generate', date);
    this.env.logger?.debug(`user ${u.id} generate ${date}: done`);
    return { user: u.id, date, step: 'generate', status: 'done', orders: orders.length };
  }

  /** Replays the day with the stored orders (the same deals every time for the same data). */
  private async replayDay(u: UserRecord, s: Session, date: string, predDate: string, ahead?: string): Promise<{ day: DayResult; orders: StoredOrder[] }> {
    const orders = await this.orders(u.id, date);
    const { exchange, bench } = await this.market(u, s, date, ahead);
    const day = tradeDay({ state: u.state, date, predDate, scores: null, strategy: replay(orders, date), exchange, bench });
    return { day, orders };
  }

  private static fillsOf(day: DayResult): StoredFill[] {
    return day.deals.map(({ order, deal }, seq) => ({
      seq,
      instrument: order.instrument,
      direction: order.direction,
      amount: order.amount,
      deal_amount: deal.dealAmount,
      price: Number.isFinite(deal.price) ? deal.price : null,
      cost: deal.cost,
      value: deal.tradeValue,
    }));
  }

  /** Deals the stored orders at the exchange (costs, limits, trade units) and stores the fills. */
  async execute(id: string, date: string): Promise<StepOutcome> {
    return this.executeWith(await this.getUser(id), date);
  }

  private async executeWith(u: UserRecord, date: string, ahead?: string): Promise<StepOutcome> {
    const c = await this.check(u, 'execute', date);
    if (c.already) return { user: u.id, date, step: 'execute', status: 'already' };
    const { day } = await this.replayDay(u, c.s, date, c.predDate, ahead);
    const fills = TradingDesk.fillsOf(day);
    const ok = await this.advance(u, { step: 'executed', pending_date: date }, async (ex) => {
      for (const f of fills) {
        await ex.run(
          `INSERT INTO users_fills (user_id, date, seq, instrument, direction, amount, deal_amount, price, cost, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [u.id, date, f.seq, f.instrument, f.direction, f.amount, f.deal_amount, f.price, f.cost, f.value],
        );
      }
    });
    if (!ok) return this.raced(u.id, 'execute', date);
    this.env.logger?.debug(`user ${u.id} execute ${date}: done`);
    return { user: u.id, date, step: 'execute', status: 'done', fills: fills.filter((f) => f.value > 1e-5).length };
  }

  /** The account after the fills, valued at the close; stores the day's report and positions. */
  async update(id: string, date: string): Promise<StepOutcome> {
    return this.updateWith(await this.getUser(id), date);
  }

  private async updateWith(u: UserRecord, date: string, ahead?: string): Promise<StepOutcome> {
    const c = await this.check(u, 'update', date);
    if (c.already) return { user: u.id, date, step: 'update', status: 'already' };
    const { day } = await this.replayDay(u, c.s, date, c.predDate, ahead);
    const stored = await this.fills(u.id, date);
    const now = TradingDesk.fillsOf(day);
    const same = stored.length === now.length && stored.every((f, k) => f.deal_amount === now[k]!.deal_amount && f.cost === now[k]!.cost && f.value === now[k]!.value);
    if (!same) {
      throw new QonlineError('QONLINE_DATA_INVALID', `user ${u.id}: the market data of ${date} changed since the fills were executed; the account was not updated`);
    }
    const ok = await this.advance(u, { step: 'updated', pending_date: null, last_date: date, state: day.state }, async (ex) => {
      await ex.run(`INSERT INTO users_days (user_id, date, report, positions) VALUES (?, ?, ?, ?)`, [u.id, date, JSON.stringify(day.report), JSON.stringify(day.positions)]);
    });
    if (!ok) return this.raced(u.id, 'update', date);
    this.env.logger?.debug(`user ${u.id} update ${date}: done`);
    return { user: u.id, date, step: 'update', status: 'done', account: day.report.account };
  }

  /** Runs `step` for `date`. */
  async step(step: StepName, id: string, date: string): Promise<StepOutcome> {
    return step === 'generate' ? this.generate(id, date) : step === 'execute' ? this.execute(id, date) : this.update(id, date);
  }

  /**
   * generate, execute and update for every trading date in [start, end];
   * dates already done are skipped (status `already`).
   */
  async simulate(id: string, start: string, end: string): Promise<{ user: string; days: number; done: number; already: number; last_date: string | null }> {
    const u0 = await this.getUser(id);
    const s = await this.session(u0);
    const days = s.calendar.dates.filter((d) => d >= start && d <= end);
    if (!days.length) throw refused(`no trading date between ${start} and ${end}`);
    let done = 0;
    let already = 0;
    for (const d of days) {
      let u = await this.getUser(id);
      const outs: StepOutcome[] = [];
      outs.push(await this.generateWith(u, d, end));
      u = await this.getUser(id);
      outs.push(await this.executeWith(u, d, end));
      u = await this.getUser(id);
      outs.push(await this.updateWith(u, d, end));
      if (outs.every((o) => o.status === 'already')) already++;
      else done++;
    }
    return { user: id, days: days.length, done, already, last_date: (await this.getUser(id)).last_date };
  }

  /** Brings every user (or one) up to `until` (default: the data's last date), day by day; stops at a date without scores. */
  async catchUp(until?: string, only?: string): Promise<{ user: string; from: string | null; to: string | null; days: number; stopped?: string }[]> {
    const users = only ? [await this.getUser(only)] : await this.listUsers();
    const out: { user: string; from: string | null; to: string | null; days: number; stopped?: string }[] = [];
    for (const u0 of users) {
      const s = await this.session(u0);
      const end = until ?? s.calendar.last;
      const from = u0.pending_date ?? (u0.last_date ? s.calendar.dates[s.calendar.indexOf(u0.last_date) + 1] ?? null : u0.first_date);
      let days = 0;
      let stopped: string | undefined;
      if (from && from <= end) {
        for (const d of s.calendar.dates.filter((x) => x >= from && x <= end)) {
          try {
            for (const st of ['generate', 'execute', 'update'] as const) await this.step(st, u0.id, d);
            days++;
          } catch (e) {
            stopped = (e as Error).message;
            break;
          }
        }
      }
      out.push({ user: u0.id, from, to: (await this.getUser(u0.id)).last_date, days, ...(stopped ? { stopped } : {}) });
    }
    return out;
  }
}
