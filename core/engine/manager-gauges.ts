import type { ManagerGauges } from '../contracts/metrics.js';
import type { ExperimentStore } from '../contracts/store.js';
import type { TaskPoolProvider, TaskStat } from '../contracts/task-pool.js';

/** The manager's state as its metrics show it: state version, last routine, signal dates and coverage, pool counts. */
export async function readManagerGauges(store: ExperimentStore, manager: string, pools?: TaskPoolProvider): Promise<ManagerGauges> {
  const state = await store.getManager(manager);
  const dates = await store.signalDates(manager);
  const last = dates[dates.length - 1];
  const coverage = last ? new Set((await store.readSignals(manager, { start: last, end: last })).instruments).size : 0;
  const stats: Record<string, TaskStat> = {};
  if (pools) for (const name of await pools.listPools()) stats[name] = await pools.pool(name).stat();
  return { manager, stateVersion: state?.stateVersion ?? 0, lastRoutine: state?.lastRoutine ?? null, signalDates: dates.length, coverage, pools: stats };
}
