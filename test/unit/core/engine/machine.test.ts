import { describe, expect, it } from 'vitest';
import { autoThreads, idleCores, sampledMachineLoad, type MachineLoad } from '../../../../core/index.js';
import { idleCoresForProcess, idleCoresOfSample, LOAD_SAMPLE_MS, machineLoad, ownRecentLoad } from '../../../../core/engine/machine.js';

const machine = (load1: number, extra: Partial<MachineLoad> = {}): MachineLoad => ({ cores: 2, load1, runnable: 1, ...extra });

describe('idle cores for automatic thread choices', () => {
  it("take this process's own recent load out of the load average", () => {
    // Busy on one thread for minutes, nothing else running: the other core is idle, so 2 threads (the caller's counts).
    expect(idleCores(machine(1.0))).toBe(1);
    expect(idleCores(machine(1.0, { ownLoad1: 0.97 }))).toBe(2);
    expect(autoThreads(100, 1, 8, machine(1.0, { ownLoad1: 0.97 }))).toBe(2);
    // Another process busy on a core as well: one idle core is left whatever this process did.
    expect(idleCores(machine(2.0, { ownLoad1: 0.97 }))).toBe(1);
    // Never more than the cores, and runnable tasks now still count.
    expect(idleCores(machine(0.2, { ownLoad1: 1.5 }))).toBe(2);
    expect(idleCores(machine(0.2, { ownLoad1: 1.5, runnable: 3 }))).toBe(0);
  });

  it('use a /proc/stat sample instead of the lagging average when one was taken', () => {
    // A previous run ended a moment ago: the average still says one core busy, the sample says both idle.
    expect(idleCores(machine(1.1, { sampledIdle: 2 }))).toBe(2);
    expect(idleCores(machine(0.0, { sampledIdle: 1 }))).toBe(1);
    // Runnable tasks now still bound it.
    expect(idleCores(machine(0.0, { sampledIdle: 2, runnable: 2 }))).toBe(1);
  });

  it("measure this process's own load: rises while it computes, bounded by its threads", () => {
    const before = ownRecentLoad();
    const end = performance.now() + 300;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    const after = ownRecentLoad();
    expect(x).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
    // 0.3 s at about one core against a 60 s time constant: ~0.005, far below one core.
    expect(after).toBeLessThan(0.05);
  });

  it('a 100 ms sample on 2 cores (20 ticks) resolves the decision: a core counts while the others take at most a quarter of it', () => {
    expect(LOAD_SAMPLE_MS).toBe(100);
    // Idle ticks of 20: each tick is a tenth of a core.
    expect(idleCoresOfSample(20, 20, 2)).toBe(2);
    expect(idleCoresOfSample(20, 18, 2)).toBe(2);
    expect(idleCoresOfSample(20, 17, 2)).toBe(1);
    expect(idleCoresOfSample(20, 10, 2)).toBe(1);
    expect(idleCoresOfSample(20, 8, 2)).toBe(1);
    expect(idleCoresOfSample(20, 7, 2)).toBe(0);
    expect(idleCoresOfSample(20, 0, 2)).toBe(0);
    // The same thresholds as the 250 ms sample (50 ticks) gave, at its finer steps.
    expect(idleCoresOfSample(50, 44, 2)).toBe(2);
    expect(idleCoresOfSample(50, 43, 2)).toBe(1);
    expect(idleCoresOfSample(0, 0, 2)).toBeNull();
  });

  it("count the cores this process used since the previous reading as its own, not another job's", () => {
    // 2 cores over 1 s = 200 ticks. This process busy on one core, nothing else: both cores are free for it.
    expect(idleCoresForProcess(200, 100, 1.0, 1, 2)).toBe(2);
    // Another job busy on the other core as well: one.
    expect(idleCoresForProcess(200, 0, 1.0, 1, 2)).toBe(1);
    // This process idle, another job on one core: one; on both: none.
    expect(idleCoresForProcess(200, 100, 0, 1, 2)).toBe(1);
    expect(idleCoresForProcess(200, 0, 0, 1, 2)).toBe(0);
    // Rounding noise never gives more than the cores; an empty interval gives no answer.
    expect(idleCoresForProcess(200, 190, 1.2, 1, 2)).toBe(2);
    expect(idleCoresForProcess(0, 0, 0, 1, 2)).toBeNull();
    expect(idleCoresForProcess(200, 100, 0.5, 0, 2)).toBeNull();
  });

  it('read the machine since the previous call: a whole number of idle cores, the same answer for calls under 0.5 s apart (Linux)', () => {
    machineLoad();
    const end = performance.now() + 600;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const a = machineLoad();
    const b = machineLoad();
    if (process.platform !== 'linux') return;
    expect(Number.isInteger(a.sampledIdle)).toBe(true);
    expect(a.sampledIdle!).toBeGreaterThanOrEqual(0);
    expect(a.sampledIdle!).toBeLessThanOrEqual(a.cores);
    expect(b.sampledIdle).toBe(a.sampledIdle);
  });

  it('sample the machine: a whole number of idle cores within the cores (Linux)', async () => {
    const load = await sampledMachineLoad(50);
    if (process.platform !== 'linux') return;
    expect(Number.isInteger(load.sampledIdle)).toBe(true);
    expect(load.sampledIdle!).toBeGreaterThanOrEqual(0);
    expect(load.sampledIdle!).toBeLessThanOrEqual(load.cores);
  });
});
