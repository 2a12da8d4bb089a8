import path from 'node:path';
import type { DataFacts } from '../contracts/plugin.js';
import type { ExperimentStore, ReadOnlyStore } from '../contracts/store.js';
import { isTaskPoolHost } from '../contracts/task-pool.js';
import { isQonlineError } from '../errors/index.js';
import { inspectHomeLock } from './home.js';
import { DEFAULT_COMPONENTS, type PreparedConfig } from './pipeline.js';

export type Severity = 'ok' | 'info' | 'warn' | 'error';

/** One thing `qonline doctor` checked: what it saw and, when something needs doing, what to do. */
export interface Finding {
  check: 'config' | 'store' | 'data' | 'routine' | 'signals' | 'pool' | 'lock';
  severity: Severity;
  message: string;
  /** What to do (a command to run), when something needs action. */
  action?: string;
}

export interface DoctorReport {
  manager: string;
  config: string;
  home: string;
  /** The date freshness is judged against (`--today`, default today). */
  today: string;
  /** No finding needs action (none is `warn` or `error`). */
  ok: boolean;
  findings: Finding[];
}

export interface DoctorOptions {
  /** YYYY-MM-DD: the day to judge the data's freshness against. */
  today: string;
  /** Trading days the data may lag behind the last trading day before `today` (days past the data's calendar count as weekdays: holidays there). */
  maxDataLagDays: number;
  /** Days (wall clock) since a routine last wrote the manager's state before that is a finding (the daemon stopped or its routines fail). */
  maxRoutineAgeDays: number;
  /** The config (and --home) as the user wrote them, for the commands the findings suggest. */
  commandArgs: string;
  /** The current time, from the clock service (lease expiry, routine age). */
  now: Date;
}

/**
 * What a person on call checks, read-only: the config (already valid when
 * this runs), the store (reachable, schema current), the data (present,
 * recent), the last routine against the data, the signals of the latest
 * date, the task pools (failed tasks, expired leases) and the home lock.
 * Nothing is created, migrated or written: the store is opened read-only
 * through the store component's `openReadOnly`, or not at all.
 */
export async function runDoctor(prepared: PreparedConfig, o: DoctorOptions): Promise<DoctorReport> {
  const { pipeline, home } = prepared;
  const manager = pipeline.manager.name;
  const cfg = o.commandArgs;
  const findings: Finding[] = [];
  const add = (f: Finding): void => void findings.push(f);
  const strategies = pipeline.strategies.length;
  add({ check: 'config', severity: 'ok', message: `valid: manager ${manager}, ${strategies} strateg${strategies === 1 ? 'y' : 'ies'}` });

  const facts = prepared.facts;
  const days = await readTradingDays(prepared, cfg, add);
  const calendar = days?.length ? { first: days[0]!, last: days[days.length - 1]!, length: days.length } : (facts?.calendar ?? null);
  const gaps = new TradingGaps(days);
  checkData(calendar, gaps, o, add);

  // The plugins' start registers their store migrations (backtest...); it opens nothing of the config's.
  await prepared.kernel.start();
  try {
    const opened = await openStore(prepared, cfg, add);
    if (opened) {
      try {
        await checkManager(opened, manager, calendar, gaps, o, cfg, add);
        await checkPools(opened.store, o.now, cfg, add);
      } finally {
        await opened.close().catch(() => undefined);
      }
    }
  } finally {
    await prepared.kernel.stop();
  }

  checkLock(path.join(home, 'qonline.lock'), add);
  return { manager, config: prepared.config.file, home, today: o.today, ok: !findings.some(needsAction), findings };
}

export function needsAction(f: Finding): boolean {
  return f.severity === 'warn' || f.severity === 'error';
}

/**
 * The data's trading dates as they are on disk (the provider's
 * `tradingDays`, read-only). Null when the provider cannot say (weekdays
 * stand in) or the data does not exist yet (said as a finding).
 */
