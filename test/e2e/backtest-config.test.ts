import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import sqlite3 from 'sqlite3';
import { parse, stringify } from 'yaml';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

interface Out {
  report: { date: string; account: number; return: number; turnover: number; cost: number; bench: number | null }[];
  trades: { date: string; instrument: string; direction: string; amount: number; price: number; cost: number }[];
  positions: { date: string; cash: number }[];
  risk: Record<string, Record<string, number>>;
}

describe('backtest of a manager (configs/simulate.yaml, built CLI)', () => {
  it("the step, `backtest CONFIG` and the score-file form agree; report shows the stored backtest", async () => {
    const home = tempDir('qonline-btcfg-');
    const config = path.join('configs', 'simulate.yaml');
    const run = await runCli(['run', config, '--home', home, '--json'], { timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    const step = (JSON.parse(run.stdout) as { steps: { step: string; detail: string; backtest?: { days: number; trades: number; lastTrade: string | null; risk: Out['risk'] } }[] }).steps.at(-1)!;
    expect(step.step).toBe('backtest');
    expect(step.backtest!.days).toBeGreaterThan(200);
    expect(step.backtest!.trades).toBeGreaterThan(10);
    // docs/backtest.md "Why trading can stop": two delisted holdings block TopkDropout's drop from 2021-03-29 on
    expect(step.backtest!.lastTrade).toBe('2021-03-26');
    expect(step.detail).toContain(`${step.backtest!.trades} trades (the last on 2021-03-26)`);

    // The CONFIG form reruns the step over the stored signals: same numbers.
    const byConfig = await runCli(['backtest', config, '--home', home, '--json']);
    expect(byConfig.code, byConfig.stderr).toBe(0);
    const a = JSON.parse(byConfig.stdout) as Out;
    expect(a.risk).toEqual(step.backtest!.risk);
    expect(a.report.length).toBe(step.backtest!.days);
    // the turnover 0 after the last trade is no reporting gap: each day's turnover is its traded value / the previous account value
    const traded = new Map<string, number>();
    for (const t of a.trades) traded.set(t.date, (traded.get(t.date) ?? 0) + t.amount * t.price);
    a.report.forEach((r, k) => expect(r.turnover).toBeCloseTo((traded.get(r.date) ?? 0) / (k === 0 ? 1e8 : a.report[k - 1]!.account), 12));
    expect(a.report.filter((r) => r.date > '2021-03-26').every((r) => r.turnover === 0)).toBe(true);

    // Independently: the manager's signals as a score file, the step's kwargs as PORT.yaml, the synthetic market's files.
    const sig = JSON.parse((await runCli(['signals', '--home', home, '--start', '2000-01-01', '--end', '2100-01-01', '--json'])).stdout) as { rows: { date: string; instrument: string; score: number }[] };
    expect(sig.rows.length).toBeGreaterThan(1000);
    writeFileSync(path.join(home, 'scores.csv'), ['datetime,instrument,score', ...sig.rows.map((r) => `${r.date},${r.instrument},${r.score}`)].join('\n') + '\n');
    const steps = (parse(readFileSync(path.join(ROOT, config), 'utf8')) as { steps: Record<string, unknown>[] }).steps;
    const kwargs = steps.find((s) => 'backtest' in s)!['backtest'];
    writeFileSync(path.join(home, 'port.yaml'), stringify({ port_analysis_config: kwargs }));
    const data = path.join(home, 'data', readdirSync(path.join(home, 'data'))[0]!);
    const byFile = await runCli(['backtest', '--data', data, '--scores', path.join(home, 'scores.csv'), '--config', path.join(home, 'port.yaml'), '--home', home, '--json']);
    expect(byFile.code, byFile.stderr).toBe(0);
    const b = JSON.parse(byFile.stdout) as Out;
    expect(a.report).toEqual(b.report);
    expect(a.trades).toEqual(b.trades);
    expect(a.risk).toEqual(b.risk);

    const rep = await runCli(['report', config, '--home', home, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    const r = JSON.parse(rep.stdout) as { out: string; sections: { id: string; cards: { label: string; value: number }[] }[] };
    const sec = r.sections.find((s) => s.id === 'backtest-backtest')!;
    expect(sec.cards.find((c) => c.label === 'excess return, annualised (with cost)')!.value).toBe(a.risk['excess_return_with_cost']!['annualized_return']);
    expect(sec.cards.find((c) => c.label === 'excess return, annualised (without cost)')!.value).toBe(a.risk['excess_return_without_cost']!['annualized_return']);
    const html = readFileSync(r.out, 'utf8');
    expect(html).toContain('id="section-backtest-backtest"');
    expect(html).toContain('Account value vs benchmark');
  }, 400_000);

  it('a config without a backtest step: exit 2 naming the config', async () => {
    const home = tempDir('qonline-btcfg-');
    const r = await runCli(['backtest', path.join('configs', 'rolling.yaml'), '--home', home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rolling.yaml');
    expect(r.stderr).toContain('no backtest step');
  });
});

function query<T>(home: string, sql: string, params: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const d = new sqlite3.Database(path.join(home, 'store.sqlite'), sqlite3.OPEN_READONLY, (e) =>
      e ? reject(e) : d.all(sql, params, (err: Error | null, rows: T[]) => (d.close(), err ? reject(err) : resolve(rows))),
    );
  });
}

describe('PortAnaRecord in a task template (built CLI)', () => {
  it("each recorder's backtest equals the score-file form over its stored predictions", async () => {
    const home = tempDir('qonline-portana-');
    const base = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');
    const port = {
      strategy: { class: 'TopkDropoutStrategy', module_path: 'qlib.contrib.strategy.signal_strategy', kwargs: { signal: '<PRED>', topk: 5, n_drop: 1 } },
      backtest: { start_time: null, end_time: null, account: 1000000, benchmark: null, exchange_kwargs: { limit_threshold: 0.095, deal_price: 'close', open_cost: 0.0005, close_cost: 0.0015, min_cost: 5 } },
    };
    const records = `        record:\n          - {class: SignalRecord}\n          - {class: PortAnaRecord, module_path: qlib.workflow.record_temp, kwargs: {config: ${JSON.stringify(port)}}}\n`;
    const cfg = path.join(home, 'rec.yaml');
    writeFileSync(cfg, base.replace('        dataset:\n', `${records}        dataset:\n`));
    const run = await runCli(['run', cfg, '--home', home, '--step', 'first_train']);
    expect(run.code, run.stderr).toBe(0);
    const list = JSON.parse((await runCli(['models', 'list', '--home', home, '--json'])).stdout) as { id: string; metrics: Record<string, number> }[];
    expect(list.length).toBeGreaterThan(1);
    const data = path.join(home, 'data', readdirSync(path.join(home, 'data'))[0]!);
    for (const rec of list.slice(0, 2)) {
      const pred = await query<{ date: string; instrument: string; score: number }>(home, `SELECT date, instrument, score FROM scores WHERE recorder_id = ? AND kind = 'pred' ORDER BY date, instrument`, [rec.id]);
      const [art] = await query<{ content: string }>(home, `SELECT content FROM artifacts WHERE recorder_id = ? AND name = 'portfolio_analysis/report_normal_1day'`, [rec.id]);
      const report = JSON.parse(art!.content) as Out['report'];
      // Qlib's defaults: from the first prediction date to the trading day after the last.
      expect(report[0]!.date).toBe(pred[0]!.date);
      expect(report.at(-1)!.date > pred.at(-1)!.date).toBe(true);
      writeFileSync(path.join(home, 's.csv'), ['datetime,instrument,score', ...pred.map((r) => `${r.date},${r.instrument},${r.score}`)].join('\n') + '\n');
      writeFileSync(path.join(home, 'p.yaml'), stringify({ port_analysis_config: { ...port, backtest: { ...port.backtest, start_time: report[0]!.date, end_time: report.at(-1)!.date } } }));
      const r = await runCli(['backtest', '--data', data, '--scores', path.join(home, 's.csv'), '--config', path.join(home, 'p.yaml'), '--home', home, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const b = JSON.parse(r.stdout) as Out;
      expect(report).toEqual(b.report);
      for (const g of ['excess_return_without_cost', 'excess_return_with_cost']) {
        for (const m of ['mean', 'std', 'annualized_return', 'information_ratio', 'max_drawdown']) expect(rec.metrics[`${g}.${m}`], `${g}.${m}`).toBe(b.risk[g]![m]);
      }
    }
  }, 300_000);
});
