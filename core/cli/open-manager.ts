import type { OpenedManager } from '../contracts/cli.js';
import type { RecorderInfo } from '../contracts/store.js';
import { isTaskPoolHost } from '../contracts/task-pool.js';
import { openPipeline, prepareConfig, type EngineEnv } from '../engine/pipeline.js';
import { assignRecorders } from '../online/signals.js';

/** `CliCommandContext.openManager`: a config's store and manager for a reader (server, report). */
export async function openManager(env: EngineEnv, configFile: string): Promise<OpenedManager> {
  const prepared = await prepareConfig(configFile, env);
  const apiRoutes = prepared.kernel.registry.pluginList().flatMap(({ manifest }) => (manifest.apiRoutes ?? []).map((route) => ({ plugin: manifest.name, route })));
  const p = await openPipeline(prepared);
  const store = p.store;
  const manager = p.manager.name;
  const write = async <T>(fn: (m: typeof p.manager) => Promise<T>): Promise<T> => {
    const w = await openPipeline(await prepareConfig(configFile, env), { lock: true });
    try {
      return await fn(w.manager);
    } finally {
      await w.close();
    }
  };
  return {
    home: p.home,
    manager,
    strategies: p.strategies.map((s) => s.name),
    store,
    apiRoutes,
    taskPools: isTaskPoolHost(store) ? store.taskPools() : undefined,
    async servedBy(dates) {
      const history = await store.listHistory(manager);
      const strategies = [...new Set(history.map((h) => h.strategy))];
      const recs = await store.listRecorders({ ids: [...new Set(history.flatMap((h) => h.recorderIds))] });
      return assignRecorders(
        strategies.map((st) => ({
          strategy: st,
          history: history.filter((h) => h.strategy === st),
          recorders: new Map(recs.filter((r) => r.experiment === st).map((r) => [r.id, r] as [string, RecorderInfo])),
          groupKey: (r: RecorderInfo) => String(r.params.model_class ?? 'model'),
        })),
        dates,
      );
    },
    rollback: (strategy, to, effective) => write((m) => m.rollback(strategy, to, effective)),
    setOnline: (strategy, ids, effective) => write((m) => m.setOnline(strategy, ids, effective)),
    async reportSections() {
      const out = [];
      for (const name of p.kernel.registry.names('reportSection')) {
        const section = await p.kernel.resolve('reportSection', { class: name });
        out.push(...(await section.read(store, manager)));
      }
      return out;
    },
    close: () => p.close(),
  };
}
