import { openPipeline, prepareConfig } from '../../engine/pipeline.js';
import type { Command } from '../context.js';
import { requireConfig, table } from './shared.js';

export const tasksPreviewCommand: Command = {
  name: 'tasks preview',
  usage: 'tasks preview CONFIG',
  summary: "Show, per strategy, the tasks its first training would run (segments, handler times), without training",
  flags: {},
  async run(ctx) {
    const file = requireConfig(ctx, 'tasks preview');
    const prepared = await prepareConfig(file, ctx.engine());
    const p = await openPipeline(prepared);
    try {
      const out: { strategy: string; tasks: unknown[] }[] = [];
      for (const s of p.strategies) {
        const tasks = await s.firstTasks();
        out.push({
          strategy: s.name,
          tasks: tasks.map((t) => {
            const h = t.dataset.kwargs.handler.kwargs;
            return {
              model: t.model.class,
              segments: t.dataset.kwargs.segments,
              handler: { start_time: h.start_time ?? null, end_time: h.end_time ?? null, fit_start_time: h.fit_start_time ?? null, fit_end_time: h.fit_end_time ?? null },
            };
          }),
        });
      }
      ctx.print(out, () =>
        out
          .map((s) => {
            const rows = (s.tasks as { model: string; segments: Record<string, [string, string | null]>; handler: Record<string, string | null> }[]).map((t, i) => [
              String(i + 1),
              t.model,
              ...['train', 'valid', 'test'].map((k) => (t.segments[k] ? `${t.segments[k]![0]}..${t.segments[k]![1] ?? 'open'}` : '-')),
              `${t.handler['fit_start_time'] ?? '-'}..${t.handler['fit_end_time'] ?? '-'}`,
              `${t.handler['start_time'] ?? '-'}..${t.handler['end_time'] ?? 'open'}`,
            ]);
            return `strategy ${s.strategy}: ${rows.length} task(s)\n` + table(['#', 'model', 'train', 'valid', 'test', 'fit window', 'handler data'], rows);
          })
          .join('\n\n'),
      );
    } finally {
      await p.close();
    }
  },
};
