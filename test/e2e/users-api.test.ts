import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startServe } from '../helpers/serve.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

describe('GET /api/users, /api/users/:id and the /users page (built CLI serve)', () => {
  it('serve the same data as users list/show --json', async () => {
    const home = tempDir('qonline-users-api-');
    const cli = (args: string[]) => runCli([...args, '--home', home], { timeoutMs: 120_000 });
    expect((await cli(['run', CONFIG])).code).toBe(0);
    const user = path.join(home, 'user.yaml');
    writeFileSync(user, ['init_cash: 1000000', 'strategy: {class: TopkDropoutStrategy, kwargs: {topk: 3, n_drop: 1}}', 'benchmark: null', 'data: {class: SyntheticMarket, kwargs: {instruments: 20, start: 2018-01-01, end: 2020-12-31, seed: 3}}', 'model: {manager: tiny}', ''].join('\n'));
    expect((await cli(['users', 'add', 'api1', '--config', user, '--date', '2020-12-01'])).code).toBe(0);
    const run = await cli(['trade', 'run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { url } = await startServe(['serve', CONFIG, '--home', home, '--port', '0'], children);
    const list = await fetch(url + 'api/users');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual(JSON.parse((await cli(['users', 'list', '--json'])).stdout));
    const one = await fetch(url + 'api/users/api1');
    expect(one.status).toBe(200);
    const body = (await one.json()) as { id: string; report: unknown[] };
    expect(body).toEqual(JSON.parse((await cli(['users', 'show', 'api1', '--json'])).stdout));
    expect(body.report.length).toBeGreaterThan(10);
    expect((await fetch(url + 'api/users/nobody')).status).toBe(404);
    // the users page: account value over time, positions today, last orders
    const page = await fetch(url + 'users');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<section id="api1">');
    expect(html).toContain('<polyline');
    const shown = body as unknown as { positions: Record<string, unknown>; report: { date: string }[] };
    for (const code of Object.keys(shown.positions)) expect(html).toContain(`<td>${code}</td>`);
    expect(html).toContain(`Last orders (${shown.report[shown.report.length - 1]!.date})`);
  }, 180_000);
});