async function readTradingDays(prepared: PreparedConfig, cfg: string, add: (f: Finding) => void): Promise<readonly string[] | null> {
  const spec = prepared.pipeline.data ?? DEFAULT_COMPONENTS.data;
  let def;
  try {
    def = prepared.kernel.registry.lookup('dataProvider', spec.class, spec.module_path).def;
  } catch {
    return null; // an unknown class is a config error, reported before doctor runs
  }
  if (!def.tradingDays) return null;
  const days = await def.tradingDays((spec.kwargs ?? {}) as never, { home: prepared.home, configDir: prepared.config.dir });
  if (days === null) {
    add({
      check: 'data',
      severity: 'warn',
      message: `the data (${def.name}) does not exist yet in ${prepared.home}: it is created on first use; the checks below count weekdays`,
      action: `run \`qonline run ${cfg}\` (it creates the data, then trains)`,
    });
  }
  return days;
}

function checkData(calendar: DataFacts['calendar'], gaps: TradingGaps, o: DoctorOptions, add: (f: Finding) => void): void {
  if (!calendar) {
    add({ check: 'data', severity: 'info', message: 'the data provider does not say which dates its data covers: freshness not checked' });
    return;
  }
  const expected = gaps.lastTradingDayBefore(o.today);
  const lag = gaps.between(calendar.last, expected);
  const span = `${calendar.first} .. ${calendar.last} (${calendar.length} trading days)`;
  if (lag > o.maxDataLagDays) {
    add({
      check: 'data',
      severity: 'warn',
      message: `the data ends at ${calendar.last}, ${lag} ${gaps.unit} before ${expected} (the last ${gaps.dayName} before ${o.today}${gaps.beyond(expected)})`,
      action: 'update the market data (your data job, or `qonline data import-csv`); if the market was closed on those days, pass --max-data-lag',
    });
  } else {
    add({ check: 'data', severity: 'ok', message: `present: ${span}` });
  }
}

async function openStore(prepared: PreparedConfig, cfg: string, add: (f: Finding) => void): Promise<ReadOnlyStore | null> {
  const spec = prepared.pipeline.store ?? DEFAULT_COMPONENTS.store;
  const def = prepared.kernel.registry.lookup('store', spec.class, spec.module_path).def;
  if (!def.openReadOnly) {
    add({ check: 'store', severity: 'info', message: `${def.name} cannot be opened read-only: store, routine, signal and pool checks skipped` });
    return null;
  }
  let opened: ReadOnlyStore | null;
  try {
    opened = await def.openReadOnly((spec.kwargs ?? {}) as never, { home: prepared.home, configDir: prepared.config.dir });
  } catch (e) {
    add({
      check: 'store',
      severity: 'error',
      message: `${def.name} is not reachable: ${isQonlineError(e) ? e.message : (e as Error).message}`,
      action: isQonlineError(e) && e.hint ? e.hint : 'check the store settings under store: in the config and that the database runs',
    });
    return null;
  }
  if (!opened) {
    add({ check: 'store', severity: 'error', message: `no store (${def.name}) in ${prepared.home}: nothing has run with this config and home`, action: `run \`qonline run ${cfg}\`` });
    return null;
  }
  // Plugins that migrate the store when first used (users): checked where the store has their tables.
  const unused: string[] = [];
  for (const { manifest } of prepared.kernel.registry.pluginList()) {
    for (const [owner, source] of Object.entries(manifest.migrationsOnUse ?? {})) {
      if (opened.migrations.some((m) => m.owner === owner)) continue;
      const found = await opened.migrationsOnUse(owner, source);
      if (found) opened.migrations.push(found);
      else unused.push(owner);
    }
  }
  const pending = opened.migrations.filter((m) => m.pending.length);
  const newer = opened.migrations.filter((m) => m.newer.length);
  const current = opened.migrations.map((m) => `${m.owner} v${Math.max(0, ...m.applied)}`).join(', ');
  if (newer.length) {
    add({
      check: 'store',
      severity: 'error',
      message: `the store was migrated by a newer qonline (${newer.map((m) => `${m.owner}: version(s) ${m.newer.join(', ')}`).join('; ')})`,
      action: 'upgrade qonline on this machine to the version that writes this store',
    });
  }
  if (pending.length) {
    add({
      check: 'store',
      severity: 'warn',
      message: `schema migrations pending: ${pending.map((m) => `${m.owner} ${m.pending.map((p) => `${p.version} (${p.name})`).join(', ')}`).join('; ')}`,
      action: `any writing command applies them, e.g. \`qonline run ${cfg} --step routine\``,
    });
  }
  const notUsed = unused.length ? `; not used with this store: ${unused.join(', ')}` : '';
  if (!newer.length && !pending.length) add({ check: 'store', severity: 'ok', message: `${def.name} reachable, schema current (${current}${notUsed})` });
  // Reads below need the store's own tables as this version knows them.
  if (opened.migrations[0]?.pending.length) {
    await opened.close();
    add({ check: 'store', severity: 'info', message: 'the routine, signal and pool checks need the current schema: skipped until the migrations are applied' });
    return null;
  }
  return opened;
}

