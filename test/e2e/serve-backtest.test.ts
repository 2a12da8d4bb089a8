import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as AjvModule from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { CdpPage, CHROMIUM } from '../helpers/cdp.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startServe } from '../helpers/serve.js';

const CONFIG = path.join(ROOT, 'configs/simulate.yaml');
const requireBrowser = process.env['QONLINE_REQUIRE_BROWSER'] === '1';
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

const Ajv = (AjvModule as unknown as { default: typeof AjvModule.Ajv }).default;

/** JSON Schema back from an OpenAPI 3.0 schema (`nullable` -> a null type). */
function fromOas(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(fromOas);
  if (typeof x !== 'object' || x === null) return x;
  const o: Record<string, unknown> = Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'nullable').map(([k, v]) => [k, fromOas(v)]));
  if ((x as { nullable?: boolean }).nullable && typeof o['type'] === 'string') o['type'] = [o['type'], 'null'];
  return o;
}

interface StepRisk {
  annualized_return: number;
  information_ratio: number;
  max_drawdown: number;
}

describe('qonline serve with a stored backtest (configs/simulate.yaml ends with a backtest step)', () => {
  it('GET /api/backtest answers the stored backtest (schema of the OpenAPI document), and the overview draws excess return with and without cost, drawdown and turnover', async () => {
    const home = tempDir('qonline-serve-bt-');
    const run = await runCli(['run', CONFIG, '--json'], { env: { QONLINE_HOME: home }, timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    const step = (JSON.parse(run.stdout) as { steps: { step: string; backtest?: { days: number; trades: number; risk: Record<string, StepRisk> } }[] }).steps.find((s) => s.step === 'backtest')!.backtest!;

    const { url, child } = await startServe(['serve', CONFIG, '--home', home, '--port', '0'], children);

    const r = await fetch(url + 'api/backtest');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-qonline-state-version')).toMatch(/^\d+$/);
    const body = (await r.json()) as { manager: string; backtests: { name: string; report: { turnover: number; bench: number | null }[]; tradeCount: number; risk: Record<string, StepRisk>; trades?: unknown[] }[] };
    const oas = (await (await fetch(url + 'api/openapi.json')).json()) as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: unknown }> }> }; head?: unknown }> };
    const validate = new Ajv({ strict: false, allErrors: true }).compile(fromOas(oas.paths['/api/backtest']!.get.responses['200']!.content['application/json']!.schema) as object);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(oas.paths['/api/backtest']!.head).toBeTruthy();
    expect(body.manager).toBe('simulate_demo');
    expect(body.backtests.map((b) => b.name)).toEqual(['backtest']);
    const bt = body.backtests[0]!;
    expect(bt.report).toHaveLength(step.days);
    expect(bt.tradeCount).toBe(step.trades);
    expect(bt.trades).toBeUndefined();
    for (const k of ['excess_return_without_cost', 'excess_return_with_cost']) {
      for (const f of ['annualized_return', 'information_ratio', 'max_drawdown'] as const) expect(bt.risk[k]![f]).toBeCloseTo(step.risk[k]![f], 12);
    }
    expect(bt.report.some((x) => x.turnover > 0)).toBe(true);
    const full = (await (await fetch(url + 'api/backtest?full=true')).json()) as typeof body;
    expect(full.backtests[0]!.trades).toHaveLength(step.trades);
    // The ETag follows the stored backtest, not only the state version: a 304 while it is unchanged.
    const again = await fetch(url + 'api/backtest', { headers: { 'if-none-match': r.headers.get('etag')! } });
    expect(again.status).toBe(304);

    // What the overview draws (the backtest plugin's report section): the drawdown's low is risk_analysis' max drawdown.
    const dash = (await (await fetch(url + 'api/dashboard')).json()) as { sections: { id: string; charts: { title: string; series: { values: (number | null)[] }[] }[] }[] };
    const sec = dash.sections.find((x) => x.id === 'backtest-backtest')!;
    const dd = sec.charts.find((c) => c.title.startsWith('Drawdown'))!.series[0]!.values as number[];
    expect(Math.min(...dd)).toBeCloseTo(step.risk['excess_return_with_cost']!.max_drawdown, 12);
    const turnover = sec.charts.find((c) => c.title.startsWith('Turnover'))!.series[0]!.values;
    expect(turnover).toEqual(bt.report.map((x) => x.turnover));

    if (CHROMIUM || requireBrowser) {
      expect(CHROMIUM, 'Chromium is required (QONLINE_REQUIRE_BROWSER=1)').toBeTruthy();
      const page = await CdpPage.launch(home);
      try {
        await page.goto(url);
        await page.waitFor(`document.body.getAttribute('data-ready') === '1'`);
        const section = '#section-backtest-backtest';
        const titles = await page.eval<string[]>(`[...document.querySelectorAll('${section} h3')].map((h) => h.textContent)`);
        expect(titles).toEqual(expect.arrayContaining(['Cumulative excess return (sum mode)', 'Drawdown of the excess return with cost', 'Turnover (traded value / account value)']));
        expect(await page.eval<number>(`document.querySelectorAll('${section} canvas').length`)).toBe(4);
        const cards = await page.eval<string>(`document.querySelector('${section} .cards').textContent`);
        expect(cards).toContain('excess return, annualised (without cost)' + (step.risk['excess_return_without_cost']!.annualized_return * 100).toFixed(2) + '%');
        expect(cards).toContain('excess return, annualised (with cost)' + (step.risk['excess_return_with_cost']!.annualized_return * 100).toFixed(2) + '%');
        expect(cards).toContain('max drawdown (with cost)' + (step.risk['excess_return_with_cost']!.max_drawdown * 100).toFixed(2) + '%');
        writeFileSync(path.join(home, 'page-overview-backtest.png'), await page.screenshot());
        expect(page.errors).toEqual([]);
        console.log(`serve-backtest.test: screenshot in ${path.join(home, 'page-overview-backtest.png')}`);
      } finally {
        await page.close();
      }
    }
    child.kill('SIGTERM');
  }, 360_000);
});
