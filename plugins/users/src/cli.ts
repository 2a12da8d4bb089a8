import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parse } from 'yaml';
import { QonlineError, type CliCommand, type CliCommandContext, type ComponentSpec } from '../../../core/index.js';
import { looksLikeUserConfig, readUserConfig, substituteEnv, type LoadedUserConfig } from './config.js';
import { writeFileSync } from 'node:fs';
import { renderUsersHtml } from './page.js';
import { TradingDesk, type StepName, type StepOutcome, type UserShow, type UserSummary } from './desk.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function flag(ctx: CliCommandContext, name: string, required: true): string;
function flag(ctx: CliCommandContext, name: string, required?: boolean): string | undefined;
function flag(ctx: CliCommandContext, name: string, required = false): string | undefined {
  const v = ctx.args.flags[name];
  if (typeof v === 'string') return v;
  if (required) throw new QonlineError('QONLINE_USAGE', `--${name} is required`);
  return undefined;
}

function dateFlag(ctx: CliCommandContext, name: string, required: true): string;
function dateFlag(ctx: CliCommandContext, name: string, required?: boolean): string | undefined;
function dateFlag(ctx: CliCommandContext, name: string, required = false): string | undefined {
  const v = flag(ctx, name, required);
  if (v !== undefined && (!DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))) throw new QonlineError('QONLINE_USAGE', `--${name} expects a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}

function positional(ctx: CliCommandContext, what: string, usage: string): string {
  const p = ctx.args.positionals[0];
  if (!p) throw new QonlineError('QONLINE_USAGE', `${what} is required`, { hint: `usage: qonline ${usage}` });
  return p;
}

/** The store named by `--config` (its top-level `store:`), else the home's SQLite store. */
function storeSpecOf(ctx: CliCommandContext): ComponentSpec | undefined {
  const file = flag(ctx, 'config');
  if (!file) return undefined;
  let v: unknown;
  try {
    v = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read the config ${file}: ${(e as Error).message}`);
  }
  const raw = v && typeof v === 'object' ? (v as Record<string, unknown>)['store'] : undefined;
  if (raw === undefined) return undefined;
  const s = substituteEnv(raw, ctx.env, (pointer, msg) => {
    throw new QonlineError('QONLINE_CONFIG_ENV', msg, { location: { file, path: `/store${pointer}` } });
  });
  return (typeof s === 'string' ? { class: s } : s) as ComponentSpec;
}

/** Builds components through the command's kernel, naming the user config's file and line on a bad option. */
function deskEnvResolve(ctx: CliCommandContext, loaded?: LoadedUserConfig) {
  return async (kind: 'tradingStrategy' | 'exchange' | 'dataProvider', spec: ComponentSpec, pointer?: string) => {
    try {
      return await ctx.resolve(kind, spec, pointer);
    } catch (e) {
      if (loaded && e instanceof QonlineError && !e.location?.file && pointer) {
        const p = e.location?.path ?? pointer;
        throw new QonlineError(e.code, e.message.replace(/^at \S+: /, ''), { location: { file: loaded.file, line: loaded.lineOf(p), path: p }, details: e.details, hint: e.hint });
      }
      throw e;
    }
  };
}

export async function openDesk(ctx: CliCommandContext, storeSpec?: ComponentSpec, loaded?: LoadedUserConfig): Promise<TradingDesk> {
  const store = await ctx.resolve('store', storeSpec ?? storeSpecOf(ctx) ?? ({ class: 'SQLiteStore' } as ComponentSpec), '/store');
  return TradingDesk.open({ store, resolve: deskEnvResolve(ctx, loaded) as never, logger: ctx.logger });
}

const STORE_FLAG = { config: { value: true, description: 'A config whose top-level `store:` names the store (default: SQLite in the home)' } };
const f4 = (x: number | null | undefined, d = 2): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');

