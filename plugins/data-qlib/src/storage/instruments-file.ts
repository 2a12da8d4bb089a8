import { promises as fsp, readFileSync } from 'node:fs';
import type { InstrumentSpan, InstrumentSpans } from '../../../../core/index.js';
import { instrumentsDir, instrumentsPath } from './paths.js';
import { writeFileAtomic } from './atomic-write.js';
import { at, dataError, normalizeDay } from './dates.js';

/**
 * Parses `CODE<TAB>start<TAB>end` lines (extra columns ignored, as Qlib does).
 * A code may have several lines; its spans come back sorted by start.
 */
export function parseInstrumentsText(text: string, file: string): InstrumentSpans {
  const out: InstrumentSpans = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let parts = raw.split('\t');
    // Hand-edited files sometimes use spaces; accept any whitespace when tabs are absent.
    if (parts.length < 3) parts = raw.trim().split(/\s+/);
    if (parts.length < 3) {
      throw dataError(`${at(file, i + 1)}: expected CODE<TAB>start<TAB>end, found ${JSON.stringify(raw)}`, file, i + 1);
    }
    const code = parts[0]!.trim();
    const start = normalizeDay(parts[1]!.trim());
    const end = normalizeDay(parts[2]!.trim());
    if (code === '') throw dataError(`${at(file, i + 1)}: empty instrument code`, file, i + 1);
    if (start === null || end === null) {
      const bad = start === null ? parts[1] : parts[2];
      throw dataError(`${at(file, i + 1)}: expected dates YYYY-MM-DD, found ${JSON.stringify(bad!.trim())}`, file, i + 1);
    }
    if (end < start) throw dataError(`${at(file, i + 1)}: span of ${code} ends (${end}) before it starts (${start})`, file, i + 1);
    let spans = out.get(code);
    if (!spans) {
      spans = [];
      out.set(code, spans);
    }
    spans.push({ start, end });
  }
  for (const spans of out.values()) spans.sort(compareSpans);
  return out;
}

function compareSpans(a: InstrumentSpan, b: InstrumentSpan): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0;
}

function missingMarket(file: string, market: string): Error {
  return dataError(`no market "${market}": ${file} does not exist`, file);
}

/** A market's instruments, read synchronously all the same (a small file: see readCalendar). */
export async function readInstruments(uri: string, market: string): Promise<InstrumentSpans> {
  return readInstrumentsSync(uri, market);
}

export function readInstrumentsSync(uri: string, market: string): InstrumentSpans {
  const file = instrumentsPath(uri, market);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingMarket(file, market);
    throw e;
  }
  return parseInstrumentsText(text, file);
}

/** Market names (file stems under instruments/), sorted. */
export async function listMarkets(uri: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(instrumentsDir(uri));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.endsWith('.txt') && !n.startsWith('.')).map((n) => n.slice(0, -4)).sort();
}

/** Lines in map order, each code's spans sorted by start. */
export function formatInstruments(spans: InstrumentSpans, file = 'instruments'): string {
  let text = '';
  for (const [code, list] of spans) {
    if (code === '' || /[\t\n\r]/.test(code)) throw dataError(`${file}: invalid instrument code ${JSON.stringify(code)}`);
    const sorted = [...list].sort(compareSpans);
    for (const s of sorted) {
      if (normalizeDay(s.start) !== s.start || normalizeDay(s.end) !== s.end || s.end < s.start) {
        throw dataError(`${file}: invalid span for ${code}: ${JSON.stringify(s)} (expected start <= end, both YYYY-MM-DD)`);
      }
      text += `${code}\t${s.start}\t${s.end}\n`;
    }
  }
  return text;
}

/** Replaces `instruments/<market>.txt` atomically. */
export async function writeInstruments(uri: string, market: string, spans: InstrumentSpans): Promise<void> {
  const file = instrumentsPath(uri, market);
  await writeFileAtomic(file, formatInstruments(spans, file));
}
