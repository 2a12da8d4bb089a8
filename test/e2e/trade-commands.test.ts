import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSyntheticMarket } from '../../plugins/data-qlib/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { rng } from '../helpers/rng.js';

const MARKET = { instruments: 20, start: '2019-01-01', end: '2019-12-31', seed: 5 };

describe('users and trade commands (built CLI): exit codes, a scores file, two processes at once', () => {
  const home = tempDir('qonline-trade-');
  const userFile = path.join(home, 'user.yaml');
  let dates: readonly string[];
  const cli = (args: string[]) => runCli([...args, '--home', home], { timeoutMs: 120_000 });

  beforeAll(async () => {
    const p = await openSyntheticMarket(home, MARKET);
    dates = (await p.calendar('day')).dates;
    const spans = await p.instruments('all');
    const r = rng(3);
    const lines = ['datetime,instrument,score'];
    for (const d of dates) for (const [c, sp] of spans) if (sp.some((x) => x.start <= d && d <= x.end)) lines.push(`${d},${c},${(r() - 0.5).toFixed(6)}`);
    writeFileSync(path.join(home, 'scores.csv'), lines.join('\n') + '\n');
    writeFileSync(
      userFile,
      [
        'init_cash: 10000000',
        'strategy: {class: TopkDropoutStrategy, kwargs: {topk: 4, n_drop: 1}}',
        'exchange_kwargs: {open_cost: 0.0005, close_cost: 0.0015}',
        'benchmark: null',
        `data: {class: SyntheticMarket, kwargs: ${JSON.stringify(MARKET)}}`,
        'model: {file: scores.csv}',
        '',
      ].join('\n'),
    );
  }, 120_000);

  it('orders the steps, refuses with exit 2, re-runs with exit 0, and two concurrent executes do it once', async () => {
    const d = dates[100]!;
    expect((await cli(['users', 'add', 'u1', '--config', userFile, '--date', d])).code).toBe(0);
    const early = await cli(['trade', 'execute', '--date', d]);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('QONLINE_TRADE_REFUSED');
    expect(early.stderr).toContain('before generate');
    expect((await cli(['trade', 'generate', '--date', '2019-06-08'])).code).toBe(2); // a Saturday
    expect((await cli(['trade', 'generate', '--date', dates[101]!])).code).toBe(2); // not the next date
    const gen = await cli(['trade', 'generate', '--date', d, '--json']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout)[0]).toMatchObject({ user: 'u1', status: 'done' });
    expect((await cli(['trade', 'update', '--date', d])).code).toBe(2);
    // two processes execute the same day at once
    const both = await Promise.all([cli(['trade', 'execute', '--date', d, '--user', 'u1', '--json']), cli(['trade', 'execute', '--date', d, '--user', 'u1', '--json'])]);
    for (const b of both) expect(b.code, b.stderr).toBe(0);
    expect(both.map((b) => (JSON.parse(b.stdout) as { status: string }[])[0]!.status).sort()).toEqual(['already', 'done']);
    expect((await cli(['trade', 'update', '--date', d])).code).toBe(0);
    const again = await cli(['trade', 'update', '--date', d, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ status: 'already' });
    const show = JSON.parse((await cli(['trade', 'show', '--user', 'u1', '--json'])).stdout) as { date: string; orders: unknown[]; fills: { deal_amount: number }[] };
    expect(show.date).toBe(d);
    expect(show.fills).toHaveLength(show.orders.length);
    const sim = await cli(['trade', 'simulate', '--user', 'u1', '--start', d, '--end', dates[120]!, '--json']);
    expect(sim.code, sim.stderr).toBe(0);
    expect(JSON.parse(sim.stdout)).toMatchObject({ days: 21, done: 20, already: 1, last_date: dates[120] });
    const list = JSON.parse((await cli(['users', 'list', '--json'])).stdout) as { id: string; last_date: string }[];
    expect(list).toEqual([expect.objectContaining({ id: 'u1', last_date: dates[120] })]);
    // removing asks: without a terminal, --yes is required
    expect((await cli(['users', 'remove', 'u1'])).code).toBe(2);
    expect((await cli(['users', 'remove', 'u1', '--yes'])).code).toBe(0);
    expect((await cli(['users', 'show', 'u1'])).code).toBe(2);
  }, 180_000);

  it('a process killed between generate and execute leaves the user at generate; trade simulate resumes to the uninterrupted numbers', async () => {
    const start = dates[150]!;
    const end = dates[165]!;
    for (const u of ['ref', 'crash']) expect((await cli(['users', 'add', u, '--config', userFile, '--date', start])).code).toBe(0);
    expect((await cli(['trade', 'simulate', '--user', 'ref', '--start', start, '--end', end])).code).toBe(0);
    const killed = await runCli(['trade', 'simulate', '--user', 'crash', '--start', start, '--end', end, '--verbose', '--home', home], {
      timeoutMs: 120_000,
      env: { QONLINE_TEST_KILL_ON_STDERR: `user crash generate ${dates[158]}: done` },
    });
    expect(killed.code).not.toBe(0);
    const at = JSON.parse((await cli(['users', 'list', '--json'])).stdout) as { id: string; step: string; pending_date: string | null; last_date: string }[];
    expect(at.find((u) => u.id === 'crash')).toMatchObject({ step: 'generated', pending_date: dates[158], last_date: dates[157] });
    expect((await cli(['trade', 'simulate', '--user', 'crash', '--start', start, '--end', end])).code).toBe(0);
    const ref = JSON.parse((await cli(['users', 'show', 'ref', '--json'])).stdout) as { report: unknown[]; positions: unknown };
    const got = JSON.parse((await cli(['users', 'show', 'crash', '--json'])).stdout) as { report: unknown[]; positions: unknown };
    expect(got.report).toHaveLength(16);
    expect(got.report).toEqual(ref.report);
    expect(got.positions).toEqual(ref.positions);
  }, 180_000);
});
