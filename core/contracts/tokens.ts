import type { Calendar } from '../calendar/calendar.js';
import type { DataProvider } from './data.js';
import type { MetricsService } from './metrics.js';
import type { Clock, Logger, Progress } from './logger.js';
import type { Resolver } from './online.js';
import type { ExperimentStore } from './store.js';
import type { TaskExecutor, TaskPoolProvider } from './task-pool.js';
import { createToken } from './token.js';

/** The core's injection tokens, in one place. */
export const TOKENS = {
  logger: createToken<Logger>('logger'),
  progress: createToken<Progress>('progress'),
  clock: createToken<Clock>('clock'),
  /** Absolute path of the qonline home (`.qonline/` by default). */
  home: createToken<string>('home'),
  store: createToken<ExperimentStore>('store'),
  dataProvider: createToken<DataProvider>('dataProvider'),
  calendar: createToken<Calendar>('calendar'),
  /** Builds nested components and restores models (the kernel). */
  resolver: createToken<Resolver>('resolver'),
  /** Releases the store-level lock of the manager a step is running (held for the step). */
  managerLock: createToken<() => Promise<void>>('managerLock'),
  /** Task pools in the store's database (provided when the store can hold them). */
  taskPool: createToken<TaskPoolProvider>('taskPool'),
  /**
   * Starts an executor that trains pool tasks on threads of their own (the
   * CLI provides it when it runs from its built script): a manager training
   * locally then keeps renewing its leases however long a fit blocks.
   */
  taskThreads: createToken<() => TaskExecutor>('taskThreads'),
  /** Metrics of long-running processes (`--metrics-port` of daemon and worker); the built-in metrics plugin provides it. */
  metrics: createToken<MetricsService>('metrics'),
} as const;
