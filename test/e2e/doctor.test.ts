import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../plugins/store-sqlite/index.js';
import { usersMigrations } from '../../plugins/users/index.js';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { dropSchema, freshSchema, pgTestUrl, requirePgOrExplainSkip } from '../helpers/pg.js';
import { PgDriver } from '../../plugins/store-postgres/index.js';
import { startCli, until } from '../helpers/proc.js';
import { SLOW_MODEL, slowPoolYaml } from '../helpers/slow-pool.js';

/**
 * `qonline doctor CONFIG` (built CLI): a healthy home exits 0 and writes
 * nothing; each finding is provoked as it happens in operation and says
 * what to do; exit 1 when something needs action, 2 on bad input.
 */

interface Report {
  ok: boolean;
  today: string;
  findings: { check: string; severity: string; message: string; action?: string }[];
}

const TINY = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
// The tiny config's data ends on Thursday 2020-12-31: on Friday 2021-01-01 it is up to date.
const TODAY = ['--today', '2021-01-01'];
const live = new Set<ChildProcess>();
afterEach(() => {
  for (const c of live) c.kill('SIGKILL');
});

async function doctor(config: string, home: string, extra: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await runCli(['doctor', config, '--home', home, '--json', ...extra]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`doctor exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

function finding(report: Report, check: string): Report['findings'][number][] {
  return report.findings.filter((f) => f.check === check);
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${st.size}@${st.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`the built CLI is missing (${CLI}): run \`npx tsup\` first`);
});