async function checkManager(
  opened: ReadOnlyStore,
  manager: string,
  calendar: DataFacts['calendar'],
  gaps: TradingGaps,
  o: DoctorOptions,
  cfg: string,
  add: (f: Finding) => void,
): Promise<void> {
  const store = opened.store;
  const state = await store.getManager(manager);
  if (!state) {
    add({ check: 'routine', severity: 'error', message: `manager ${manager} has never run with this store`, action: `run \`qonline run ${cfg}\`` });
    return;
  }
  const history = await store.listHistory(manager);
  const lastChange = history.reduce<string | null>((a, h) => (a === null || h.createdAt > a ? h.createdAt : a), null);
  const changed = lastChange ? `; online sets last changed ${lastChange}` : '';
  const routineCmd = `run \`qonline run ${cfg} --step routine\` (or check that \`qonline daemon ${cfg}\` is running)`;
  if (!state.lastRoutine) {
    add({ check: 'routine', severity: 'warn', message: `manager ${manager} is first-trained but has run no routine${changed}`, action: routineCmd });
  } else if (calendar && state.lastRoutine < calendar.last) {
    // The data's latest trading day has no routine yet: one is due.
    add({
      check: 'routine',
      severity: 'warn',
      message: `a routine is due: the last routine ran at ${state.lastRoutine}; the data reaches ${calendar.last} (${gaps.between(state.lastRoutine, calendar.last)} ${gaps.unit} later)${changed}`,
      action: routineCmd,
    });
  } else if (calendar && state.lastRoutine > calendar.last) {
    add({
      check: 'routine',
      severity: 'error',
      message: `the last routine ran at ${state.lastRoutine}, but the data ends at ${calendar.last}: the data is older than the routine (replaced by an older copy, or the config points at other data)`,
      action: 'point data: in the config at the data the routines used, or bring that data up to date',
    });
  } else {
    const at = calendar ? ", the data's last date" : " (the data's dates are unknown)";
    add({ check: 'routine', severity: 'ok', message: `the last routine ran at ${state.lastRoutine}${at} (state version ${state.stateVersion}${changed})` });
  }
  if (state.lastRoutine) checkRoutineAge(await opened.stateWrittenAt(manager), o, routineCmd, add);

  const dates = await store.signalDates(manager);
  const last = dates[dates.length - 1];
  if (!last) {
    if (state.lastRoutine) add({ check: 'signals', severity: 'warn', message: `manager ${manager} has no signals`, action: routineCmd });
    return;
  }
  // The latest date's coverage against the dates before it (a routine that lost instruments shows here).
  const recent = dates.slice(-21);
  const rows = await store.readSignals(manager, { start: recent[0], end: last });
  const perDate = new Map<string, Set<string>>();
  for (let i = 0; i < rows.dates.length; i++) {
    let s = perDate.get(rows.dates[i]!);
    if (!s) perDate.set(rows.dates[i]!, (s = new Set()));
    s.add(rows.instruments[i]!);
  }
  const coverage = perDate.get(last)?.size ?? 0;
  const before = recent.slice(0, -1).map((d) => perDate.get(d)?.size ?? 0);
  const typical = median(before);
  if (state.lastRoutine && last < state.lastRoutine) {
    add({ check: 'signals', severity: 'warn', message: `signals end at ${last}, before the last routine ${state.lastRoutine}`, action: routineCmd });
  } else if (typical !== null && coverage < typical / 2) {
    add({
      check: 'signals',
      severity: 'warn',
      message: `signals on ${last} cover ${coverage} instrument(s), against a median of ${typical} over the ${before.length} date(s) before`,
      action: `look at \`qonline signals --config ${cfg} --date ${last}\` and the data of that date (which instruments have no features there)`,
    });
  } else {
    add({ check: 'signals', severity: 'ok', message: `${dates.length} signal date(s) up to ${last}, ${coverage} instrument(s) on the latest` });
  }
}

