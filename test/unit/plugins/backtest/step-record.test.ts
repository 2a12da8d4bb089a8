import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel, NullProgress, SilentLogger, TestClock, TOKENS, type RecorderInfo, type ScoreRows, type StepManager, type StepPipeline, type TaskDef } from '../../../../plugins/index.js';
import { builtinPluginEntries } from '../../../../plugins/builtins.js';
import { QlibDataProvider } from '../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { backtestResults, type BacktestStepReport } from '../../../../plugins/backtest/index.js';
import { riskAnalysis } from '../../../../core/report/risk.js';
import { D, SCORE_ROWS, writeBacktestMarket } from '../../../helpers/backtest-market.js';

const PG_URL = process.env['QONLINE_TEST_PG_URL'];
const REQUIRE_PG = process.env['QONLINE_REQUIRE_PG'] === '1';

let root = '';
let provider: QlibDataProvider;

// The hand-computed market of engine.test.ts: trades on D1..D5, cash after each day.
const CASH = [2490, 479, 2462, 2462, 1157];
const ACCOUNT = [2490 + 500 * 10 + 100 * 25, 479 + 500 * 11 + 1000 * 5, 2462 + 1000 * 6 + 200 * 20, 2462 + 6000 + 200 * 18, 1157 + 1300 + 3600 + 6000];

const PORT = {
  strategy: { class: 'TopkDropoutStrategy', module_path: 'qlib.contrib.strategy.signal_strategy', kwargs: { signal: '<PRED>', topk: 2, n_drop: 1, risk_degree: 1 } },
  backtest: { start_time: D[1], end_time: D[5], account: 10000, benchmark: 'IDX', exchange_kwargs: { deal_price: 'close', open_cost: 0.001, close_cost: 0.002, min_cost: 5 } },
};

