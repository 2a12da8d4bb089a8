import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A data folder that grows one import at a time: the first `days` calendar
 * days of a generated market, written in Qlib's layout (calendar prefix, each
 * series cut at that day, instrument spans clipped) independently of the
 * product code, as an import of new days would leave it.
 */
export function growTo(full: string, dst: string, days: number): string {
  const calendar = readFileSync(path.join(full, 'calendars', 'day.txt'), 'utf8').trim().split('\n');
  const last = calendar[days - 1]!;
  mkdirSync(path.join(dst, 'calendars'), { recursive: true });
  writeFileSync(path.join(dst, 'calendars', 'day.txt'), calendar.slice(0, days).join('\n') + '\n');
  mkdirSync(path.join(dst, 'instruments'), { recursive: true });
  for (const f of readdirSync(path.join(full, 'instruments'))) {
    const lines = readFileSync(path.join(full, 'instruments', f), 'utf8').trim().split('\n');
    const kept = lines
      .map((l) => l.split('\t'))
      .filter(([, start]) => start! <= last)
      .map(([code, start, end]) => `${code}\t${start}\t${end! < last ? end : last}`);
    writeFileSync(path.join(dst, 'instruments', f), kept.join('\n') + '\n');
  }
  for (const inst of readdirSync(path.join(full, 'features'))) {
    mkdirSync(path.join(dst, 'features', inst), { recursive: true });
    for (const f of readdirSync(path.join(full, 'features', inst))) {
      const buf = readFileSync(path.join(full, 'features', inst, f));
      const start = buf.readFloatLE(0);
      const n = Math.max(0, days - start);
      writeFileSync(path.join(dst, 'features', inst, f), buf.subarray(0, 4 + 4 * Math.min(n, (buf.length - 4) / 4)));
    }
  }
  return last;
}
