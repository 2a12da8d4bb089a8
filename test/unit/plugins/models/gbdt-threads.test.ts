import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { MachineLoad, MatrixDataset } from '../../../../core/index.js';
import { createModel } from '../../../../plugins/models/index.js';
import { histogramWorkersStarted, locateWorkerScript, MIN_CELLS_PER_THREAD, releaseIdleWorkers, usableThreads } from '../../../../plugins/models/src/gbdt/hist-threads.js';
import { gaussian, rng } from './helpers.js';

const cores = Math.max(1, availableParallelism());
const idle: MachineLoad = { cores, load1: 0, runnable: 1 };
const busy: MachineLoad = { cores, load1: cores + 8, runnable: cores + 6 };

describe('GBDT histogram threads', () => {
  it('num_threads 0 takes the idle cores when the data pays for them, and 1 on a busy machine', () => {
    const big = 64 * MIN_CELLS_PER_THREAD;
    expect(usableThreads(0, big, idle)).toBe(cores);
    expect(usableThreads(0, big, busy)).toBe(1);
    expect(usableThreads(0, MIN_CELLS_PER_THREAD - 1, idle)).toBe(1);
  });

  it('an explicit count is kept (up to the cores), whatever the load', () => {
    expect(usableThreads(1, 1e9, idle)).toBe(1);
    expect(usableThreads(2, 10, busy)).toBe(Math.min(2, cores));
    expect(usableThreads(64, 10, busy)).toBe(cores);
  });
});

/** Rows with a few missing values and a signal spread over several features (splits on both threads' features). */
function data(rows: number, cols: number, seed: number): MatrixDataset {
  const u = rng(seed);
  const g = gaussian(u);
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let y = 0.3 * g();
    for (let j = 0; j < cols; j++) {
      const x = u() < 0.02 ? NaN : g();
      features[r * cols + j] = x;
      if (j % 7 === 0 && x === x) y += Math.sin(x + j) / (1 + j / 10);
    }
    labels[r] = y;
  }
  return { features, labels, rows, cols };
}

// Threads share each node's features (histograms and split search) and, from 16k rows, its partition: 50,000
// rows exercise both; 23 features leave the second thread a short last word.
describe.skipIf(!locateWorkerScript() || cores < 2)('GBDT on 2 threads (needs dist/ from npx tsup)', () => {
  afterAll(() => releaseIdleWorkers());
  const train = data(50_000, 23, 3);
  const test = data(2_000, 23, 4);
  const base = { num_boost_round: 6, num_leaves: 31, learning_rate: 0.2, early_stopping_rounds: 0 };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['quantized histograms', {}],
    ['exact histograms', { use_quantized_grad: false }],
    ['feature and row sampling', { feature_fraction: 0.6, bagging_fraction: 0.7, bagging_freq: 1 }],
    ['a small histogram pool (children built without subtraction)', { histogram_pool_size: 1 }],
  ];
  it.each(cases)('builds the same trees and predictions as 1 thread: %s', async (_, kwargs) => {
    const fit = async (num_threads: number) => {
      const m = createModel('GBDT', { ...base, ...kwargs, num_threads });
      const info = await m.fit(train);
      return { state: JSON.stringify(m.toJSON().state), pred: Array.from(m.predict(test)), threads: info['threads'] };
    };
    const one = await fit(1);
    const two = await fit(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.state).toBe(one.state);
    expect(two.pred).toEqual(one.pred);
  });

  it('keeps its worker for the next fit', async () => {
    const fit = () => createModel('GBDT', { ...base, num_boost_round: 2, num_threads: 2 }).fit(train);
    await fit();
    const before = histogramWorkersStarted();
    await fit();
    await fit();
    expect(histogramWorkersStarted()).toBe(before);
  });

  it('fails the fit clearly when its worker dies holding a chunk, and the next fit starts a new one', async () => {
    const fit = async (num_threads: number) => {
      const m = createModel('GBDT', { ...base, num_threads });
      await m.fit(train);
      return JSON.stringify(m.toJSON().state);
    };
    // The failpoint is read when a worker starts: this fit's must be new.
    releaseIdleWorkers();
    process.env['QONLINE_TEST_GBDT_WORKER_EXIT'] = '2';
    const started = Date.now();
    try {
      await expect(fit(2)).rejects.toThrow(/GBDT: histogram worker 1 of 1 \(OS thread \d+\) ended while the fit waited for it \(exit code 3\)/);
    } finally {
      delete process.env['QONLINE_TEST_GBDT_WORKER_EXIT'];
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const before = histogramWorkersStarted();
    const two = await fit(2);
    expect(histogramWorkersStarted()).toBe(before + 1);
    expect(two).toBe(await fit(1));
  });
});