function rowsOf(list: typeof SCORE_ROWS): ScoreRows {
  return { dates: list.map((r) => r.date), instruments: list.map((r) => r.instrument), scores: Float64Array.from(list, (r) => r.score) };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'qonline-bt-step-'));
  await writeBacktestMarket(path.join(root, 'mkt'));
  provider = new QlibDataProvider({ id: 'bt-step', uri: path.join(root, 'mkt') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function kernel(): Kernel {
  const k = new Kernel({ plugins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new TestClock('2026-01-02T03:04:05Z'), home: root });
  k.provideValue(TOKENS.dataProvider, provider);
  return k;
}

describe('PortAnaRecord', () => {
  it("backtests the recorder's predictions: Qlib's artifacts and excess-return metrics (hand-computed days)", async () => {
    const k = kernel();
    await k.start();
    try {
      const record = await k.resolve('record', { class: 'PortAnaRecord', kwargs: { config: PORT } });
      const out = await record.generate({ recorder: {} as RecorderInfo, task: {} as TaskDef, pred: rowsOf(SCORE_ROWS), label: rowsOf(SCORE_ROWS.map((r) => ({ ...r, score: NaN }))) });
      const report = out.artifacts!['portfolio_analysis/report_normal_1day'] as { date: string; cash: number; account: number; return: number; cost: number; bench: number }[];
      expect(report.map((r) => r.date)).toEqual(D.slice(1));
      expect(report.map((r) => r.cash)).toEqual(CASH.map((c) => expect.closeTo(c, 9)));
      expect(report.map((r) => r.account)).toEqual(ACCOUNT.map((c) => expect.closeTo(c, 9)));
      // Independent: Qlib's risk_analysis of return - bench (- cost) over the stored report.
      const w = riskAnalysis(report.map((r) => r.return - r.bench));
      const c = riskAnalysis(report.map((r) => r.return - r.bench - r.cost));
      expect(out.metrics!['excess_return_without_cost.annualized_return']).toBe(w.annualized_return);
      expect(out.metrics!['excess_return_with_cost.max_drawdown']).toBe(c.max_drawdown);
      expect(out.metrics!['excess_return_with_cost.information_ratio']).toBe(c.information_ratio);
      expect(Object.keys(out.metrics!).sort()).toEqual(
        ['excess_return_with_cost', 'excess_return_without_cost'].flatMap((g) => ['annualized_return', 'information_ratio', 'max_drawdown', 'mean', 'std'].map((m) => `${g}.${m}`)).sort(),
      );
      const positions = out.artifacts!['portfolio_analysis/positions_normal_1day'] as { holdings: Record<string, { amount: number; price: number; count_day: number }> }[];
      expect(positions[4]!.holdings['C']).toMatchObject({ amount: 1000, price: 6, count_day: 4 });
      expect(out.artifacts!['portfolio_analysis/port_analysis_1day']).toEqual({ excess_return_without_cost: w, excess_return_with_cost: c });
    } finally {
      await k.stop();
    }
  });

  it("without start_time/end_time: the predictions' first date to the trading day after their last (Qlib's defaults)", async () => {
    const k = kernel();
    await k.start();
    try {
      const record = await k.resolve('record', { class: 'PortAnaRecord', kwargs: { config: { ...PORT, backtest: { ...PORT.backtest, start_time: null, end_time: null } } } });
      const pred = rowsOf(SCORE_ROWS.filter((r) => r.date <= D[3]!));
      const out = await record.generate({ recorder: {} as RecorderInfo, task: {} as TaskDef, pred, label: pred });
      const report = out.artifacts!['portfolio_analysis/report_normal_1day'] as { date: string }[];
      expect(report.map((r) => r.date)).toEqual(D.slice(0, 5));
    } finally {
      await k.stop();
    }
  });
});

async function stepOn(storeSpec: { class: string; kwargs?: Record<string, unknown> }): Promise<void> {
  const k = kernel();
  await k.start();
  const store = await k.resolve('store', storeSpec);
  try {
    const manager = `bt_${process.pid}_${Date.now()}`;
    await store.replaceSignals(manager, [...new Set(SCORE_ROWS.map((r) => r.date))], rowsOf(SCORE_ROWS), 1);
    // The step reads the manager's signals and name; the rest of the manager is not used.
    const m = { name: manager, getSignals: (range?: { start?: string; end?: string | null }) => store.readSignals(manager, range) } as unknown as StepManager;
    const p: StepPipeline = { manager: m, store, strategies: [], calendar: await provider.calendar('day'), provider, home: root, configFile: path.join(root, 'c.yaml'), logger: new SilentLogger() };
    const step = await k.resolve('step', { class: 'backtest', kwargs: { ...PORT, name: 'bt1' } });
    const rep = (await step.run(p, {})) as BacktestStepReport;
    expect(rep.backtest).toMatchObject({ name: 'bt1', start: D[1], end: D[5], days: 5, trades: 7, lastTrade: D[5] });
    expect(rep.detail).toContain('5 days, 7 trades, annualised'); // traded to the end: no "(the last on ...)"
    // Stored with the manager; a rerun replaces it (one row per manager and name).
    await step.run(p, {});
    const stored = await backtestResults(store, manager);
    expect(stored.map((s) => s.name)).toEqual(['bt1']);
    expect(stored[0]!.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(stored[0]!.report.map((r) => r.cash)).toEqual(CASH.map((c) => expect.closeTo(c, 9)));
    expect(stored[0]!.trades[0]).toEqual({ date: D[1], instrument: 'A', direction: 'buy', amount: 500, price: 10, cost: 5 });
    expect(stored[0]!.risk).toEqual(rep.backtest.risk);
    expect(stored[0]!.config).toEqual(PORT);
    expect(await backtestResults(store, 'someone_else')).toEqual([]);
    // The report section: the account curve starts from the initial cash.
    const section = await k.resolve('reportSection', { class: 'backtest' });
    const [sec] = await section.read(store, manager);
    expect(sec!.charts[0]!.series[0]!.values.map((v) => v! * 10000)).toEqual(ACCOUNT.map((a) => expect.closeTo(a, 6)));
    expect(sec!.cards[1]!.value).toBe(rep.backtest.risk.excess_return_with_cost.annualized_return);
  } finally {
    await k.stop();
  }
}

describe('backtest step', () => {
  it('SQLite: runs over the stored signals and stores the result with the manager', async () => {
    await stepOn({ class: 'SQLiteStore', kwargs: { path: path.join(root, 'store.sqlite') } });
  });
  it.skipIf(!PG_URL && !REQUIRE_PG)('PostgreSQL: the same', async () => {
    expect(PG_URL, 'QONLINE_TEST_PG_URL must be set (QONLINE_REQUIRE_PG=1)').toBeTruthy();
    await stepOn({ class: 'PostgresStore', kwargs: { url: PG_URL, schema: `bt_${process.pid}` } });
  });
});
