import { QonlineError } from '../../errors/index.js';
import { openPipeline, openStoreOnly, prepareConfig } from '../../engine/pipeline.js';
import { formatSummary, summarize } from '../../engine/run.js';
import type { Command } from '../context.js';
import { requireStrategy, resolveManagerName } from './shared-manager.js';
import { requireConfig, table } from './shared.js';

export const historyCommand: Command = {
  name: 'history',
  usage: 'history [--config CONFIG] [--manager NAME] [--strategy S]',
  summary: 'Show the online-set history (which recorders each strategy had online from which date)',
  flags: {
    config: { value: true, description: 'Read the store and manager this config names' },
    manager: { value: true, description: 'Manager name (default: the only one in the store)' },
    strategy: { value: true, description: 'Only this strategy' },
  },
  async run(ctx) {
    const s = await openStoreOnly(ctx.engine(), ctx.args.flags['config'] as string | undefined, { readOnly: true });
    try {
      const manager = await resolveManagerName(s.store, ctx.args.flags['manager'] as string | undefined, s.managerName);
      const hist = await s.store.listHistory(manager, ctx.args.flags['strategy'] as string | undefined);
      ctx.print(hist, () =>
        hist.length
          ? table(['strategy', 'seq', 'effective', 'reason', 'online recorders'], hist.map((h) => [h.strategy, String(h.seq), h.effectiveDate, h.reason, h.recorderIds.map((x) => x.slice(0, 8)).join(' ')]))
          : 'no history',
      );
    } finally {
      await s.close();
    }
  },
};

export const rollbackCommand: Command = {
  name: 'rollback',
  usage: 'rollback CONFIG --strategy S --to DATE [--effective DATE]',
  summary: 'Put back the online set a strategy had at DATE and recompute the affected signals',
  flags: {
    strategy: { value: true, description: 'Strategy to roll back' },
    to: { value: true, date: true, description: 'Restore the online set in force at this date' },
    effective: { value: true, date: true, description: 'Date from which the restored set serves (default: the last routine)' },
  },
  async run(ctx) {
    const file = requireConfig(ctx, 'rollback');
    const strategy = ctx.args.flags['strategy'] as string | undefined;
    const to = ctx.args.flags['to'] as string | undefined;
    if (!strategy || !to) throw new QonlineError('QONLINE_USAGE', 'rollback needs --strategy and --to');
    const p = await openPipeline(await prepareConfig(file, ctx.engine()), { lock: true });
    try {
      requireStrategy(strategy, p.strategies.map((s) => s.name), 'in this config');
      const report = await p.manager.rollback(strategy, to, (ctx.args.flags['effective'] as string | undefined) ?? null);
      const summary = await summarize(p, [report]);
      ctx.print(summary, () => formatSummary(summary));
    } finally {
      await p.close();
    }
  },
};

export const onlineSetCommand: Command = {
  name: 'online set',
  usage: 'online set CONFIG --strategy S RECORDER_ID... [--effective DATE]',
  summary: 'Put exactly these recorders online for a strategy (one transaction) and recompute signals',
  flags: {
    strategy: { value: true, description: 'The strategy' },
    effective: { value: true, date: true, description: 'Date from which the set serves (default: the last routine)' },
  },
  async run(ctx) {
    const [file, ...ids] = ctx.args.positionals;
    const strategy = ctx.args.flags['strategy'] as string | undefined;
    if (!file || !strategy || !ids.length) throw new QonlineError('QONLINE_USAGE', 'usage: qonline online set CONFIG --strategy S RECORDER_ID...');
    const p = await openPipeline(await prepareConfig(file, ctx.engine()), { lock: true });
    try {
      requireStrategy(strategy, p.strategies.map((s) => s.name), 'in this config');
      // Accept id prefixes as printed by `models list`.
      const recs = await p.store.listRecorders({ experiment: strategy });
      const full = ids.map((id) => {
        const m = recs.filter((r) => r.id.startsWith(id));
        if (m.length !== 1) throw new QonlineError(m.length ? 'QONLINE_USAGE' : 'QONLINE_NOT_FOUND', m.length ? `recorder id prefix ${id} is ambiguous` : `strategy ${strategy} has no recorder ${id}`);
        return m[0]!.id;
      });
      const report = await p.manager.setOnline(strategy, full, (ctx.args.flags['effective'] as string | undefined) ?? null);
      const summary = await summarize(p, [report]);
      ctx.print(summary, () => formatSummary(summary));
    } finally {
      await p.close();
    }
  },
};
