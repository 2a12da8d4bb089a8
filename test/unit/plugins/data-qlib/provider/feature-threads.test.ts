import { describe, expect, it } from 'vitest';
import { idleCores, type MachineLoad } from '../../../../../core/index.js';
import { defaultFeatureThreads, MIN_VALUES_PER_THREAD } from '../../../../../plugins/data-qlib/src/parallel/feature-workers.js';

const machine = (cores: number, load1: number, runnable: number | null = null): MachineLoad => ({ cores, load1, runnable });
const BIG = 100 * MIN_VALUES_PER_THREAD;

describe('automatic feature threads', () => {
  it('use the cores other processes leave idle, at least 1 and at most 4', () => {
    // An idle 2-core machine: both cores.
    expect(defaultFeatureThreads(BIG, machine(2, 0.1))).toBe(2);
    // One core busy elsewhere, or a loaded machine: one thread (more measured slower).
    expect(defaultFeatureThreads(BIG, machine(2, 1.2))).toBe(1);
    expect(defaultFeatureThreads(BIG, machine(2, 16))).toBe(1);
    // Many idle cores: capped at 4; partly busy: what is left.
    expect(defaultFeatureThreads(BIG, machine(16, 0))).toBe(4);
    expect(defaultFeatureThreads(BIG, machine(16, 13.8))).toBe(2);
    expect(defaultFeatureThreads(BIG, machine(1, 0))).toBe(1);
  });

  it('count a machine that just became busy (runnable tasks now) even when the load average is still low', () => {
    // The caller's own thread is one of the runnable tasks.
    expect(idleCores(machine(2, 0.2, 1))).toBe(2);
    expect(idleCores(machine(2, 0.2, 3))).toBe(0);
    expect(defaultFeatureThreads(BIG, machine(2, 0.2, 3))).toBe(1);
    expect(defaultFeatureThreads(BIG, machine(8, 0.2, 4))).toBe(4);
    expect(defaultFeatureThreads(BIG, machine(8, 0.2, 7))).toBe(2);
  });

  it('start no more threads than the work pays for', () => {
    expect(defaultFeatureThreads(MIN_VALUES_PER_THREAD - 1, machine(16, 0))).toBe(1);
    expect(defaultFeatureThreads(2 * MIN_VALUES_PER_THREAD, machine(16, 0))).toBe(2);
    expect(defaultFeatureThreads(3.5 * MIN_VALUES_PER_THREAD, machine(16, 0))).toBe(3);
  });
});
