import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange, runBacktest, TopkDropoutStrategy } from '../plugins/backtest/index.js';
import { riskAnalysis } from '../core/report/risk.js';
import { QlibDataProvider } from '../plugins/data-qlib/src/provider/qlib-provider.js';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';

/**
 * Backtest benchmark: 300 synthetic instruments, one year of daily
 * TopkDropout (topk 50, n_drop 5) on scores that are the next day's return
 * plus noise, cn exchange. Prints the quote load and the engine's seconds.
 */
export async function runBacktestBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-bt-'));
  try {
    const uri = path.join(dir, 'mkt');
    await generateSyntheticMarket(uri, { instruments: 300, start: '2019-01-01', end: '2020-12-31', seed: 42 });
    const provider = new QlibDataProvider({ id: 'bench-bt', uri });
    const start = '2020-01-01';
    const end = '2020-12-31';
    const frame = await provider.features({ instruments: 'all', fields: ['Ref($close, -2)/Ref($close, -1) - 1'], start: '2019-12-01', end });
    let seed = 1;
    const noise = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    const scores = new Map<string, Map<string, number>>();
    for (let r = 0; r < frame.rows; r++) {
      const v = frame.data[0]![r]!;
      if (Number.isNaN(v)) continue;
      const d = frame.dates[frame.rowDate[r]!]!;
      let m = scores.get(d);
      if (!m) scores.set(d, (m = new Map()));
      m.set(frame.instruments[frame.rowInst[r]!]!, v + 0.05 * noise());
    }
    const t0 = performance.now();
    const exchange = await Exchange.open(provider, { region: 'cn', start, end, open_cost: 0.0005, close_cost: 0.0015, min_cost: 5 });
    const t1 = performance.now();
    const res = await runBacktest({ provider, scores, strategy: new TopkDropoutStrategy({ topk: 50, n_drop: 5 }), exchange, account: 1e8, start, end });
    const t2 = performance.now();
    const warm: string[] = [];
    for (let k = 0; k < 4; k++) {
      const a = process.cpuUsage();
      await runBacktest({ provider, scores, strategy: new TopkDropoutStrategy({ topk: 50, n_drop: 5 }), exchange, account: 1e8, start, end });
      const c = process.cpuUsage(a);
      warm.push(((c.user + c.system) / 1e6).toFixed(3));
    }
    const excess = res.report.map((r) => r.return - r.cost);
    const risk = riskAnalysis(excess);
    console.log(`quote load (300 instruments x ${exchange.dates.length} days): ${((t1 - t0) / 1000).toFixed(3)} s`);
    console.log(`backtest top 50 (n_drop 5), 300 instruments x ${res.report.length} days, ${res.trades.length} trades (first run, cold JIT): ${((t2 - t1) / 1000).toFixed(3)} s`);
    console.log(`the same backtest again (warm JIT, CPU seconds): ${warm.join(', ')}`);
    console.log(`annualized return with cost ${risk.annualized_return.toFixed(3)}, IR ${risk.information_ratio.toFixed(2)}, final account ${res.report.at(-1)!.account.toFixed(0)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
