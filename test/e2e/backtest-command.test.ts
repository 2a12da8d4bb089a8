import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskAnalysis } from '../../core/report/risk.js';
import { D, SCORE_ROWS, writeBacktestMarket } from '../helpers/backtest-market.js';
import { runCli, tempDir } from '../helpers/cli.js';

let dir = '';

const PORT = `qlib_init:
  region: cn
port_analysis_config:
  strategy:
    class: TopkDropoutStrategy
    module_path: qlib.contrib.strategy.signal_strategy
    kwargs:
      signal: <PRED>
      topk: 2
      n_drop: 1
      risk_degree: 1
  backtest:
    start_time: ${D[1]}
    end_time: ${D[5]}
    account: 10000
    benchmark: IDX
    exchange_kwargs:
      deal_price: close
      open_cost: 0.001
      close_cost: 0.002
      min_cost: 5
`;

beforeAll(async () => {
  dir = tempDir('qonline-bt-cli-');
  await writeBacktestMarket(path.join(dir, 'mkt'));
  writeFileSync(path.join(dir, 'scores.csv'), ['datetime,instrument,score', ...SCORE_ROWS.map((r) => `${r.date},${r.instrument},${r.score}`)].join('\n') + '\n');
  writeFileSync(path.join(dir, 'port.yaml'), PORT);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qonline backtest --data --scores --config', () => {
  it('--json: the hand-computed days, trades and Qlib risk of the excess returns', async () => {
    const r = await runCli(['backtest', '--data', 'mkt', '--scores', 'scores.csv', '--config', 'port.yaml', '--home', 'home', '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      report: { date: string; account: number; return: number; cost: number; bench: number; cash: number }[];
      positions: { date: string; cash: number; holdings: Record<string, { amount: number; price: number; weight: number; count_day: number }> }[];
      trades: { date: string; instrument: string; direction: string; amount: number; price: number; cost: number }[];
      risk: Record<string, Record<string, number>>;
    };
    expect(out.report.map((x) => x.date)).toEqual(D.slice(1));
    // see test/unit/plugins/backtest/engine.test.ts for the hand computation of each day
    expect(out.trades.slice(0, 2)).toEqual([
      { date: D[1], instrument: 'A', direction: 'buy', amount: 500, price: 10, cost: 5 },
      { date: D[1], instrument: 'B', direction: 'buy', amount: 100, price: 25, cost: 5 },
    ]);
    expect(out.report.map((x) => x.cash)).toEqual([2490, 479, 2462, 2462, 1157].map((c) => expect.closeTo(c, 9)));
    expect(out.positions[4]!.holdings['C']).toMatchObject({ amount: 1000, price: 6, count_day: 4 });
    const withCost = out.report.map((x) => x.return - x.bench - x.cost);
    const expected = riskAnalysis(withCost, { freq: 'day' });
    for (const k of ['mean', 'std', 'annualized_return', 'information_ratio', 'max_drawdown'] as const) {
      expect(out.risk['excess_return_with_cost']![k]).toBeCloseTo(expected[k], 12);
    }
    expect(Object.keys(out.risk).sort()).toEqual(['excess_return_with_cost', 'excess_return_without_cost']);
  });

  it('prints a summary table without --json', async () => {
    const r = await runCli(['backtest', '--data', 'mkt', '--scores', 'scores.csv', '--config', 'port.yaml', '--home', 'home', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/5 trading days, 7 trades/);
    expect(r.stdout).toMatch(/excess_return_with_cost/);
  });

  it('bad input: exit 2 with file, line and path', async () => {
    writeFileSync(path.join(dir, 'bad.yaml'), PORT.replace('topk: 2', 'topk: two'));
    const r = await runCli(['backtest', '--data', 'mkt', '--scores', 'scores.csv', '--config', 'bad.yaml', '--home', 'home'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:9 at \/port_analysis_config\/strategy\/kwargs\/topk/);
    writeFileSync(path.join(dir, 'bad.csv'), 'datetime,instrument,score\n2020-01-01,A,x\n');
    const c = await runCli(['backtest', '--data', 'mkt', '--scores', 'bad.csv', '--config', 'port.yaml', '--home', 'home'], { cwd: dir });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/bad\.csv:2: score must be a number/);
  });
});
