import type { RecorderInfo } from '../../contracts/store.js';
import { openStoreOnly } from '../../engine/pipeline.js';
import { QonlineError } from '../../errors/index.js';
import type { Command } from '../context.js';

export const modelsShowCommand: Command = {
  name: 'models show',
  usage: 'models show ID [--config CONFIG] [--json]',
  summary: "Show one recorder: its params, metrics (Qlib's names: IC, ICIR, Rank IC, Rank ICIR, ...) and artifacts",
  flags: {
    config: { value: true, description: 'Read the store this config names (default: the home folder\u2019s SQLite store)' },
  },
  async run(ctx) {
    const id = ctx.args.positionals[0];
    if (!id) throw new QonlineError('QONLINE_USAGE', 'models show needs a recorder id: qonline models show ID (see qonline models list)');
    if (ctx.args.positionals.length > 1) throw new QonlineError('QONLINE_USAGE', `unexpected argument ${JSON.stringify(ctx.args.positionals[1])}`);
    const s = await openStoreOnly(ctx.engine(), ctx.args.flags['config'] as string | undefined);
    try {
      // `models list` prints 12-character ids: a unique prefix is enough.
      const matches = (await s.store.listRecorders()).filter((r) => r.id === id || r.id.startsWith(id));
      const exact = matches.find((r) => r.id === id);
      if (!exact && matches.length > 1) throw new QonlineError('QONLINE_USAGE', `recorder id prefix ${JSON.stringify(id)} is ambiguous (${matches.length} recorders)`);
      const rec: RecorderInfo | undefined = exact ?? matches[0];
      if (!rec) throw new QonlineError('QONLINE_NOT_FOUND', `no recorder ${JSON.stringify(id)}`, { hint: 'qonline models list shows the recorders' });
      const artifacts = await s.store.listArtifacts(rec.id);
      const out = { id: rec.id, experiment: rec.experiment, name: rec.name, status: rec.status, params: rec.params, metrics: rec.metrics, artifacts };
      ctx.print(out, () =>
        [
          `recorder ${out.id} (${out.experiment}/${out.name}, ${out.status})`,
          'params:',
          ...Object.entries(out.params).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
          'metrics:',
          ...(Object.keys(out.metrics).length ? Object.entries(out.metrics).map(([k, v]) => `  ${k}: ${Number.isInteger(v) ? v : v.toFixed(6)}`) : ['  (none)']),
          'artifacts:',
          ...(out.artifacts.length ? out.artifacts.map((a) => `  ${a}`) : ['  (none)']),
        ].join('\n'),
      );
    } finally {
      await s.close();
    }
  },
};
