import { hostname } from 'node:os';
import type { ExperimentStore, RecorderInfo } from '../contracts/store.js';
import { isLeaseLost, type FetchedTask, type TaskLease, type TaskPool } from '../contracts/task-pool.js';
import type { Clock } from '../contracts/logger.js';
import { QonlineError } from '../errors/index.js';
import { SystemClock } from '../kernel/clock.js';
import type { TaskRunner } from './task-runner.js';

export interface PoolTaskOutcome {
  recorder: RecorderInfo;
  /** The status the task was committed with. */
  status: 'done' | 'part_done';
}

/**
 * Runs the phase a fetched task is in, every recorder write fenced by its
 * lease, and commits the pool result in the same transaction as the recorder:
 *
 * - fetched from `part_done`: phase two (finish the recorder in `res`) -> done
 * - a two-phase task fetched from `waiting`: phase one (fit) -> part_done
 * - otherwise: both phases -> done
 */
export async function runPoolTask(pool: TaskPool, fetched: FetchedTask, runner: TaskRunner): Promise<PoolTaskOutcome> {
  const { task, lease } = fetched;
  const fence = (tx: ExperimentStore): Promise<void> => pool.checkLease(lease, { tx });
  const commitAs =
    (status: 'done' | 'part_done') =>
    (tx: ExperimentStore, rec: RecorderInfo): Promise<void> =>
      pool.commitResult(lease, rec.id, { status, tx });
  if (task.priorStatus === 'part_done') {
    if (typeof task.res !== 'string' || !task.res) {
      throw new QonlineError('QONLINE_NOT_FOUND', `task ${task.id} of pool ${task.pool} is part_done but its result names no recorder (got ${JSON.stringify(task.res)})`);
    }
    const recorder = await runner.finish(task.res, { fence, commit: commitAs('done') });
    return { recorder, status: 'done' };
  }
  if (task.phases === 2) {
    const recorder = await runner.fit(task.def, task.experiment, { fence, commit: commitAs('part_done') });
    return { recorder, status: 'part_done' };
  }
  const recorder = await runner.run(task.def, task.experiment, { fence, commit: commitAs('done') });
  return { recorder, status: 'done' };
}

export interface LeaseKeeper {
  stop(): void;
  /** True once a renewal found the lease taken over. */
  readonly lost: boolean;
}

export interface KeepLeaseOptions {
  /** Lease length each renewal sets. Default: the pool's. */
  leaseSeconds?: number;
  /** Renewal period. Default: a third of the lease, so two renewals may fail before it runs out. */
  everyMs?: number;
  onLost?: (error: unknown) => void;
  /** A renewal failed for another reason (the database was unreachable); the next one tries again. */
  onError?: (error: unknown) => void;
  /** A renewal succeeded (metrics count them). */
  onRenewed?: () => void;
  /** Schedules the renewals (tests move a TestClock). Default: the system clock. The lease's expiry itself is database time. */
  clock?: Clock;
}

const SYSTEM_CLOCK: Clock = new SystemClock();

/**
 * Renews a lease on a timer until stopped. It needs a free event loop: run
 * CPU-heavy fits in a worker thread (as `qonline worker` does), not on the
 * thread that renews.
 */
export function keepLeaseAlive(pool: TaskPool, lease: TaskLease, options: KeepLeaseOptions = {}): LeaseKeeper {
  const seconds = options.leaseSeconds ?? pool.leaseSeconds;
  const every = options.everyMs ?? Math.max(50, (seconds * 1000) / 3);
  const clock = options.clock ?? SYSTEM_CLOCK;
  let lost = false;
  let stopped = false;
  const ended = new AbortController();
  void (async () => {
    // One renewal every `every` ms, never two at once; ends when stopped or when the lease is gone.
    while (!ended.signal.aborted) {
      await clock.sleep(every, ended.signal);
      if (ended.signal.aborted) return;
      try {
        await pool.renewLease(lease, seconds);
        options.onRenewed?.();
      } catch (e) {
        if (!isLeaseLost(e)) {
          if (!stopped) options.onError?.(e);
          continue;
        }
        ended.abort();
        // The token also goes when the holder itself commits: a renewal racing its own commit is no loss.
        if (stopped || (await committedBy(pool, lease))) return;
        lost = true;
        options.onLost?.(e);
        return;
      }
    }
  })();
  return {
    stop: () => {
      stopped = true;
      ended.abort();
    },
    get lost() {
      return lost;
    },
  };
}

async function committedBy(pool: TaskPool, lease: TaskLease): Promise<boolean> {
  const t = await pool.get(lease.taskId).catch(() => undefined);
  // Worker names are unique per process slot, so the last holder of a finished phase being us means we committed it.
  return !!t && t.worker === lease.worker && (t.status === 'done' || t.status === 'part_done');
}

/** A worker's name in leases: host, process and slot, so an operator can find it. */
export function workerName(slot: number | string): string {
  return `${hostname()}:${process.pid}:${slot}`;
}
