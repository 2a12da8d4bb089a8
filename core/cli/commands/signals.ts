import { openStoreOnly } from '../../engine/pipeline.js';
import type { Command } from '../context.js';
import { resolveManagerName } from './shared-manager.js';
import { table } from './shared.js';

export const signalsCommand: Command = {
  name: 'signals',
  usage: 'signals [--config CONFIG] [--manager NAME] [--date D | --start D --end D]',
  summary: 'Show prepared signals (per date and instrument)',
  flags: {
    config: { value: true, description: 'Read the store and manager this config names' },
    manager: { value: true, description: 'Manager name (default: the only one in the store)' },
    date: { value: true, date: true, description: 'One date (default: the latest signal date)' },
    start: { value: true, date: true, description: 'First date of a range' },
    end: { value: true, date: true, description: 'Last date of a range' },
  },
  async run(ctx) {
    const s = await openStoreOnly(ctx.engine(), ctx.args.flags['config'] as string | undefined, { readOnly: true });
    try {
      const manager = await resolveManagerName(s.store, ctx.args.flags['manager'] as string | undefined, s.managerName);
      let start = ctx.args.flags['start'] as string | undefined;
      let end = ctx.args.flags['end'] as string | undefined;
      const date = ctx.args.flags['date'] as string | undefined;
      if (date) start = end = date;
      if (!start && !end) {
        const dates = await s.store.signalDates(manager);
        start = end = dates[dates.length - 1];
      }
      const sig = start || end ? await s.store.readSignals(manager, { start, end: end ?? null }) : { dates: [], instruments: [], scores: new Float64Array(0) };
      const rows = sig.dates.map((d, i) => ({ date: d, instrument: sig.instruments[i]!, score: sig.scores[i]! }));
      ctx.print({ manager, rows }, () =>
        rows.length ? table(['date', 'instrument', 'score'], rows.map((r) => [r.date, r.instrument, r.score.toFixed(6)])) : `no signals for manager ${manager}${start ? ` between ${start} and ${end}` : ''}`,
      );
    } finally {
      await s.close();
    }
  },
};
