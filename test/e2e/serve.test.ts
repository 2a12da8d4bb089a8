import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S } from '../../plugins/serve/src/schemas.js';
import { CdpPage, CHROMIUM } from '../helpers/cdp.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startServe as startServeCli, type ServeProc } from '../helpers/serve.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
const requireBrowser = process.env['QONLINE_REQUIRE_BROWSER'] === '1';
if (!CHROMIUM && !requireBrowser) console.warn('serve.test: Chromium not found; the browser part is skipped (set QONLINE_REQUIRE_BROWSER=1 to make this a failure)');

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

function startServe(home: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProc> {
  return startServeCli(['serve', CONFIG, '--home', home, '--port', '0', ...extra], children, env);
}

const stop = async (child: ChildProcess): Promise<number> => {
  child.kill('SIGTERM');
  return new Promise<number>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (c) => resolve(c ?? -1))));
};

const Ajv = (AjvModule as unknown as { default: typeof AjvModule.Ajv }).default;
const ajv = new Ajv({ strict: false, allErrors: true });
function expectSchema(schema: object, body: unknown): void {
  const v = ajv.compile(schema);
  expect(v(body), JSON.stringify(v.errors)).toBe(true);
}

/** The 200 response schema a route declares in /api/openapi.json (OpenAPI's nullable read back as JSON Schema). */
function oasSchema(oas: { body: any }, p: string): object {
  const fromOas = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(fromOas);
    if (typeof x !== 'object' || x === null) return x;
    const o = Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'nullable').map(([k, v]) => [k, fromOas(v)]));
    if ((x as { nullable?: boolean }).nullable && typeof o['type'] === 'string') o['type'] = [o['type'], 'null'];
    return o;
  };
  return fromOas(oas.body.paths[p].get.responses['200'].content['application/json'].schema) as object;
}

let home: string;
let server: { url: string; child: ChildProcess; stderr: () => string };
const env = (): NodeJS.ProcessEnv => ({ QONLINE_HOME: home });

beforeAll(async () => {
  home = tempDir('qonline-serve-');
  const r = await runCli(['run', CONFIG], { env: env() });
  expect(r.code, r.stderr).toBe(0);
  // A user with a few trading days, for the /users page.
  const user = path.join(home, 'user.yaml');
  writeFileSync(user, ['init_cash: 1000000', 'strategy: {class: TopkDropoutStrategy, kwargs: {topk: 3, n_drop: 1}}', 'benchmark: null', 'data: {class: SyntheticMarket, kwargs: {instruments: 20, start: 2018-01-01, end: 2020-12-31, seed: 3}}', 'model: {manager: tiny}', ''].join('\n'));
  const add = await runCli(['users', 'add', 'desk1', '--config', user, '--date', '2020-12-15'], { env: env() });
  expect(add.code, add.stderr).toBe(0);
  const trade = await runCli(['trade', 'run'], { env: env() });
  expect(trade.code, trade.stderr).toBe(0);
  server = await startServe(home);
}, 120_000);

