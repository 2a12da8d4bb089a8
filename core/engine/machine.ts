import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** What the machine is doing, as automatic thread choices read it. */
export interface MachineLoad {
  /** Cores this process may use. */
  cores: number;
  /** 1-minute load average. */
  load1: number;
  /** Runnable tasks right now, the caller's own thread included (Linux /proc/loadavg); null elsewhere. */
  runnable: number | null;
}

export function machineLoad(): MachineLoad {
  let runnable: number | null = null;
  try {
    // "0.50 0.40 0.30 3/412 12345": the fourth field is runnable/total scheduling entities.
    const m = /^\S+\s+\S+\s+\S+\s+(\d+)\//.exec(readFileSync('/proc/loadavg', 'utf8'));
    if (m) runnable = Number(m[1]);
  } catch {
    runnable = null;
  }
  return { cores: Math.max(1, availableParallelism()), load1: loadavg()[0] ?? 0, runnable };
}

/**
 * Cores the other processes leave idle: the cores minus the busier of two
 * readings, the 1-minute load average (rounded: it lags and includes the
 * caller when it has been busy) and the tasks runnable right now other than
 * the caller's thread (catches a machine that just became busy). Never below
 * 0 nor above the cores.
 */
export function idleCores(load: MachineLoad = machineLoad()): number {
  const byAverage = Math.floor(load.cores - load.load1 + 0.5);
  const byNow = load.runnable === null ? load.cores : load.cores - Math.max(0, load.runnable - 1);
  return Math.max(0, Math.min(load.cores, byAverage, byNow));
}

/**
 * Threads for a parallel job chosen automatically: one per idle core (the
 * caller's thread counts as one), at most `max`, and no more than `work /
 * minWorkPerThread` (below that starting and warming up a thread costs more
 * than it saves). At least 1: on a busy machine a second thread only takes
 * its time from the other jobs.
 */
export function autoThreads(work: number, minWorkPerThread: number, max: number, load: MachineLoad = machineLoad()): number {
  const byWork = Math.floor(work / minWorkPerThread);
  return Math.max(1, Math.min(max, load.cores, idleCores(load), byWork));
}
