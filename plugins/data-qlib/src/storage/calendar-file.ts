import { promises as fsp, readFileSync } from 'node:fs';
import { calendarPath, calendarsDir } from './paths.js';
import { writeFileAtomic } from './atomic-write.js';
import { at, dataError, normalizeDay } from './dates.js';

/** Parses a calendar file's text: one date a line, blank lines ignored, strictly increasing. */
export function parseCalendarText(text: string, file: string): string[] {
  const dates: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const day = normalizeDay(raw);
    if (day === null) {
      throw dataError(`${at(file, i + 1)}: expected a date YYYY-MM-DD, found ${JSON.stringify(raw)}`, file, i + 1);
    }
    const prev = dates[dates.length - 1];
    if (prev !== undefined && day <= prev) {
      throw dataError(`${at(file, i + 1)}: calendar dates must increase strictly, found ${day} after ${prev}`, file, i + 1);
    }
    dates.push(day);
  }
  return dates;
}

function missingCalendar(file: string, freq: string): Error {
  return dataError(`no calendar for frequency "${freq}": ${file} does not exist`, file);
}

/**
 * The calendar, read synchronously all the same: a calendar file is small
 * (tens of KB), and an async read is four trips through libuv's thread pool
 * (open, stat, read, close), each costing more than the read.
 */
export async function readCalendar(uri: string, freq = 'day'): Promise<string[]> {
  return readCalendarSync(uri, freq);
}

/**
 * The last calendar parsed: a run reads its calendar twice (the config check
 * describes the data, then the provider opens it), and the second read finds
 * the same text. Keyed by file and text, so a changed file is parsed again.
 */
let lastParsed: { file: string; text: string; dates: readonly string[] } | undefined;

export function readCalendarSync(uri: string, freq = 'day'): string[] {
  const file = calendarPath(uri, freq);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingCalendar(file, freq);
    throw e;
  }
  if (lastParsed?.file === file && lastParsed.text === text) return [...lastParsed.dates];
  const dates = parseCalendarText(text, file);
  lastParsed = { file, text, dates: [...dates] };
  return dates;
}

/** The calendar text Qlib writes: one date a line with a final newline. */
export function formatCalendar(dates: readonly string[], file = 'calendar'): string {
  for (let i = 0; i < dates.length; i++) {
    const d = dates[i]!;
    if (normalizeDay(d) !== d) throw dataError(`${file}: entry ${i + 1} (${JSON.stringify(d)}) is not a date YYYY-MM-DD`);
    if (i > 0 && d <= dates[i - 1]!) {
      throw dataError(`${file}: dates must increase strictly, found ${d} after ${dates[i - 1]} at entry ${i + 1}`);
    }
  }
  return dates.length === 0 ? '' : dates.join('\n') + '\n';
}

/** Replaces the calendar atomically (temp file + rename). */
export async function writeCalendar(uri: string, dates: readonly string[], freq = 'day'): Promise<void> {
  const file = calendarPath(uri, freq);
  await writeFileAtomic(file, formatCalendar(dates, file));
}

/** Frequencies that have a calendar file (`day`, `1min`, ...); Qlib's `*_future` calendars excluded. */
export async function listFreqs(uri: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(calendarsDir(uri));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith('.txt') && !n.startsWith('.') && !n.endsWith('_future.txt'))
    .map((n) => n.slice(0, -4))
    .sort();
}