describe('qonline doctor', () => {
  let root: string;
  let home: string;
  beforeAll(async () => {
    root = tempDir('qonline-doctor-');
    home = path.join(root, 'home');
    const r = await runCli(['run', TINY, '--home', home, '-q']);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);

  it('a healthy home: every check ok, exit 0, nothing written; text output says so', async () => {
    const before = snapshot(home);
    const { code, report } = await doctor(TINY, home, TODAY);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.findings.map((f) => [f.check, f.severity])).toEqual([
      ['config', 'ok'],
      ['data', 'ok'],
      ['store', 'ok'],
      ['routine', 'ok'],
      ['routine', 'ok'],
      ['signals', 'ok'],
      ['pool', 'ok'],
      ['lock', 'ok'],
    ]);
    // The users plugin migrates a store when first used: this one never had users.
    expect(finding(report, 'store')[0]!.message).toMatch(/SQLiteStore reachable, schema current \(store v\d+, backtest v\d+; not used with this store: users\)/);
    expect(finding(report, 'routine')[1]!.message).toMatch(/^last written by a routine \d+ (minute|hour)\(s\) ago \(\d{4}-/);
    expect(finding(report, 'routine')[0]!.message).toMatch(/the last routine ran at 2020-12-31/);
    const text = await runCli(['doctor', TINY, '--home', home, ...TODAY]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {2}ok {5}routine {2}the last routine ran at 2020-12-31/m);
    expect(text.stdout).toMatch(/all good\.$/m);
    expect(snapshot(home)).toEqual(before);
  });

  it('an empty home: no store (run the config), exit 1, and the home is not created', async () => {
    const empty = path.join(root, 'nothing-here');
    const { code, report } = await doctor(TINY, empty, TODAY);
    expect(code).toBe(1);
    const [store] = finding(report, 'store');
    expect(store).toMatchObject({ severity: 'error', message: expect.stringMatching(/no store \(SQLiteStore\) in .*nothing-here: nothing has run/) });
    expect(store!.action).toBe(`run \`qonline run ${TINY} --home ${empty}\``);
    expect(existsSync(empty)).toBe(false);
  });

  it('bad input is exit 2: a config error (with its location), an impossible --today, a bad --max-data-lag or --max-routine-age; --help lists the flags', async () => {
    const bad = path.join(root, 'bad.yaml');
    writeFileSync(bad, readFileSync(TINY, 'utf8').replace('class: Linear', 'class: Linaer'));
    const r = await runCli(['doctor', bad, '--home', home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_UNKNOWN_CLASS.*bad\.yaml:\d+:\d+/);
    expect((await runCli(['doctor', TINY, '--home', home, '--today', '2021-02-30'])).code).toBe(2);
    const lag = await runCli(['doctor', TINY, '--home', home, '--max-data-lag', 'two']);
    expect(lag.code).toBe(2);
    expect(lag.stderr).toMatch(/--max-data-lag expects a whole number of trading days, got "two"/);
    const age = await runCli(['doctor', TINY, '--home', home, '--max-routine-age', '-1']);
    expect(age.code).toBe(2);
    expect(age.stderr).toMatch(/--max-routine-age expects a number of days, got "-1"/);
    const user = await runCli(['doctor', path.join(ROOT, 'configs/user.yaml'), '--home', home]);
    expect(user.code).toBe(2);
    expect(user.stderr).toMatch(/user\.yaml is not a pipeline config \(no manager:\)/);
    const help = await runCli(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: qonline doctor CONFIG/);
    expect(help.stdout).toMatch(/--today <value>/);
    expect(help.stdout).toMatch(/--max-data-lag <value>/);
    expect(help.stdout).toMatch(/--max-routine-age <value>/);
  });

  it('data behind today: says how far and to update it; --max-data-lag allows for holidays past the calendar', async () => {
    // On Tuesday 2021-01-05 the data should reach Monday the 4th: past the data's calendar, two weekdays missing.
    const { code, report } = await doctor(TINY, home, ['--today', '2021-01-05']);
    expect(code).toBe(1);
    expect(finding(report, 'data')[0]).toMatchObject({
      severity: 'warn',
      message: "the data ends at 2020-12-31, 2 trading day(s) before 2021-01-04 (the last trading day before 2021-01-05; weekdays past the data's calendar)",
    });
    expect(finding(report, 'data')[0]!.action).toMatch(/update the market data/);
    expect((await doctor(TINY, home, ['--today', '2021-01-05', '--max-data-lag', '2'])).code).toBe(0);
  });

  it('a routine behind the data: says how far and which command runs it', async () => {
    const h = path.join(root, 'behind');
    expect((await runCli(['run', TINY, '--home', h, '-q', '--step', 'first_train'])).code).toBe(0);
    const first = await doctor(TINY, h, TODAY);
    expect(first.code).toBe(1);
    expect(finding(first.report, 'routine')[0]).toMatchObject({ severity: 'warn', message: expect.stringMatching(/first-trained but has run no routine/) });
    expect((await runCli(['run', TINY, '--home', h, '-q', '--step', 'routine', '--at', '2020-12-29'])).code).toBe(0);
    const { code, report } = await doctor(TINY, h, TODAY);
    expect(code).toBe(1);
    const [routine] = finding(report, 'routine');
    expect(routine).toMatchObject({ severity: 'warn', message: expect.stringMatching(/^a routine is due: the last routine ran at 2020-12-29; the data reaches 2020-12-31 \(2 trading day\(s\) later\)/) });
    expect(routine!.action).toBe(`run \`qonline run ${TINY} --home ${h} --step routine\` (or check that \`qonline daemon ${TINY} --home ${h}\` is running)`);
    // Doing what it says clears it.
    expect((await runCli(['run', TINY, '--home', h, '-q', '--step', 'routine'])).code).toBe(0);
    expect((await doctor(TINY, h, TODAY)).code).toBe(0);
  }, 120_000);

  it('data older than the last routine (the config points at other data, not generated yet): says so, and an error naming both dates', async () => {
    const older = path.join(root, 'older.yaml');
    writeFileSync(older, readFileSync(TINY, 'utf8').replace('end: 2020-12-31', 'end: 2020-11-30'));
    const before = snapshot(home);
    const { code, report } = await doctor(older, home, ['--today', '2020-12-01']);
    expect(code).toBe(1);
    // The synthetic market of these options is not in the home: doctor says which command creates it and generates nothing.
    expect(finding(report, 'data').map((f) => f.severity)).toEqual(['warn', 'ok']);
    expect(finding(report, 'data')[0]).toMatchObject({
      message: expect.stringMatching(/^the data \(SyntheticMarket\) does not exist yet in .*: it is created on first use; the checks below count weekdays$/),
      action: `run \`qonline run ${older} --home ${home}\` (it creates the data, then trains)`,
    });
    expect(snapshot(home)).toEqual(before);
    const [routine] = finding(report, 'routine');
    expect(routine).toMatchObject({ severity: 'error', message: expect.stringMatching(/the last routine ran at 2020-12-31, but the data ends at 2020-11-30: the data is older than the routine/) });
    expect(routine!.action).toMatch(/point data: in the config at the data the routines used/);
  });

  it("a routine behind the data across a market holiday: the gap counts the data's trading days, not weekdays", async () => {
    const cfg = path.join(root, 'holiday.yaml');
    writeFileSync(cfg, readFileSync(TINY, 'utf8').replace('begin_time: 2020-09-30', 'begin_time: 2020-09-25'));
    const h = path.join(root, 'holiday');
    expect((await runCli(['run', cfg, '--home', h, '-q', '--step', 'first_train'])).code).toBe(0);
    // Wednesday 30 September, just before the synthetic market's 1-7 October closure.
    expect((await runCli(['run', cfg, '--home', h, '-q', '--step', 'routine', '--at', '2020-09-30'])).code).toBe(0);
    const [dataDir] = readdirSync(path.join(h, 'data'));
    const calendar = readFileSync(path.join(h, 'data', dataDir!, 'calendars', 'day.txt'), 'utf8').split('\n').filter(Boolean);
    const trading = calendar.filter((d) => d > '2020-09-30').length;
    let weekdays = 0;
    for (let t = Date.parse('2020-10-01T00:00:00Z'); t <= Date.parse('2020-12-31T00:00:00Z'); t += 86_400_000) if (![0, 6].includes(new Date(t).getUTCDay())) weekdays++;
    expect(trading).toBe(weekdays - 5);
    const { code, report } = await doctor(cfg, h, TODAY);
    expect(code).toBe(1);
    expect(finding(report, 'routine')[0]).toMatchObject({ severity: 'warn', message: expect.stringMatching(new RegExp(`^a routine is due: the last routine ran at 2020-09-30; the data reaches 2020-12-31 \\(${trading} trading day\\(s\\) later\\)`)) });
  }, 120_000);

  it('no routine for longer than --max-routine-age (wall clock): a warning with the age, quiet with a longer limit', async () => {
    const h = path.join(root, 'stale');
    cpSync(home, h, { recursive: true });
    const db = path.join(h, 'store.sqlite');
    // The daemon stopped ten days ago: its last routine wrote the state then.
    const then = new Date(Date.now() - 10 * 86_400_000 - 3_600_000).toISOString();
    await sqliteRun(db, `UPDATE managers SET updated_at = '${then}'`);
    const { code, report } = await doctor(TINY, h, TODAY);
    expect(code).toBe(1);
    const stale = finding(report, 'routine').filter((f) => f.severity === 'warn');
    expect(stale).toEqual([
      {
        check: 'routine',
        severity: 'warn',
        message: `no routine has written the manager's state for 10 day(s) (last at ${then}; --max-routine-age 3)`,
        action: `run \`qonline run ${TINY} --home ${h} --step routine\` (or check that \`qonline daemon ${TINY} --home ${h}\` is running); the daemon's log says why its routines fail or skip (no new data)`,
      },
    ]);
    // The routine is not behind the data: only the age is reported.
    expect(finding(report, 'routine')[0]).toMatchObject({ severity: 'ok', message: expect.stringMatching(/^the last routine ran at 2020-12-31/) });
    const relaxed = await doctor(TINY, h, [...TODAY, '--max-routine-age', '30']);
    expect(relaxed.code).toBe(0);
    expect(finding(relaxed.report, 'routine')[1]!.message).toMatch(/^last written by a routine 10 day\(s\) ago/);
  });

  it("the users plugin's migrations, applied on first use: checked where the store has them (pending, newer), read-only", async () => {
    const h = path.join(root, 'users');
    cpSync(home, h, { recursive: true });
    const db = path.join(h, 'store.sqlite');
    const store = await openSqliteStore(db);
    try {
      await store.registerMigrations('users', usersMigrations);
    } finally {
      await store.close();
    }
    const current = await doctor(TINY, h, TODAY);
    expect(current.code).toBe(0);
    expect(finding(current.report, 'store')[0]!.message).toMatch(/schema current \(store v\d+, backtest v\d+, users v1\)$/);
    await sqliteRun(db, 'DELETE FROM qonline_migrations__users');
    const pending = await doctor(TINY, h, TODAY);
    expect(pending.code).toBe(1);
    expect(finding(pending.report, 'store')[0]).toMatchObject({ severity: 'warn', message: expect.stringMatching(/^schema migrations pending: users 1 \(/) });
    expect(await sqliteCount(db, 'SELECT COUNT(*) AS n FROM qonline_migrations__users')).toBe(0);
    await sqliteRun(db, "INSERT INTO qonline_migrations__users (version, name, applied_at) VALUES (1, 'x', '2030-01-01'), (7, 'from the future', '2030-01-01')");
    const newer = await doctor(TINY, h, TODAY);
    expect(finding(newer.report, 'store')[0]).toMatchObject({ severity: 'error', message: 'the store was migrated by a newer qonline (users: version(s) 7)' });
  });

  it('signals of the latest date covering far fewer instruments than the dates before: a warning with both counts', async () => {
    const h = path.join(root, 'coverage');
    cpSync(home, h, { recursive: true });
    const db = path.join(h, 'store.sqlite');
    // Keep 3 instruments on the latest date (as a routine on data missing most instruments would write).
    await sqliteRun(db, `DELETE FROM signals WHERE date = (SELECT MAX(date) FROM signals) AND instrument NOT IN (SELECT instrument FROM signals WHERE date = (SELECT MAX(date) FROM signals) ORDER BY instrument LIMIT 3)`);
    const { code, report } = await doctor(TINY, h, TODAY);
    expect(code).toBe(1);
    const [f] = finding(report, 'signals');
    expect(f).toMatchObject({ severity: 'warn', message: expect.stringMatching(/^signals on 2020-12-31 cover 3 instrument\(s\), against a median of \d+ over the 20 date\(s\) before$/) });
    expect(f!.action).toBe(`look at \`qonline signals --config ${TINY} --home ${h} --date 2020-12-31\` and the data of that date (which instruments have no features there)`);
  });

  it('the store: migrations pending (warn: a writing command applies them), migrated by a newer qonline (error), not a database (unreachable)', async () => {
    const h = path.join(root, 'schema');
    cpSync(home, h, { recursive: true });
    const db = path.join(h, 'store.sqlite');
    await sqliteRun(db, 'DELETE FROM qonline_migrations__backtest');
    const pending = await doctor(TINY, h, TODAY);
    expect(pending.code).toBe(1);
    expect(finding(pending.report, 'store')[0]).toMatchObject({ severity: 'warn', message: expect.stringMatching(/^schema migrations pending: backtest 1 \(/) });
    expect(finding(pending.report, 'store')[0]!.action).toBe(`any writing command applies them, e.g. \`qonline run ${TINY} --home ${h} --step routine\``);
    // The store's own tables are current: the other checks still run.
    expect(finding(pending.report, 'routine')[0]!.severity).toBe('ok');
    // doctor applied nothing.
    expect(await sqliteCount(db, 'SELECT COUNT(*) AS n FROM qonline_migrations__backtest')).toBe(0);
    await sqliteRun(db, "INSERT INTO qonline_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01')");
    const newer = await doctor(TINY, h, TODAY);
    expect(finding(newer.report, 'store')[0]).toMatchObject({ severity: 'error', message: 'the store was migrated by a newer qonline (store: version(s) 999)' });
    // The store's own schema behind: the checks that read its tables wait for the migration.
    await sqliteRun(db, 'DELETE FROM qonline_migrations WHERE version >= (SELECT MAX(version) FROM qonline_migrations WHERE version < 999)');
    const behind = await doctor(TINY, h, TODAY);
    expect(behind.code).toBe(1);
    expect(finding(behind.report, 'store').map((f) => f.severity)).toEqual(['warn', 'info']);
    expect(finding(behind.report, 'store')[0]!.message).toMatch(/^schema migrations pending: store \d+ \(.*\); backtest 1 \(/);
    expect(finding(behind.report, 'routine')).toEqual([]);
    writeFileSync(db, 'not a database at all, just text '.repeat(200));
    const broken = await doctor(TINY, h, TODAY);
    expect(broken.code).toBe(1);
    expect(finding(broken.report, 'store')[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/^SQLiteStore is not reachable: .*not a database/) });
  }, 120_000);

  it('a stale home lock (its process died): a warning that says what happened; a live holder is only reported', async () => {
    const h = path.join(root, 'locked');
    expect((await runCli(['run', TINY, '--home', h, '-q'])).code).toBe(0);
    // A process that has exited: its pid is free (and no reuse within this test).
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const lock = path.join(h, 'qonline.lock');
    writeFileSync(lock, JSON.stringify({ pid: dead, thread: 0, nonce: 'deadbeef', what: 'manager tiny', since: '2021-01-01T18:00:00.000Z' }));
    const { code, report } = await doctor(TINY, h, TODAY);
    expect(code).toBe(1);
    const [f] = finding(report, 'lock');
    expect(f).toMatchObject({ severity: 'warn', message: `stale home lock ${lock}: its process is gone, pid ${dead} (manager tiny, since 2021-01-01T18:00:00.000Z)` });
    expect(f!.action).toMatch(/that process died mid-run: look at its logs .* or remove /);
    expect(existsSync(lock)).toBe(true);
    // A live holder (this test process) is a routine at work: reported, no action.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, thread: 0, nonce: 'cafe', what: 'manager tiny', since: '2021-01-01T18:00:00.000Z' }));
    const held = await doctor(TINY, h, TODAY);
    expect(held.code).toBe(0);
    expect(finding(held.report, 'lock')[0]).toMatchObject({ severity: 'info', message: expect.stringMatching(`locked by a live process: pid ${process.pid}`) });
  }, 120_000);
});

describe('qonline doctor: task pools', () => {
  let dir: string;
  let home: string;
  beforeAll(() => {
    dir = tempDir('qonline-doctor-pool-');
    home = path.join(dir, 'home');
    copyFileSync(SLOW_MODEL, path.join(dir, 'slow-model.js'));
  });

  function config(name: string, model: string, trainer: string): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      slowPoolYaml({ manager: 'pool_doctor', store: `{class: SQLiteStore, kwargs: {path: ${name}.sqlite}}`, trainerKwargs: trainer, modelKwargs: model }),
    );
    return file;
  }

  it('failed tasks: names the error and says to list, fix and retry', async () => {
    const cfg = config('failed', '{fail: "synthetic failure in fit"}', '{train_locally: false, max_attempts: 1, poll_ms: 100}');
    const manager = startCli(['run', cfg, '--home', home, '-q'], live);
    await until('the task in the pool', () => existsSync(path.join(home, 'failed.sqlite')) && runCli(['tasks', 'stat', cfg, '--home', home, '--json']).then((r) => r.code === 0 && /"waiting": 1/.test(r.stdout)));
    const w = await runCli(['worker', cfg, '--home', home, '--once', '-q']);
    expect(w.code, w.stderr).toBe(0);
    expect(await manager.exit).toBe(1);
    const { code, report } = await doctor(cfg, home, TODAY);
    expect(code).toBe(1);
    const [f] = finding(report, 'pool');
    expect(f).toMatchObject({ severity: 'warn', message: expect.stringMatching(/^pool slow: 1 task\(s\) failed \(e\.g\. task \S+: synthetic failure in fit\)$/) });
    expect(f!.action).toBe(`see why with \`qonline tasks list ${cfg} --home ${home} --status failed\`, fix the cause, then \`qonline tasks retry ${cfg} --home ${home}\``);
  }, 120_000);

  it('a worker killed mid-task (and no manager left to reap): the expired lease is reported until a reset puts the task back', async () => {
    const cfg = config('expired', '{sleep_ms: 60000}', '{train_locally: false, lease_seconds: 1, poll_ms: 100}');
    const worker = startCli(['worker', cfg, '--home', home, '--poll-ms', '100'], live);
    await until('the worker to start', () => /worker \S+: pool\(s\)/.test(worker.err()), 120_000);
    const manager = startCli(['run', cfg, '--home', home, '-q'], live);
    const store = path.join(home, 'expired.sqlite');
    await until('the worker to hold the task', async () => {
      if (!existsSync(store)) return false;
      const s = await openSqliteStore(store);
      try {
        return (await s.taskPools().pool('slow').query({ status: 'running' })).length === 1;
      } finally {
        await s.close();
      }
    });
    manager.child.kill('SIGKILL');
    worker.child.kill('SIGKILL');
    await Promise.all([manager.exit, worker.exit]);
    // The lease (1 s, database time) runs out on its own; poll doctor until it sees that.
    const report = await until('doctor to see the expired lease', async () => {
      const d = await doctor(cfg, home, TODAY);
      return finding(d.report, 'pool').some((f) => /lease ran out/.test(f.message)) ? d.report : undefined;
    });
    const [f] = finding(report, 'pool').filter((x) => /lease ran out/.test(x.message));
    expect(f!.severity).toBe('warn');
    expect(f!.message).toMatch(new RegExp(`^pool slow: 1 running task\\(s\\) whose lease ran out \\(worker \\S+:${worker.child.pid}:0 stopped or stalled\\)$`));
    expect(f!.action).toContain(`\`qonline worker ${cfg} --home ${home}\``);
    expect(f!.action).toContain(`\`qonline tasks reset ${cfg} --home ${home}\``);
    expect(report.ok).toBe(false);
    const reset = await runCli(['tasks', 'reset', cfg, '--home', home]);
    expect(reset.code, reset.stderr).toBe(0);
    const after = await doctor(cfg, home, TODAY);
    expect(finding(after.report, 'pool').some((x) => /lease ran out/.test(x.message))).toBe(false);
  }, 180_000);
});

function sqliteRun(file: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.run(sql, (e: Error | null) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

function sqliteCount(file: string, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.get(sql, (e: Error | null, row: { n: number }) => db.close(() => (e ? reject(e) : resolve(row.n))));
    });
  });
}

