import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics, ManagerGauges, TaskEnd } from '../../../core/index.js';

/**
 * prom-client, loaded when the first metrics are made (it is CommonJS, so
 * synchronously): importing it costs ~0.08 s of CPU that every other
 * command (a daily routine) would pay at start-up.
 */
const promClient = (): typeof import('prom-client') => createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

const SECONDS_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200];

/**
 * The metric definitions every qonline process shares (serve, daemon,
 * worker), in one prom-client registry per process: the manager's state,
 * routines and their steps, task-pool counts, tasks, leases and, for a
 * server, request latencies. Names are documented in docs/operations.md.
 */
export class QonlineMetrics implements EngineMetrics {
  private readonly prom = promClient();
  readonly registry: Registry = new this.prom.Registry();
  private readonly stateVersion: Gauge;
  private readonly lastRoutine: Gauge;
  private readonly signalDates: Gauge;
  private readonly coverage: Gauge;
  private readonly poolTasks: Gauge;
  private readonly routineDuration: Histogram;
  private readonly stepDuration: Histogram;
  private readonly routineRuns: Counter;
  private readonly leaseRenewals: Counter;
  private readonly leaseTakeovers: Counter;
  private readonly taskDuration: Histogram;
  private readonly httpDuration: Histogram | null;
  private readonly snapshotReloads: Counter | null;
  /** The reload counts last added to snapshotReloads (the server counts; a counter only grows by the difference). */
  private readonly reloadsSeen = new Map<string, number>();

  /** `process` prefixes the process-level metrics (`qonline_worker_process_cpu_seconds_total`); `http` adds request latencies (servers only). */
  constructor(options: { process: string; http?: boolean }) {
    const registers = [this.registry];
    this.prom.collectDefaultMetrics({ register: this.registry, prefix: `qonline_${options.process}_` });
    this.stateVersion = new this.prom.Gauge({ name: 'qonline_state_version', help: 'State version of the manager (bumped by every change of an online set)', labelNames: ['manager'], registers });
    this.lastRoutine = new this.prom.Gauge({ name: 'qonline_last_routine_timestamp_seconds', help: 'Date of the last routine (Unix seconds, UTC midnight)', labelNames: ['manager'], registers });
    this.signalDates = new this.prom.Gauge({ name: 'qonline_signal_dates', help: 'Signal dates in the store', labelNames: ['manager'], registers });
    this.coverage = new this.prom.Gauge({ name: 'qonline_signal_coverage', help: 'Instruments with a signal on the latest signal date', labelNames: ['manager'], registers });
    this.poolTasks = new this.prom.Gauge({ name: 'qonline_pool_tasks', help: 'Task-pool tasks by pool and status', labelNames: ['pool', 'status'], registers });
    this.routineDuration = new this.prom.Histogram({ name: 'qonline_routine_duration_seconds', help: 'Duration of routine runs (open, routine, trading day), by outcome', labelNames: ['manager', 'outcome'], buckets: SECONDS_BUCKETS, registers });
    this.stepDuration = new this.prom.Histogram({ name: 'qonline_routine_step_duration_seconds', help: 'Duration of the steps of a routine run: open, first_train (new strategies), train, update, commit, trade', labelNames: ['manager', 'step'], buckets: SECONDS_BUCKETS, registers });
    this.routineRuns = new this.prom.Counter({ name: 'qonline_routine_runs_total', help: 'Routine runs by outcome (ok, failed)', labelNames: ['manager', 'outcome'], registers });
    this.leaseRenewals = new this.prom.Counter({ name: 'qonline_lease_renewals_total', help: 'Lease renewals of the tasks this process ran', labelNames: ['pool'], registers });
    this.leaseTakeovers = new this.prom.Counter({ name: 'qonline_lease_takeovers_total', help: 'Tasks this worker took over after the lease of their previous holder ran out', labelNames: ['pool'], registers });
    this.taskDuration = new this.prom.Histogram({ name: 'qonline_task_duration_seconds', help: 'Tasks this process ran, by pool and how they ended (done, part_done, failed, lost, handed_back)', labelNames: ['pool', 'end'], buckets: SECONDS_BUCKETS, registers });
    this.httpDuration = options.http
      ? new this.prom.Histogram({ name: 'qonline_http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: ['route', 'status'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers })
      : null;
    this.snapshotReloads = options.http
      ? new this.prom.Counter({ name: 'qonline_snapshot_reloads_total', help: "Reloads of the server's state snapshot by cause (start, request, notify, fallback, reconnect)", labelNames: ['cause'], registers })
      : null;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Sets the state gauges (pool counts are replaced: a pool that emptied disappears). */
  setManager(g: ManagerGauges): void {
    const labels = { manager: g.manager };
    this.stateVersion.set(labels, g.stateVersion);
    if (g.lastRoutine) this.lastRoutine.set(labels, Date.parse(`${g.lastRoutine}T00:00:00Z`) / 1000);
    this.signalDates.set(labels, g.signalDates);
    this.coverage.set(labels, g.coverage);
    this.poolTasks.reset();
    for (const [pool, stat] of Object.entries(g.pools)) for (const [status, n] of Object.entries(stat)) this.poolTasks.set({ pool, status }, n);
  }

  /** A server's snapshot reload counts so far, by cause (as /api/health shows them). */
  setSnapshotReloads(counts: Readonly<Record<string, number>>): void {
    if (!this.snapshotReloads) return;
    for (const [cause, n] of Object.entries(counts)) {
      const grown = n - (this.reloadsSeen.get(cause) ?? 0);
      // Zero-valued causes are still exported, so a scrape sees every label from the start.
      if (grown > 0 || !this.reloadsSeen.has(cause)) this.snapshotReloads.inc({ cause }, Math.max(0, grown));
      this.reloadsSeen.set(cause, Math.max(n, this.reloadsSeen.get(cause) ?? 0));
    }
  }

  observeRequest(route: string, status: number, seconds: number): void {
    this.httpDuration?.observe({ route, status: String(status) }, seconds);
  }

  routineEnded(run: { manager: string; ok: boolean; seconds: number; steps: Readonly<Record<string, number>> }): void {
    const outcome = run.ok ? 'ok' : 'failed';
    this.routineRuns.inc({ manager: run.manager, outcome });
    this.routineDuration.observe({ manager: run.manager, outcome }, run.seconds);
    for (const [step, s] of Object.entries(run.steps)) this.stepDuration.observe({ manager: run.manager, step }, s);
  }

  leaseRenewed(pool: string): void {
    this.leaseRenewals.inc({ pool });
  }

  leaseTakenOver(pool: string): void {
    this.leaseTakeovers.inc({ pool });
  }

  taskEnded(pool: string, end: TaskEnd, seconds: number): void {
    this.taskDuration.observe({ pool, end }, seconds);
  }
}