/** Wall-clock staleness: no routine has written the state for longer than --max-routine-age (the daemon stopped, or its routines fail or find no new data). */
function checkRoutineAge(writtenAt: string | null, o: DoctorOptions, routineCmd: string, add: (f: Finding) => void): void {
  const at = writtenAt === null ? NaN : Date.parse(writtenAt);
  if (Number.isNaN(at)) return;
  const days = (o.now.getTime() - at) / 86_400_000;
  const hours = days * 24;
  const age = days >= 1 ? `${Math.floor(days)} day(s)` : hours >= 1 ? `${Math.floor(hours)} hour(s)` : `${Math.max(0, Math.floor(hours * 60))} minute(s)`;
  if (days > o.maxRoutineAgeDays) {
    add({
      check: 'routine',
      severity: 'warn',
      message: `no routine has written the manager's state for ${age} (last at ${new Date(at).toISOString()}; --max-routine-age ${o.maxRoutineAgeDays})`,
      action: `${routineCmd}; the daemon's log says why its routines fail or skip (no new data)`,
    });
  } else {
    add({ check: 'routine', severity: 'ok', message: `last written by a routine ${age} ago (${new Date(at).toISOString()})` });
  }
}

async function checkPools(store: ExperimentStore, now: Date, cfg: string, add: (f: Finding) => void): Promise<void> {
  if (!isTaskPoolHost(store)) return;
  const pools = store.taskPools();
  const names = await pools.listPools();
  if (!names.length) {
    add({ check: 'pool', severity: 'ok', message: 'no task pool holds tasks' });
    return;
  }
  let healthy = true;
  for (const name of names) {
    const pool = pools.pool(name);
    const failed = await pool.query({ status: 'failed' });
    if (failed.length) {
      healthy = false;
      const last = failed[failed.length - 1]!;
      add({
        check: 'pool',
        severity: 'warn',
        message: `pool ${name}: ${failed.length} task(s) failed (e.g. task ${last.id}: ${last.lastError ?? 'no error kept'})`,
        action: `see why with \`qonline tasks list ${cfg} --status failed\`, fix the cause, then \`qonline tasks retry ${cfg}\``,
      });
    }
    const expired = (await pool.query({ status: 'running' })).filter((t) => t.lease && Date.parse(t.lease.expiresAt) < now.getTime());
    if (expired.length) {
      healthy = false;
      const workers = [...new Set(expired.map((t) => t.worker ?? '?'))];
      add({
        check: 'pool',
        severity: 'warn',
        message: `pool ${name}: ${expired.length} running task(s) whose lease ran out (worker ${workers.join(', ')} stopped or stalled)`,
        action: `start a worker (\`qonline worker ${cfg}\`): it takes them over; or, if those workers are gone, \`qonline tasks reset ${cfg}\` puts them back now`,
      });
    }
  }
  if (healthy) {
    const stats = await Promise.all(names.map(async (n) => [n, await pools.pool(n).stat()] as const));
    add({ check: 'pool', severity: 'ok', message: stats.map(([n, s]) => `pool ${n}: ${Object.entries(s).map(([k, v]) => `${v} ${k}`).join(', ')}`).join('; ') });
  }
}

