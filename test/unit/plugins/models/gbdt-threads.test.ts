import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { MachineLoad } from '../../../../core/index.js';
import { MIN_CELLS_PER_THREAD, usableThreads } from '../../../../plugins/models/src/gbdt/hist-threads.js';

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