const { url: pgUrl, skip: pgSkip } = pgTestUrl();
requirePgOrExplainSkip('doctor on PostgreSQL');

describe.skipIf(Boolean(pgSkip) || !pgUrl)('qonline doctor: PostgreSQL store', () => {
  it('no store in the schema (and doctor does not create the schema), then healthy after a run; an unreachable server is an error', async () => {
    const schema = freshSchema('doctor');
    const root = tempDir('qonline-doctor-pg-');
    const home = path.join(root, 'home');
    const cfg = path.join(root, 'pg.yaml');
    const store = (url: string) => `\nstore: {class: PostgresStore, kwargs: {url: "${url}", schema: ${schema}, connect_timeout_ms: 3000}}\n`;
    writeFileSync(cfg, readFileSync(TINY, 'utf8') + store('${QONLINE_TEST_PG_URL}'));
    const schemaExists = async (): Promise<boolean> => {
      const d = await PgDriver.open({ url: pgUrl!, poolSize: 1 });
      try {
        return (await d.all('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [schema])).length === 1;
      } finally {
        await d.close();
      }
    };
    try {
      const none = await doctor(cfg, home, TODAY);
      expect(none.code).toBe(1);
      expect(finding(none.report, 'store')[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/^no store \(PostgresStore\)/) });
      expect(await schemaExists()).toBe(false);
      expect(existsSync(home)).toBe(false);
      const r = await runCli(['run', cfg, '--home', home, '-q']);
      expect(r.code, r.stderr).toBe(0);
      const ok = await doctor(cfg, home, TODAY);
      expect(ok.code, JSON.stringify(ok.report.findings)).toBe(0);
      expect(finding(ok.report, 'store')[0]!.message).toMatch(/^PostgresStore reachable, schema current \(store v\d+, backtest v\d+; not used with this store: users\)$/);
      expect(finding(ok.report, 'routine')[0]!.message).toMatch(/the last routine ran at 2020-12-31/);
      const down = path.join(root, 'down.yaml');
      writeFileSync(down, readFileSync(TINY, 'utf8') + store('postgres://postgres@127.0.0.1:1/nothing'));
      const unreachable = await doctor(down, home, TODAY);
      expect(unreachable.code).toBe(1);
      expect(finding(unreachable.report, 'store')[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/^PostgresStore is not reachable: cannot connect to PostgreSQL/) });
    } finally {
      await dropSchema(pgUrl!, schema);
    }
  }, 180_000);
});