function checkLock(file: string, add: (f: Finding) => void): void {
  const lock = inspectHomeLock(file);
  const leftovers = lock.leftovers.length ? `; left beside it: ${lock.leftovers.map((f) => path.basename(f)).join(', ')}` : '';
  if (lock.state === 'free') {
    if (lock.leftovers.length) add({ check: 'lock', severity: 'warn', message: `no home lock, but files of an interrupted takeover remain${leftovers}`, action: `remove ${lock.leftovers.join(' ')}` });
    else add({ check: 'lock', severity: 'ok', message: 'the home is not locked' });
    return;
  }
  const who = lock.owner ? `pid ${lock.owner.pid} (${lock.owner.what}${lock.owner.since ? `, since ${lock.owner.since}` : ''})` : 'no owner written';
  if (lock.state === 'held') {
    add({ check: 'lock', severity: 'info', message: `the home is locked by a live process: ${who}${leftovers}` });
    return;
  }
  add({
    check: 'lock',
    severity: 'warn',
    message: `stale home lock ${file}: its process is gone, ${who}${leftovers}`,
    action: `that process died mid-run: look at its logs (what it committed stays; the next run resumes and takes the lock over), or remove ${file}`,
  });
}

/**
 * Counts days between dates on the data's trading calendar; past its end
 * (and without a calendar) weekdays stand in, as the market's holidays
 * there are unknown.
 */
export class TradingGaps {
  constructor(private readonly days: readonly string[] | null) {}

  get unit(): string {
    return this.days ? 'trading day(s)' : 'weekday(s)';
  }

  get dayName(): string {
    return this.days ? 'trading day' : 'weekday';
  }

  /** A note when `day` lies past the calendar (counted as weekdays there). */
  beyond(day: string): string {
    return this.days && day > this.days[this.days.length - 1]! ? '; weekdays past the data\'s calendar' : '';
  }

  /** The last trading day strictly before `day` (a weekday past the calendar's end). */
  lastTradingDayBefore(day: string): string {
    const weekday = lastWeekdayBefore(day);
    const days = this.days;
    if (!days?.length || weekday > days[days.length - 1]!) return weekday;
    const i = firstAtOrAfter(days, day) - 1;
    return i >= 0 ? days[i]! : weekday;
  }

  /** Trading days in (from, to]; 0 when `to` is not after `from`. */
  between(from: string, to: string): number {
    const days = this.days;
    if (!days?.length) return weekdaysBetween(from, to);
    if (to <= from) return 0;
    const last = days[days.length - 1]!;
    const inside = firstAtOrAfter(days, to > last ? last : to, true) - firstAtOrAfter(days, from, true);
    return Math.max(0, inside) + (to > last ? weekdaysBetween(from > last ? from : last, to) : 0);
  }
}

/** Index of the first date >= `day` (or > `day` when `after`) in the sorted `days`. */
function firstAtOrAfter(days: readonly string[], day: string, after = false): number {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid]! < day || (after && days[mid] === day)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last Monday-to-Friday date strictly before `day` (the last trading day whose data should be in, holidays aside). */
export function lastWeekdayBefore(day: string): string {
  const t = new Date(`${day}T00:00:00Z`);
  do t.setUTCDate(t.getUTCDate() - 1);
  while (t.getUTCDay() === 0 || t.getUTCDay() === 6);
  return t.toISOString().slice(0, 10);
}

/** Weekdays in (from, to]; 0 when `to` is not after `from`. */
export function weekdaysBetween(from: string, to: string): number {
  let n = 0;
  const t = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`).getTime();
  for (t.setUTCDate(t.getUTCDate() + 1); t.getTime() <= end; t.setUTCDate(t.getUTCDate() + 1)) if (t.getUTCDay() !== 0 && t.getUTCDay() !== 6) n++;
  return n;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