describe('qonline serve: the JSON API', () => {
  it('answers every route with a body that fits its schema, and HEAD on every GET', async () => {
    const u = server.url;
    const get = async (p: string) => {
      const r = await fetch(u + p);
      return { status: r.status, headers: r.headers, body: (await r.json()) as any };
    };
    const health = await get('api/health');
    expect(health.status).toBe(200);
    expectSchema(S.health.response[200], health.body);
    expect(health.body.lastRoutine).toBe('2020-12-31');
    const latest = await get('api/signals');
    expectSchema(S.signals.response[200], latest.body);
    expect(latest.body.date).toBe('2020-12-31');
    const sig = await get('api/signals?date=2020-12-30');
    expectSchema(S.signals.response[200], sig.body);
    expect(sig.body.signals.length).toBeGreaterThan(5);
    const range = await get('api/signals/range?start=2020-12-29&end=2020-12-31');
    expectSchema(S.signalsRange.response[200], range.body);
    expect(range.body.dates.map((d: { date: string }) => d.date)).toEqual(['2020-12-29', '2020-12-30', '2020-12-31']);
    expect(range.body.dates[1].signals).toEqual(sig.body.signals);
    const online = await get('api/online');
    expectSchema(S.online.response[200], online.body);
    expect(online.body.strategies['tiny_ridge']).toHaveLength(1);
    const models = await get('api/models');
    expectSchema(S.models.response[200], models.body);
    expect(models.body.models.length).toBeGreaterThan(3);
    expect(models.body.models.filter((x: { online: boolean }) => x.online).map((x: { id: string }) => x.id)).toEqual(online.body.strategies['tiny_ridge'].map((x: { id: string }) => x.id));
    const one = await get('api/models/' + models.body.models[0].id.slice(0, 10));
    expectSchema(S.model.response[200], one.body);
    expect(one.body.model.id).toBe(models.body.models[0].id);
    expect(one.body.artifacts).toContain('task');
    const hist = await get('api/history');
    expectSchema(S.history.response[200], hist.body);
    expect(hist.body.history.length).toBeGreaterThan(0);
    const tasks = await get('api/tasks/stat');
    expect(tasks.status).toBe(200);
    expectSchema(S.tasksStat.response[200], tasks.body);
    expect(tasks.body.total).toEqual({ waiting: 0, running: 0, part_done: 0, done: 0, failed: 0 });
    const bt = await get('api/backtest');
    expect(bt.status).toBe(200);
    expect(bt.body).toEqual({ manager: 'tiny', backtests: [] });
    expectSchema(oasSchema(await get('api/openapi.json'), '/api/backtest'), bt.body);
    const oas = await get('api/openapi.json');
    for (const p of ['/api/health', '/api/signals', '/api/signals/range', '/api/online', '/api/models', '/api/models/{id}', '/api/history', '/api/tasks/stat', '/api/backtest']) {
      expect(oas.body.paths[p]?.get?.responses?.['200'], p).toBeTruthy();
      expect(oas.body.paths[p]?.head, p).toBeTruthy();
      const h = await fetch(u + p.slice(1).replace('{id}', models.body.models[0].id) + (p === '/api/signals/range' ? '?start=2020-12-01&end=2020-12-31' : ''), { method: 'HEAD' });
      expect([200, 404], p).toContain(h.status);
      expect(h.headers.get('x-qonline-state-version'), p).toBe(String(health.body.stateVersion));
      expect(await h.text()).toBe('');
    }
  });

  it('answers 400 on a malformed or impossible date and 404 on an unknown recorder or route, without a stack', async () => {
    const u = server.url;
    for (const q of ['api/signals?date=2020-02-30', 'api/signals?date=2020-1-3', 'api/signals?date=yesterday', 'api/signals/range?start=2020-12-31', 'api/signals/range?start=2020-12-31&end=2020-12-01', 'api/signals/range?start=2020-13-01&end=2020-12-31']) {
      const r = await fetch(u + q);
      expect(r.status, q).toBe(400);
      const b = (await r.json()) as { message: string };
      expectSchema(S.signals.response[400], b);
      expect(b.message).not.toMatch(/\n\s+at /);
    }
    const nf = await fetch(u + 'api/models/nosuchrecorder');
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { message: string }).message).toContain('nosuchrecorder');
    expect((await fetch(u + 'api/nothing')).status).toBe(404);
    // Writes are not mounted without --allow-writes.
    expect((await fetch(u + 'api/rollback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  it('exposes Prometheus metrics: state version, last routine, coverage, request latencies', async () => {
    const health = (await (await fetch(server.url + 'api/health')).json()) as { stateVersion: number };
    const r = await fetch(server.url + 'metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toContain(`qonline_state_version{manager="tiny"} ${health.stateVersion}`);
    expect(text).toContain(`qonline_last_routine_timestamp_seconds{manager="tiny"} ${Date.parse('2020-12-31T00:00:00Z') / 1000}`);
    expect(text).toMatch(/qonline_signal_coverage\{manager="tiny"\} [1-9]\d*/);
    expect(text).toMatch(/qonline_http_request_duration_seconds_count\{route="\/api\/health",status="200"\} [1-9]/);
  });

  it('serves pages with security headers and escapes names', async () => {
    const r = await fetch(server.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    const html = await r.text();
    expect(html).toContain('<script src="/assets/uplot.js"></script>');
    expect(html).not.toMatch(/<script>/);
    const js = await fetch(server.url + 'assets/uplot.js');
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('uPlot');
    // Every page, the users plugin's included: the same policy, nothing inline allowed, no inline code to allow.
    for (const p of ['', 'ic', 'models', 'timeline', 'history', 'tasks', 'users']) {
      const page = await fetch(server.url + p);
      expect(page.status, p).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp, p).toContain("script-src 'self';");
      expect(csp, p).toContain("style-src 'self';");
      expect(csp, p).not.toContain('unsafe-inline');
      const text = await page.text();
      expect(text, p).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    }
    const css = await fetch(server.url + 'assets/users.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('a taken port is a clear error (exit 1, no stack)', async () => {
    const port = new URL(server.url).port;
    const r = await runCli(['serve', CONFIG, '--port', port], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('QONLINE_SERVE_LISTEN');
    expect(r.stderr).toContain(`port ${port}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('qonline serve: routes from other plugins', () => {
  it('mounts a route a plugin contributes (PluginManifest.apiRoutes), validated, versioned and in the OpenAPI document', async () => {
    const dir = tempDir('qonline-serve-plugin-');
    const cfg = path.join(dir, 'config.yaml');
    writeFileSync(cfg, readFileSync(CONFIG, 'utf8') + `\nplugins:\n  - ${path.join(ROOT, 'test/fixtures/plugins/api-route.js')}\n`);
    const plugin = path.join(ROOT, 'test/fixtures/plugins/api-route.js');
    const { url, child } = await startServeCli(['serve', cfg, '--home', home, '--port', '0'], children, { QONLINE_TRUSTED_PLUGINS: plugin });
    const r = await fetch(url + 'api/strategy-names?prefix=tiny');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-qonline-state-version')).toMatch(/^\d+$/);
    const models = ((await (await fetch(url + 'api/models')).json()) as { models: unknown[] }).models.length;
    expect(await r.json()).toEqual({ manager: 'tiny', strategies: [{ name: 'tiny_ridge', recorders: models }] });
    expect((await fetch(url + 'api/strategy-names?prefix=' + 'x'.repeat(30))).status).toBe(400);
    const oas = (await (await fetch(url + 'api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(oas.paths['/api/strategy-names']).toBeTruthy();
    expect(await stop(child)).toBe(0);
  });
});

describe('qonline serve: state versions', () => {
  it('ETag and state version follow a rollback run by another process; a response never mixes versions', async () => {
    const u = server.url;
    const first = await fetch(u + 'api/signals?date=2020-12-31');
    const etag = first.headers.get('etag')!;
    const v1 = Number(first.headers.get('x-qonline-state-version'));
    expect(((await first.json()) as { stateVersion: number }).stateVersion).toBe(v1);
    const again = await fetch(u + 'api/signals?date=2020-12-31', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-qonline-state-version')).toBe(String(v1));

    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', '2020-09-30'], { env: env() });
    expect(rb.code, rb.stderr).toBe(0);
    const after = await fetch(u + 'api/signals?date=2020-12-31', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    const v2 = Number(after.headers.get('x-qonline-state-version'));
    expect(v2).toBe(v1 + 1);
    expect(after.headers.get('etag')).not.toBe(etag);
    const body = (await after.json()) as { stateVersion: number; signals: { instrument: string; score: number }[] };
    expect(body.stateVersion).toBe(v2);
    // The same date read back through the CLI (the store) gives the same signals.
    const cli = await runCli(['signals', '--config', CONFIG, '--start', '2020-12-31', '--end', '2020-12-31', '--json'], { env: env() });
    if (cli.code === 0) {
      const rows = JSON.parse(cli.stdout) as { instrument: string; score: number }[] | { rows?: unknown };
      if (Array.isArray(rows)) expect(rows.length).toBe(body.signals.length);
    }
    // SQLite cannot notify: the request's own version check found the new version.
    const health = (await (await fetch(u + 'api/health')).json()) as { snapshot: { notified: boolean; refreshes: Record<string, number> } };
    expect(health.snapshot.notified).toBe(false);
    expect(health.snapshot.refreshes['request']).toBeGreaterThanOrEqual(1);
    expect(health.snapshot.refreshes['notify']).toBe(0);
    // /metrics exports the same counts as a Prometheus counter.
    const metrics = await (await fetch(u + 'metrics')).text();
    for (const [cause, n] of Object.entries(health.snapshot.refreshes)) expect(metrics).toContain(`qonline_snapshot_reloads_total{cause="${cause}"} ${n}`);
    const online = (await (await fetch(u + 'api/online')).json()) as { stateVersion: number; strategies: Record<string, unknown[]> };
    expect(online.stateVersion).toBe(v2);
    expect(online.strategies['tiny_ridge']!.length).toBeGreaterThan(1);
  });

  it('writes need --allow-writes and the bearer token, and are recorded in the history', async () => {
    const h2 = tempDir('qonline-serve-w-');
    expect((await runCli(['run', CONFIG], { env: { QONLINE_HOME: h2 } })).code).toBe(0);
    const noToken = await runCli(['serve', CONFIG, '--home', h2, '--port', '0', '--allow-writes'], { env: { QONLINE_API_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('QONLINE_API_TOKEN');
    const s = await startServe(h2, ['--allow-writes'], { QONLINE_API_TOKEN: 'sekrit-token' });
    const post = (auth: string | null, body: unknown) =>
      fetch(s.url + 'api/rollback', { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    expect((await post(null, { strategy: 'tiny_ridge', to: '2020-09-30' })).status).toBe(401);
    expect((await post('Bearer wrong', { strategy: 'tiny_ridge', to: '2020-09-30' })).status).toBe(401);
    expect((await post('Bearer sekrit-token', { strategy: 'tiny_ridge', to: '2020-02-30x' })).status).toBe(400);
    const before = (await (await fetch(s.url + 'api/history')).json()) as { stateVersion: number; history: unknown[] };
    const ok = await post('Bearer sekrit-token', { strategy: 'tiny_ridge', to: '2020-09-30' });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const res = (await ok.json()) as { stateVersion: number };
    expect(res.stateVersion).toBe(before.stateVersion + 1);
    const after = (await (await fetch(s.url + 'api/history')).json()) as { stateVersion: number; history: { reason: string }[] };
    expect(after.stateVersion).toBe(res.stateVersion);
    expect(after.history.length).toBe(before.history.length + 1);
    expect(s.stderr()).toContain('"audit":"rollback"');
    expect(await stop(s.child)).toBe(0);
  });
});

describe('qonline serve and report in Chromium', () => {
  it.runIf(CHROMIUM || requireBrowser)('loads every page with no console error, draws charts and tables, shows a hover read-out, and saves screenshots', async () => {
    expect(CHROMIUM, 'Chromium is required (QONLINE_REQUIRE_BROWSER=1)').toBeTruthy();
    const page = await CdpPage.launch(home);
    try {
      const u = server.url;
      const models = ((await (await fetch(u + 'api/models')).json()) as { models: unknown[] }).models.length;
      const history = ((await (await fetch(u + 'api/history')).json()) as { history: unknown[] }).history.length;
      const shots: string[] = [];
      const visit = async (name: string, url: string): Promise<void> => {
        await page.goto(url);
        await page.waitFor(`document.body.getAttribute('data-ready') === '1'`);
        await new Promise((r) => setTimeout(r, 150));
        const file = path.join(home, `page-${name}.png`);
        writeFileSync(file, await page.screenshot());
        shots.push(file);
      };
      // Overview: charts, the online-model table, and a hover read-out in the legend.
      await visit('overview', u);
      expect(await page.eval<number>(`document.querySelectorAll('canvas').length`)).toBeGreaterThanOrEqual(2);
      expect(await page.eval<string>(`document.getElementById('card-ic').textContent`)).toMatch(/mean daily IC-?\d\.\d{4}/);
      expect(await page.eval<number>(`document.querySelectorAll('main table tbody tr').length`)).toBeGreaterThan(0);
      const box = await page.eval<{ x: number; y: number; w: number; h: number }>(`(() => { const r = document.querySelector('.u-over').getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; })()`);
      const before = await page.eval<string>(`document.querySelector('.u-legend .u-series:nth-child(2) .u-value').textContent`);
      await page.mouseMove(box.x + box.w * 0.6, box.y + box.h / 2);
      await page.waitFor(`document.querySelector('.u-legend .u-series:nth-child(2) .u-value').textContent !== ${JSON.stringify(before)}`);
      expect(await page.eval<string>(`document.querySelector('.u-legend .u-series:nth-child(1) .u-value').textContent`)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(await page.eval<string>(`document.querySelector('.u-legend .u-series:nth-child(2) .u-value').textContent`)).toMatch(/^-?\d+\.\d{2}%$/);
      writeFileSync(path.join(home, 'page-overview-hover.png'), await page.screenshot());

      await visit('ic', u + 'ic');
      expect(await page.eval<number>(`document.querySelectorAll('canvas').length`)).toBe(3);
      expect(await page.eval<number>(`[...document.querySelectorAll('#ic-heatmap td')].filter((t) => /\\d/.test(t.textContent)).length`)).toBeGreaterThan(6);

      await visit('models', u + 'models');
      expect(await page.eval<number>(`document.querySelector('main table').querySelectorAll('tbody tr').length`)).toBe(models);
      await page.eval(`document.querySelector('main table tbody tr').click()`);
      await page.waitFor(`document.querySelectorAll('#model-detail tbody tr').length > 5`);
      await page.eval(`[...document.querySelectorAll('main table tbody input[type=checkbox]')].slice(0, 2).forEach((c) => c.click())`);
      await page.waitFor(`document.querySelectorAll('#model-compare tbody tr').length > 5`);
      expect(await page.eval<number>(`document.querySelectorAll('#model-compare tbody tr.sel').length`)).toBeGreaterThan(0);
      writeFileSync(path.join(home, 'page-models-compare.png'), await page.screenshot());

      await visit('timeline', u + 'timeline');
      expect(await page.eval<number>(`document.querySelectorAll('#timeline rect').length`)).toBeGreaterThan(3);
      await visit('history', u + 'history');
      expect(await page.eval<number>(`document.querySelectorAll('main table tbody tr').length`)).toBe(history);
      await visit('tasks', u + 'tasks');
      expect(await page.eval<number>(`document.querySelectorAll('#task-counts .card').length`)).toBe(5);

      // The users plugin's page, under the same policy: its stylesheet from /assets, no inline style.
      await page.goto(u + 'users');
      await page.waitFor(`document.querySelector('section#desk1 polyline')`);
      expect(await page.eval<string>(`getComputedStyle(document.querySelector('table')).borderCollapse`)).toBe('collapse');
      expect(await page.eval<number>(`document.querySelectorAll('section#desk1 table tr').length`)).toBeGreaterThan(2);
      writeFileSync(path.join(home, 'page-users.png'), await page.screenshot());
      shots.push(path.join(home, 'page-users.png'));
      expect(page.errors).toEqual([]);
      // The check can fail: an inline script on a served page is blocked and reported.
      await page.eval(`document.body.appendChild(Object.assign(document.createElement('script'), { textContent: 'window.inlineRan = 1' })), 0`);
      await new Promise((r) => setTimeout(r, 200));
      expect(await page.eval<unknown>(`window.inlineRan`)).toBeUndefined();
      expect(page.errors.some((e) => e.includes('CSP violation: script-src-elem blocked inline'))).toBe(true);
      page.errors.length = 0;

      // The self-contained report: the same pages from one file, no server.
      const r = await runCli(['report', CONFIG, '--json'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { out: string; dates: number };
      expect(out.out).toBe(path.join(home, 'reports', 'tiny.html'));
      await visit('report', pathToFileURL(out.out).href);
      expect(await page.eval<number>(`document.querySelectorAll('canvas').length`)).toBeGreaterThanOrEqual(2);
      await page.eval(`location.hash = '#ic'`);
      await page.waitFor(`document.querySelectorAll('#ic-heatmap').length === 1`);
      expect(page.errors).toEqual([]);
      console.log(`serve.test: screenshots in ${home}: ${shots.map((s) => path.basename(s)).join(', ')}`);
    } finally {
      await page.close();
    }
  });

  it('exits 0 on SIGTERM (graceful shutdown)', async () => {
    expect(await stop(server.child)).toBe(0);
  });
});

