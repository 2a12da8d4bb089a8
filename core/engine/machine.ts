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
  /**
   * This process's own share of `load1`: its CPU use (all its threads)
   * averaged the way the kernel averages the 1-minute load. A process that
   * has been busy for a while is not someone else's load. 0 when unknown.
   */
  ownLoad1?: number;
  /**
   * Idle cores for this process measured from /proc/stat: over a short sample
   * (sampledMachineLoad, long parallel jobs) or since the previous
   * machineLoad() call 0.5-30 s ago; absent when neither was read.
   */
  sampledIdle?: number | null;
}

let own: { t: number; cpu: number; load: number } | null = null;

/**
 * This process's CPU use as an exponential moving average with the kernel's
 * 1-minute load-average time constant (60 s), updated at each call: a process
 * busy on one thread for minutes approaches 1. Exact for a constant rate
 * between calls, whatever their spacing; starts from 0 at process start,
 * as the kernel's average saw no load of this process before it existed.
 */
export function ownRecentLoad(): number {
  const t = process.uptime();
  const u = process.cpuUsage();
  const cpu = (u.user + u.system) / 1e6;
  const prev = own ?? { t: 0, cpu: 0, load: 0 };
  const dt = t - prev.t;
  if (dt <= 0.01) return prev.load;
  const rate = Math.max(0, (cpu - prev.cpu) / dt);
  const keep = Math.exp(-dt / 60);
  own = { t, cpu, load: prev.load * keep + rate * (1 - keep) };
  return own.load;
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
  const cores = Math.max(1, availableParallelism());
  const load: MachineLoad = { cores, load1: loadavg()[0] ?? 0, runnable, ownLoad1: ownRecentLoad() };
  const sinceLast = idleSinceLastReading(cores);
  return sinceLast === null ? load : { ...load, sampledIdle: sinceLast };
}

/** Readings shorter than this are too coarse (50 ticks on 2 cores) and keep the previous reading's answer. */
const READING_MIN_S = 0.5;
/** Readings older than this start over: what the machine did a minute ago says little about now. */
const READING_MAX_S = 30;
let lastReading: { t: number; jiffies: { total: number; idle: number }; ownCpu: number; idle: number | null } | null = null;

/**
 * Idle cores for this process between the previous machineLoad() call (0.5
 * to 30 s ago) and now, from /proc/stat: the idle ticks plus this process's
 * own CPU over the interval (the cores it used are free for it, not someone
 * else's load). Exact where the load average lags: a GBDT fit of a long
 * simulation, called every few seconds, sees that a benchmark's previous
 * run ended instead of counting it for another minute. Costs no waiting
 * (unlike sampledMachineLoad). Null with no usable earlier reading.
 */
function idleSinceLastReading(cores: number): number | null {
  const jiffies = cpuJiffies();
  if (!jiffies) return null;
  const t = process.uptime();
  const u = process.cpuUsage();
  const ownCpu = (u.user + u.system) / 1e6;
  const prev = lastReading;
  const dt = prev ? t - prev.t : Infinity;
  if (prev && dt < READING_MIN_S) return prev.idle;
  let idle: number | null = null;
  if (prev && dt <= READING_MAX_S) {
    idle = idleCoresForProcess(jiffies.total - prev.jiffies.total, jiffies.idle - prev.jiffies.idle, ownCpu - prev.ownCpu, dt, cores);
  }
  lastReading = { t, jiffies, ownCpu, idle };
  return idle;
}

/**
 * Idle cores for a process over an interval of `seconds`: of `ticks` CPU
 * ticks (all CPUs), `idle` were idle and the process itself used `ownCpu`
 * CPU seconds, which count as free for it. Null for an empty interval.
 */
export function idleCoresForProcess(ticks: number, idle: number, ownCpu: number, seconds: number, cores: number): number | null {
  if (ticks <= 0 || seconds <= 0) return null;
  // The interval's ticks are `seconds x cores` CPU seconds' worth.
  const ownTicks = (Math.max(0, ownCpu) / (seconds * cores)) * ticks;
  return idleCoresOfSample(ticks, Math.min(ticks, Math.max(0, idle) + ownTicks), cores);
}

/** user+nice+system+idle+iowait+irq+softirq+steal and idle+iowait jiffies of all CPUs (Linux /proc/stat); null elsewhere. */
function cpuJiffies(): { total: number; idle: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 5 || f.some((x) => !Number.isFinite(x))) return null;
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + f[4]! };
  } catch {
    return null;
  }
}

/**
 * Default length of the /proc/stat sample. The kernel counts CPU time in
 * ticks of 10 ms per CPU: 100 ms on 2 cores is 20 ticks, a step of 0.1 core,
 * finer than the decision needs (a core counts as idle when the other jobs
 * take at most a quarter of it: `idleCoresOfSample`). Every batch of
 * trainings waits this long before it starts (it was 250 ms).
 */
export const LOAD_SAMPLE_MS = 100;

/**
 * The machine's load now, with the idle cores measured over `ms`
 * milliseconds of /proc/stat: for a decision that holds for a long job
 * (a batch of trainings), where the 1-minute load average would still count
 * processes that ended a minute ago (a benchmark's previous run, a finished
 * import). The caller waits `ms` (its own process is idle meanwhile).
 */
export async function sampledMachineLoad(ms = LOAD_SAMPLE_MS): Promise<MachineLoad> {
  const a = cpuJiffies();
  if (!a) return machineLoad();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  const load = machineLoad();
  const sampledIdle = b ? idleCoresOfSample(b.total - a.total, b.idle - a.idle, load.cores) : null;
  return sampledIdle === null ? load : { ...load, sampledIdle };
}

/**
 * Idle cores from a sample of `ticks` CPU ticks (all CPUs) of which `idle`
 * were idle: rounded down unless nearly whole (a core idle 60% of the
 * sample is a core another job half uses; one at least 3/4 idle counts).
 * Null for an empty sample.
 */
export function idleCoresOfSample(ticks: number, idle: number, cores: number): number | null {
  if (ticks <= 0) return null;
  return Math.max(0, Math.min(cores, Math.floor((idle / ticks) * cores + 0.25)));
}

/**
 * Cores the other processes leave idle: the cores minus the busier of two
 * readings, the recent load (a /proc/stat reading when there is one: the
 * caller's sample or the interval since the previous machineLoad() call;
 * else the 1-minute load average without this process's own share, rounded:
 * it lags) and the tasks runnable right now other than the caller's thread
 * (catches a machine that just became busy). Never below 0 nor above the
 * cores.
 */
export function idleCores(load: MachineLoad = machineLoad()): number {
  const byNow = load.runnable === null ? load.cores : load.cores - Math.max(0, load.runnable - 1);
  // A measured sample replaces the lagging average; without one, this process's own recent load is taken out of it.
  const byRecent = load.sampledIdle ?? Math.floor(load.cores - Math.max(0, load.load1 - (load.ownLoad1 ?? 0)) + 0.5);
  return Math.max(0, Math.min(load.cores, byRecent, byNow));
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