export const usersAddCommand: CliCommand = {
  name: 'users add',
  usage: 'users add ID --config USER.yaml --date D',
  summary: 'Add a user (account, trading strategy, score source) trading from date D',
  flags: {
    config: { value: true, description: 'The user config (init_cash, strategy, exchange_kwargs, benchmark, data, model)' },
    date: { value: true, description: "The user's first trading date" },
  },
  async run(ctx) {
    const id = positional(ctx, 'the user id', this.usage);
    const loaded = readUserConfig(flag(ctx, 'config', true), ctx.env);
    const date = dateFlag(ctx, 'date', true);
    const desk = await openDesk(ctx, loaded.config.store, loaded);
    const r = await desk.addUser(id, loaded.config, date);
    ctx.print(r, () => (r.status === 'added' ? `user ${id} added (first trading date ${date}, cash ${loaded.config.init_cash})` : `user ${id} already exists with this config and date: nothing changed`));
  },
};

export const usersRemoveCommand: CliCommand = {
  name: 'users remove',
  usage: 'users remove ID [--yes]',
  summary: 'Remove a user with its orders, fills and days (an audit row keeps what was removed)',
  flags: { yes: { short: 'y', description: 'Do not ask for confirmation' }, ...STORE_FLAG },
  async run(ctx) {
    const id = positional(ctx, 'the user id', this.usage);
    if (!ctx.args.flags['yes']) {
      if (!process.stdin.isTTY) throw new QonlineError('QONLINE_USAGE', `removing user ${id} needs confirmation: pass --yes`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`remove user ${id} and its orders, fills and days? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        ctx.print({ id, status: 'kept' }, () => `user ${id} kept`);
        return 0;
      }
    }
    const desk = await openDesk(ctx);
    const r = await desk.removeUser(id);
    ctx.print(r, () => (r.status === 'removed' ? `user ${id} removed (audit row kept)` : `no user ${id}: nothing to remove`));
  },
};

/** The data of `users list --json` (for the HTTP API). */
export async function usersListData(desk: TradingDesk): Promise<UserSummary[]> {
  return desk.summaries();
}

/** The data of `users show ID --json` (for the HTTP API). */
export async function userShowData(desk: TradingDesk, id: string): Promise<UserShow> {
  return desk.show(id);
}

export const usersListCommand: CliCommand = {
  name: 'users list',
  usage: 'users list [--json]',
  summary: 'List the users: last day done, step, cash and account value',
  flags: { ...STORE_FLAG },
  async run(ctx) {
    const desk = await openDesk(ctx);
    const rows = await usersListData(desk);
    ctx.print(rows, () =>
      rows.length
        ? ['id\tfirst\tlast\tstep\tcash\taccount\tholdings', ...rows.map((r) => `${r.id}\t${r.first_date}\t${r.last_date ?? '-'}\t${r.step}${r.pending_date ? ` ${r.pending_date}` : ''}\t${f4(r.cash)}\t${f4(r.account)}\t${r.holdings}`)].join('\n')
        : 'no users (qonline users add ID --config USER.yaml --date D)',
    );
  },
};

export const usersShowCommand: CliCommand = {
  name: 'users show',
  usage: 'users show ID [--json]',
  summary: "A user's account: positions (weights, holding days), daily report and risk against the benchmark",
  flags: { ...STORE_FLAG },
  async run(ctx) {
    const id = positional(ctx, 'the user id', this.usage);
    const desk = await openDesk(ctx);
    const s = await userShowData(desk, id);
    ctx.print(s, () => {
      const lines = [`user ${s.id}: first ${s.first_date}, last ${s.last_date ?? '-'}, step ${s.step}${s.pending_date ? ` (${s.pending_date})` : ''}`, `cash ${f4(s.cash)}  account ${f4(s.account)}  days ${s.report.length}`];
      const pos = Object.entries(s.positions);
      if (pos.length) {
        lines.push('positions: instrument  amount  price  weight  days');
        for (const [c, h] of pos) lines.push(`  ${c}  ${f4(h.amount)}  ${f4(h.price, 4)}  ${f4(h.weight, 4)}  ${h.count_day}`);
      }
      for (const [name, r] of Object.entries(s.risk)) {
        lines.push(`${name}: annualized_return ${f4(r.annualized_return, 4)}  information_ratio ${f4(r.information_ratio, 4)}  max_drawdown ${f4(r.max_drawdown, 4)}`);
      }
      return lines.join('\n');
    });
  },
};

export const usersValidateCommand: CliCommand = {
  name: 'users validate',
  usage: 'users validate USER.yaml',
  summary: 'Check a user config (its schema, strategy and exchange options) without writing anything',
  flags: {},
  async run(ctx) {
    const file = positional(ctx, 'the user config', this.usage);
    const loaded = readUserConfig(file, ctx.env);
    const resolve = deskEnvResolve(ctx, loaded);
    await resolve('tradingStrategy', loaded.config.strategy, '/strategy');
    await resolve('exchange', { class: 'Exchange', kwargs: { ...loaded.config.exchange_kwargs, region: loaded.config.region } } as ComponentSpec, '/exchange_kwargs');
    ctx.print({ valid: true, file, kind: 'user', model: loaded.config.model, strategy: loaded.config.strategy.class }, () => `${file}: valid user config (strategy ${loaded.config.strategy.class}, scores from ${JSON.stringify(loaded.config.model)})`);
  },
};

export { looksLikeUserConfig };

async function forUsers(ctx: CliCommandContext, step: StepName): Promise<void> {
  const date = dateFlag(ctx, 'date', true);
  const only = flag(ctx, 'user');
  const desk = await openDesk(ctx);
  const ids = only ? [only] : (await desk.listUsers()).map((u) => u.id);
  const out: StepOutcome[] = [];
  const failures: { user: string; error: QonlineError | Error }[] = [];
  for (const id of ids) {
    try {
      out.push(await desk.step(step, id, date));
    } catch (e) {
      if (!only && e instanceof QonlineError) failures.push({ user: id, error: e });
      else throw e;
    }
  }
  if (failures.length === 1 && ids.length === 1) throw failures[0]!.error;
  if (failures.length) {
    const first = failures[0]!.error as QonlineError;
    throw new QonlineError(first.code, `${failures.length} of ${ids.length} user(s) refused: ${first.message}`, { details: failures.map((f) => `${f.user}: ${f.error.message}`), hint: first.hint });
  }
  ctx.print(out, () => (out.length ? out.map((o) => `${o.user} ${o.step} ${o.date}: ${o.status === 'already' ? 'already done, nothing changed' : `done${o.orders !== undefined ? `, ${o.orders} order(s)` : ''}${o.fills !== undefined ? `, ${o.fills} fill(s)` : ''}${o.account !== undefined ? `, account ${f4(o.account)}` : ''}`}`).join('\n') : 'no users'));
}

const USER_FLAG = { user: { value: true, description: 'One user (default: every user)' } };
const DATE_FLAG = { date: { value: true, description: 'The trading date' } };

export const tradeGenerateCommand: CliCommand = {
  name: 'trade generate',
  usage: 'trade generate --date D [--user ID]',
  summary: "Orders for D from the previous trading date's scores, stored per user",
  flags: { ...DATE_FLAG, ...USER_FLAG, ...STORE_FLAG },
  run: (ctx) => forUsers(ctx, 'generate'),
};

export const tradeExecuteCommand: CliCommand = {
  name: 'trade execute',
  usage: 'trade execute --date D [--user ID]',
  summary: "Deal D's stored orders at the exchange (costs, limits, trade units) and store the fills",
  flags: { ...DATE_FLAG, ...USER_FLAG, ...STORE_FLAG },
  run: (ctx) => forUsers(ctx, 'execute'),
};

export const tradeUpdateCommand: CliCommand = {
  name: 'trade update',
  usage: 'trade update --date D [--user ID]',
  summary: "The account after D's fills, valued at D's close; stores the day's report and positions",
  flags: { ...DATE_FLAG, ...USER_FLAG, ...STORE_FLAG },
  run: (ctx) => forUsers(ctx, 'update'),
};

export const tradeSimulateCommand: CliCommand = {
  name: 'trade simulate',
  usage: 'trade simulate --user ID --start D --end D',
  summary: 'generate, execute and update every trading date in [start, end] (dates done are skipped)',
  flags: { user: { value: true, description: 'The user' }, start: { value: true, description: 'First date' }, end: { value: true, description: 'Last date' }, ...STORE_FLAG },
  async run(ctx) {
    const id = flag(ctx, 'user', true);
    const start = dateFlag(ctx, 'start', true);
    const end = dateFlag(ctx, 'end', true);
    if (end < start) throw new QonlineError('QONLINE_USAGE', `--end ${end} is before --start ${start}`);
    const desk = await openDesk(ctx);
    const t0 = performance.now();
    const r = await desk.simulate(id, start, end);
    const seconds = (performance.now() - t0) / 1000;
    ctx.print({ ...r, seconds }, () => `user ${id}: ${r.days} trading day(s) ${start}..${end}: ${r.done} done, ${r.already} already done; last day ${r.last_date ?? '-'} (${seconds.toFixed(1)} s)`);
  },
};

export const tradeRunCommand: CliCommand = {
  name: 'trade run',
  usage: 'trade run [--user ID] [--until D]',
  summary: 'Bring every user (or one) up to date: each trading day after its last, up to D (default the latest data date) or the first date without scores',
  flags: { ...USER_FLAG, until: { value: true, description: 'Last date (default: the latest date of the data)' }, ...STORE_FLAG },
  async run(ctx) {
    const desk = await openDesk(ctx);
    const r = await desk.catchUp(dateFlag(ctx, 'until'), flag(ctx, 'user'));
    ctx.print(r, () => (r.length ? r.map((x) => `${x.user}: ${x.days} day(s), last ${x.to ?? '-'}${x.stopped ? ` (stopped: ${x.stopped})` : ''}`).join('\n') : 'no users'));
  },
};

export const tradeShowCommand: CliCommand = {
  name: 'trade show',
  usage: 'trade show --user ID [--date D]',
  summary: "A user's orders and fills of a day (default: the latest day with orders)",
  flags: { user: { value: true, description: 'The user' }, ...{ date: { value: true, description: 'The trading date (default: the latest)' } }, ...STORE_FLAG },
  async run(ctx) {
    const id = flag(ctx, 'user', true);
    const desk = await openDesk(ctx);
    const d = await desk.dayDetail(id, dateFlag(ctx, 'date'));
    ctx.print(d, () => {
      const lines = [`user ${id} ${d.date ?? '(no day yet)'}: step ${d.step}${d.pending_date ? ` (${d.pending_date})` : ''}, last day done ${d.last_date ?? '-'}`];
      for (const o of d.orders) {
        const f = d.fills.find((x) => x.seq === o.seq);
        lines.push(`  ${o.direction.padEnd(4)} ${o.instrument} ${f4(o.amount)}${f ? ` -> dealt ${f4(f.deal_amount)} @ ${f4(f.price, 4)} cost ${f4(f.cost)}` : ' (not executed)'}`);
      }
      if (d.report) lines.push(`  account ${f4(d.report.account)}  return ${f4(d.report.return, 6)}  cost ${f4(d.report.cost, 6)}`);
      return lines.join('\n');
    });
  },
};

/** The users page (HTML) of every user: account value over time, positions today, last orders. */
export async function usersPageHtml(desk: TradingDesk, options: { refreshSeconds?: number; stylesheet?: string } = {}): Promise<string> {
  const list = await desk.summaries();
  const users = [];
  for (const u of list) users.push({ show: await desk.show(u.id), day: await desk.dayDetail(u.id) });
  return renderUsersHtml(list, users, options);
}

export const usersPageCommand: CliCommand = {
  name: 'users page',
  usage: 'users page [--out FILE]',
  summary: 'Write the users page (HTML): account value over time, positions today, last orders',
  flags: { out: { value: true, description: 'Write to this file (default: stdout)' }, ...STORE_FLAG },
  async run(ctx) {
    const desk = await openDesk(ctx);
    const html = await usersPageHtml(desk);
    const out = flag(ctx, 'out');
    if (out) {
      writeFileSync(out, html);
      ctx.print({ out }, () => `wrote ${out}`);
    } else ctx.stdout(html + '\n');
  },
};

export const USERS_COMMANDS: CliCommand[] = [
  usersPageCommand,
  usersAddCommand,
  usersRemoveCommand,
  usersListCommand,
  usersShowCommand,
  usersValidateCommand,
  tradeGenerateCommand,
  tradeExecuteCommand,
  tradeUpdateCommand,
  tradeSimulateCommand,
  tradeRunCommand,
  tradeShowCommand,
];
