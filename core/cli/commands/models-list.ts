import { openStoreOnly } from '../../engine/pipeline.js';
import { ONLINE_TAG } from '../../online/task-runner.js';
import type { Command } from '../context.js';
import { requireStrategy } from './shared-manager.js';
import { table } from './shared.js';

export const modelsListCommand: Command = {
  name: 'models list',
  usage: 'models list [--config CONFIG] [--strategy S] [--status S]',
  summary: 'List recorders (model versions): id, strategy, model, test segment, status, online tag, created',
  flags: {
    config: { value: true, description: 'Read the store this config names (default: the home folder\u2019s SQLite store)' },
    strategy: { value: true, description: 'Only this strategy (experiment)' },
    status: { value: true, description: 'Only RUNNING, FINISHED or FAILED' },
    online: { description: 'Only recorders tagged online' },
  },
  async run(ctx) {
    const s = await openStoreOnly(ctx.engine(), ctx.args.flags['config'] as string | undefined, { readOnly: true });
    try {
      const wanted = ctx.args.flags['strategy'] as string | undefined;
      if (wanted !== undefined) requireStrategy(wanted, await s.store.listExperiments(), 'in the store');
      const recs = await s.store.listRecorders({
        experiment: ctx.args.flags['strategy'] as string | undefined,
        status: ctx.args.flags['status'] as 'RUNNING' | 'FINISHED' | 'FAILED' | undefined,
        tags: ctx.args.flags['online'] ? { [ONLINE_TAG]: 'online' } : undefined,
      });
      const rows = recs.map((r) => ({
        id: r.id,
        strategy: r.experiment,
        model: String(r.params.model_class ?? ''),
        test: [r.params.test_start ?? null, r.params.test_end ?? null],
        status: r.status,
        online: r.tags[ONLINE_TAG] === 'online',
        created: r.createdAt,
        metrics: r.metrics,
      }));
      ctx.print(rows, () =>
        rows.length
          ? table(
              ['id', 'strategy', 'model', 'test', 'status', 'online', 'created'],
              rows.map((r) => [r.id.slice(0, 12), r.strategy, r.model, `${r.test[0]}..${r.test[1] ?? 'open'}`, r.status, r.online ? 'online' : 'offline', r.created.replace('T', ' ').slice(0, 19)]),
            )
          : 'no recorders',
      );
    } finally {
      await s.close();
    }
  },
};
