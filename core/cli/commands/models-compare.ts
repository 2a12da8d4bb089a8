import { QonlineError } from '../../errors/index.js';
import { openStoreOnly } from '../../engine/pipeline.js';
import { fingerprintDiff } from '../../online/online-manager.js';
import { canonicalJson } from '../../task/canonical.js';
import { ONLINE_TAG } from '../../online/task-runner.js';
import type { Command } from '../context.js';
import { table } from './shared.js';

export const modelsCompareCommand: Command = {
  name: 'models compare',
  usage: 'models compare ID_A ID_B [--config CONFIG]',
  summary: 'Compare two model versions: task differences, test segments, metrics, online tags',
  flags: { config: { value: true, description: 'Read the store this config names' } },
  async run(ctx) {
    const [a, b] = ctx.args.positionals;
    if (!a || !b) throw new QonlineError('QONLINE_USAGE', 'usage: qonline models compare ID_A ID_B');
    const s = await openStoreOnly(ctx.engine(), ctx.args.flags['config'] as string | undefined);
    try {
      const all = await s.store.listRecorders();
      const pick = (prefix: string) => {
        const m = all.filter((r) => r.id.startsWith(prefix));
        if (m.length !== 1) throw new QonlineError(m.length ? 'QONLINE_USAGE' : 'QONLINE_NOT_FOUND', m.length ? `id prefix ${prefix} is ambiguous` : `no recorder ${prefix}`);
        return m[0]!;
      };
      const ra = pick(a);
      const rb = pick(b);
      const ta = await s.store.getArtifact(ra.id, 'task');
      const tb = await s.store.getArtifact(rb.id, 'task');
      const taskDiff = fingerprintDiff(canonicalJson(ta ?? null), canonicalJson(tb ?? null));
      const metrics = [...new Set([...Object.keys(ra.metrics), ...Object.keys(rb.metrics)])].sort();
      const out = {
        a: { id: ra.id, strategy: ra.experiment, status: ra.status, online: ra.tags[ONLINE_TAG] === 'online', params: ra.params, metrics: ra.metrics, created: ra.createdAt },
        b: { id: rb.id, strategy: rb.experiment, status: rb.status, online: rb.tags[ONLINE_TAG] === 'online', params: rb.params, metrics: rb.metrics, created: rb.createdAt },
        taskDiff,
      };
      ctx.print(out, () => {
        const rows: string[][] = [
          ['id', ra.id.slice(0, 12), rb.id.slice(0, 12)],
          ['strategy', ra.experiment, rb.experiment],
          ['model', String(ra.params.model_class), String(rb.params.model_class)],
          ['test', `${ra.params.test_start}..${ra.params.test_end ?? 'open'}`, `${rb.params.test_start}..${rb.params.test_end ?? 'open'}`],
          ['status', ra.status, rb.status],
          ['online', ra.tags[ONLINE_TAG] ?? 'offline', rb.tags[ONLINE_TAG] ?? 'offline'],
          ['created', ra.createdAt, rb.createdAt],
          ...metrics.map((m) => [m, fmt(ra.metrics[m]), fmt(rb.metrics[m])]),
        ];
        return `${table(['', 'A', 'B'], rows)}\n\ntask differences (A -> B):\n${taskDiff.length ? taskDiff.map((d) => '  ' + d).join('\n') : '  none'}`;
      });
    } finally {
      await s.close();
    }
  },
};

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(4);
}
