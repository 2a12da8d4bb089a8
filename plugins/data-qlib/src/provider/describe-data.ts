import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { QonlineError, type DataFacts } from '../../../../core/index.js';
import { readCalendarSync } from '../storage/calendar-file.js';
import { calendarsDir, featuresDir, instrumentsDir } from '../storage/paths.js';
import { SYNTH_FIELDS } from '../synth/market-model.js';
import { syntheticCalendar } from '../synth/synthetic-calendar.js';

/** Markets the synthetic generator writes (instruments/<name>.txt). */
export const SYNTH_MARKETS = ['all', 'csi300'] as const;

/** The synthetic market's facts from its parameters alone (what generation would produce; nothing is generated). */
export function describeSynthetic(o: { start: string; end: string }): DataFacts {
  if (o.end < o.start) throw new QonlineError('QONLINE_CONFIG_INVALID', `end ${o.end} is before start ${o.start}`);
  const cal = syntheticCalendar(o.start, o.end);
  if (cal.length === 0) throw new QonlineError('QONLINE_CONFIG_INVALID', `no trading day between start ${o.start} and end ${o.end}`);
  return { fields: [...SYNTH_FIELDS], markets: [...SYNTH_MARKETS], calendar: { first: cal[0]!, last: cal[cal.length - 1]!, length: cal.length } };
}

/**
 * A Qlib data folder's facts, read (never written): the day calendar, the
 * market files under instruments/, and the union of the field files under
 * features/<code>/ (`close.day.bin` -> `close`).
 */
export function describeQlibFolder(uri: string): DataFacts {
  const abs = path.resolve(uri);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `data folder ${abs} does not exist`, { hint: 'uri is relative to the working directory; `qonline data synth --out DIR` writes a sample' });
  }
  if (!existsSync(calendarsDir(abs))) throw new QonlineError('QONLINE_CONFIG_INVALID', `${abs} is not a Qlib data folder (no calendars/ folder)`);
  const cal = readCalendarSync(abs, 'day');
  const markets = existsSync(instrumentsDir(abs))
    ? readdirSync(instrumentsDir(abs))
        .filter((n) => n.endsWith('.txt') && !n.startsWith('.'))
        .map((n) => n.slice(0, -4))
        .sort()
    : [];
  const fields = new Set<string>();
  if (existsSync(featuresDir(abs))) {
    for (const inst of readdirSync(featuresDir(abs), { withFileTypes: true })) {
      if (!inst.isDirectory()) continue;
      for (const f of readdirSync(path.join(featuresDir(abs), inst.name))) {
        const m = /^(.+)\.day\.bin$/.exec(f);
        if (m) fields.add(m[1]!);
      }
    }
  }
  return {
    fields: [...fields].sort(),
    markets,
    calendar: cal.length ? { first: cal[0]!, last: cal[cal.length - 1]!, length: cal.length } : null,
  };
}
