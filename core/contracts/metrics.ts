import type { TaskStat } from './task-pool.js';

/** How a task a worker ran ended. */
export type TaskEnd = 'done' | 'part_done' | 'failed' | 'lost' | 'handed_back';

/**
 * What the engine reports while it runs, for an operator's metrics: the
 * daemon's routines, a worker's tasks and leases. The engine calls these
 * and never reads anything back; an implementation must not throw.
 */
export interface EngineMetrics {
  /** A routine run ended (the daemon): its whole duration and each step's, in seconds. */
  routineEnded(run: { manager: string; ok: boolean; seconds: number; steps: Readonly<Record<string, number>> }): void;
  /** A running task's lease was renewed. */
  leaseRenewed(pool: string): void;
  /** This worker fetched a task whose previous holder's lease ran out (the holder stopped or stalled). */
  leaseTakenOver(pool: string): void;
  /** A task this worker ran ended, after `seconds`. */
  taskEnded(pool: string, end: TaskEnd, seconds: number): void;
}

/** The state a manager's metrics show, read from the store when they are scraped. */
export interface ManagerGauges {
  manager: string;
  stateVersion: number;
  /** Date of the last routine (YYYY-MM-DD), or null before the first. */
  lastRoutine: string | null;
  signalDates: number;
  /** Instruments with a signal on the latest signal date. */
  coverage: number;
  /** Task-pool counts by pool (empty when the store holds no pools). */
  pools: Readonly<Record<string, TaskStat>>;
}

/** An HTTP endpoint serving `GET /metrics`. */
export interface MetricsEndpoint {
  /** e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The metrics of one long-running process (daemon, worker): what the engine reports, and an endpoint to scrape. */
export interface ProcessMetrics extends EngineMetrics {
  /**
   * Listens on `host:port` (0: any free port) and serves the metrics;
   * `read` gives the manager's state on each scrape (null: not readable
   * now, its gauges are left out). A taken port is a QONLINE_SERVE_LISTEN error.
   */
  listen(options: { host: string; port: number; read: () => Promise<ManagerGauges | null> }): Promise<MetricsEndpoint>;
}

/** Makes the metrics of a process (`TOKENS.metrics`; the built-in metrics plugin exports Prometheus' text format). */
export interface MetricsService {
  /** `process` names the process kind (`daemon`, `worker`) in the process-level metrics. */
  create(process: string): ProcessMetrics;
}
