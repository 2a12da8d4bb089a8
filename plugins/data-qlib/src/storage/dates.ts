import { QonlineError } from '../../../../core/index.js';

/** pandas writes midnight timestamps as `YYYY-MM-DD 00:00:00`; that is still a day. */
const MIDNIGHT_SUFFIX = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  // A non-digit poisons any sum it is part of.
  return c >= 0 && c <= 9 ? c : -1e6;
}

/** True for a real calendar day written `YYYY-MM-DD`. (Char codes, not a regex: CSV import calls it per row.) */
export function isValidDay(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const mo = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const max = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!;
  return d <= max;
}

/** `YYYY-MM-DD` (optionally with a midnight time part) to `YYYY-MM-DD`, or null. */
export function normalizeDay(s: string): string | null {
  const m = MIDNIGHT_SUFFIX.exec(s);
  if (!m) return null;
  return isValidDay(m[1]!) ? m[1]! : null;
}

/** `file:line` for messages. */
export function at(file: string, line: number): string {
  return `${file}:${line}`;
}

export function dataError(message: string, file?: string, line?: number): QonlineError {
  return new QonlineError('QONLINE_DATA_INVALID', message, file === undefined ? {} : { location: { file, line } });
}
