import { QonlineError } from '../errors/index.js';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar day written `YYYY-MM-DD` (2021-02-30, 2020-13-45 and 0000-01-01 are not). */
export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}

/**
 * The ordered trading dates of one frequency. Dates are `YYYY-MM-DD` strings,
 * which sort lexicographically; indices exist only in memory.
 */
export class Calendar {
  readonly freq: string;
  readonly dates: readonly string[];

  constructor(dates: readonly string[], freq = 'day') {
    for (let i = 0; i < dates.length; i++) {
      if (!isIsoDate(dates[i])) {
        throw new QonlineError('QONLINE_DATA_INVALID', `calendar ${freq}: entry ${i + 1} (${JSON.stringify(dates[i])}) is not a YYYY-MM-DD date`);
      }
      if (i > 0 && dates[i]! <= dates[i - 1]!) {
        throw new QonlineError('QONLINE_DATA_INVALID', `calendar ${freq}: dates not strictly increasing at entry ${i + 1} (${dates[i]} after ${dates[i - 1]})`);
      }
    }
    this.dates = Object.freeze([...dates]);
    this.freq = freq;
  }

  get length(): number {
    return this.dates.length;
  }
  get first(): string {
    return this.dates[0]!;
  }
  get last(): string {
    return this.dates[this.dates.length - 1]!;
  }

  /** The date at index `i`; throws when out of range. */
  date(i: number): string {
    const d = this.dates[i];
    if (d === undefined) {
      throw new QonlineError('QONLINE_DATE_OUT_OF_RANGE', `calendar index ${i} is outside 0..${this.dates.length - 1}`);
    }
    return d;
  }

  /** Index of `date`, or -1 when it is not a trading date. */
  indexOf(date: string): number {
    const i = this.lowerBound(date);
    return i < this.dates.length && this.dates[i] === date ? i : -1;
  }

  /** First index whose date is >= `date` (may be `length`). */
  lowerBound(date: string): number {
    let lo = 0;
    let hi = this.dates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.dates[mid]! < date) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Last index whose date is <= `date` (may be -1). */
  upperBound(date: string): number {
    let lo = 0;
    let hi = this.dates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.dates[mid]! <= date) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Index of the first trading date on or after `date`; error if after the last date. */
  alignStartIndex(date: string): number {
    const i = this.lowerBound(date);
    if (i >= this.dates.length) {
      throw new QonlineError('QONLINE_DATE_OUT_OF_RANGE', `${date} is after the calendar's last date ${this.last}`);
    }
    return i;
  }

  /** Index of the last trading date on or before `date`; error if before the first date. */
  alignEndIndex(date: string): number {
    const i = this.upperBound(date);
    if (i < 0) {
      throw new QonlineError('QONLINE_DATE_OUT_OF_RANGE', `${date} is before the calendar's first date ${this.first}`);
    }
    return i;
  }

  /** Dates in [start, end] inclusive (end null = to the last date). */
  range(start: string, end: string | null): string[] {
    const a = this.lowerBound(start);
    const b = end === null ? this.dates.length - 1 : this.upperBound(end);
    return b < a ? [] : this.dates.slice(a, b + 1);
  }
}
