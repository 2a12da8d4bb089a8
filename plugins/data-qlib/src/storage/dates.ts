import { QonlineError } from '../../../../core/index.js';

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** pandas writes midnight timestamps as `YYYY-MM-DD 00:00:00`; that is still a day. */
const MIDNIGHT_SUFFIX = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isValidDay(s: string): boolean {
  const m = ISO_DAY.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
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
