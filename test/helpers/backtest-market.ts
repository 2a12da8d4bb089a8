import { writeCalendar, writeFeature, writeInstruments } from '../../plugins/data-qlib/src/storage/index.js';
import { scoreTable } from '../../plugins/backtest/index.js';

/**
 * A made-up market, 5 trading days (D1..D5, plus D0 whose scores D1 trades on)
 * x 3 instruments and a benchmark, written in Qlib's layout and read back by
 * the real provider. Prices are exact in float32; every expected number below
 * is worked out by hand in the comments.
 */
export const D = ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07', '2020-01-08'];
const NaN_ = Number.NaN;
// per instrument for D0..D5: close, the stored $change (0 except the limit days: it is data, not derived), factor
export const MARKET: Record<string, { close: number[]; change: number[]; factor: number[] }> = {
  // A: limit-up on D4 (+10%)
  A: { close: [10, 10, 11, 12, 13.2, 13], change: [0, 0, 0, 0, 0.1, 0], factor: [1, 1, 1, 1, 1, 1] },
  // B: factor 1 -> 0.5 on D3, limit-down on D4 (-10%), suspended on D5
  B: { close: [25, 25, 30, 20, 18, NaN_], change: [0, 0, 0, 0, -0.1, NaN_], factor: [1, 1, 1, 0.5, 0.5, NaN_] },
  // C: delisted after D4 (no data on D5)
  C: { close: [5, 5, 5, 6, 6], change: [0, 0, 0, 0, 0], factor: [1, 1, 1, 1, 1] },
  IDX: { close: [100, 125, 100, 100, 110, 99], change: [0, 0, 0, 0, 0, 0], factor: [1, 1, 1, 1, 1, 1] },
};

/** Writes the market in Qlib's binary layout under `root`. */
export async function writeBacktestMarket(root: string): Promise<void> {
  await writeCalendar(root, D);
  await writeInstruments(root, 'all', new Map([
    ['A', [{ start: D[0]!, end: D[5]! }]],
    ['B', [{ start: D[0]!, end: D[5]! }]],
    ['C', [{ start: D[0]!, end: D[4]! }]],
    ['IDX', [{ start: D[0]!, end: D[5]! }]],
  ]));
  for (const [code, s] of Object.entries(MARKET)) {
    await writeFeature(root, code, 'close', 0, Float32Array.from(s.close));
    await writeFeature(root, code, 'open', 0, Float32Array.from(s.close));
    await writeFeature(root, code, 'vwap', 0, Float32Array.from(s.close));
    await writeFeature(root, code, 'change', 0, Float32Array.from(s.change));
    await writeFeature(root, code, 'factor', 0, Float32Array.from(s.factor));
    await writeFeature(root, code, 'volume', 0, Float32Array.from(s.close.map(() => 1e6)));
  }
}

/** Scores dated D0..D4 (the strategy trades on D1..D5 with the previous day's). */
export const SCORE_ROWS = [
  ...[['A', 0.9], ['B', 0.8], ['C', 0.1]].map(([i, s]) => ({ date: D[0]!, instrument: i as string, score: s as number })),
  ...[['C', 0.9], ['A', 0.5], ['B', 0.4]].map(([i, s]) => ({ date: D[1]!, instrument: i as string, score: s as number })),
  ...[['B', 0.9], ['C', 0.5], ['A', 0.1]].map(([i, s]) => ({ date: D[2]!, instrument: i as string, score: s as number })),
  ...[['A', 0.9], ['C', 0.5], ['B', 0.1]].map(([i, s]) => ({ date: D[3]!, instrument: i as string, score: s as number })),
  ...[['A', 0.9], ['C', 0.5], ['B', 0.1]].map(([i, s]) => ({ date: D[4]!, instrument: i as string, score: s as number })),
];
export const SCORES = scoreTable(SCORE_ROWS);
