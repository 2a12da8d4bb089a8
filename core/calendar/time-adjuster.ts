import type { Segment } from '../contracts/task.js';
import { QonlineError } from '../errors/index.js';
import { type Calendar, isIsoDate } from './calendar.js';

export type AlignAs = 'start' | 'end';
export type ShiftType = 'sliding' | 'expanding';

function checkDate(date: unknown, what: string): string {
  if (!isIsoDate(date)) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `${what}: expected a YYYY-MM-DD date, found ${JSON.stringify(date)}`);
  }
  return date;
}

function checkSegment(seg: unknown, what: string): Segment {
  if (!Array.isArray(seg) || seg.length !== 2) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `${what}: expected a segment [start, end], found ${JSON.stringify(seg)}`);
  }
  checkDate(seg[0], `${what} start`);
  if (seg[1] !== null) checkDate(seg[1], `${what} end`);
  return seg as Segment;
}

/**
 * Date arithmetic for task generation, in calendar rows. Qlib's TimeAdjuster
 * with its silent wrap-arounds turned into errors: an end before the
 * calendar's first day, or a start after its last day, has no trading date
 * to align to.
 */
export class TimeAdjuster {
  readonly calendar: Calendar;

  constructor(calendar: Calendar) {
    if (calendar.length === 0) {
      throw new QonlineError('QONLINE_DATA_INVALID', `calendar ${calendar.freq} is empty: there are no trading dates to align to`);
    }
    this.calendar = calendar;
  }

  get length(): number {
    return this.calendar.length;
  }

  /** The date at row `i`; throws when `i` is outside the calendar. */
  get(i: number): string {
    return this.calendar.date(i);
  }

  /** The calendar's last date. */
  maxDate(): string {
    return this.calendar.last;
  }

  /**
   * Row of `date` aligned as a segment start (first trading date on or after
   * it) or end (last trading date on or before it).
   */
  alignIndex(date: string, as: AlignAs): number {
    checkDate(date, `date to align as a segment ${as}`);
    const cal = this.calendar;
    if (as === 'start') {
      const i = cal.lowerBound(date);
      if (i >= cal.length) {
        throw new QonlineError('QONLINE_DATE_OUT_OF_RANGE', `${date} as a segment start: no trading date on or after it (the ${cal.freq} calendar ends ${cal.last})`);
      }
      return i;
    }
    const i = cal.upperBound(date);
    if (i < 0) {
      throw new QonlineError('QONLINE_DATE_OUT_OF_RANGE', `${date} as a segment end: no trading date on or before it (the ${cal.freq} calendar starts ${cal.first})`);
    }
    return i;
  }

  alignDate(date: string, as: AlignAs): string {
    return this.get(this.alignIndex(date, as));
  }

  /** Start aligned forward, end backward; an open (null) end stays open. */
  alignSegment(seg: Segment): Segment {
    checkSegment(seg, 'segment');
    return [this.alignDate(seg[0], 'start'), seg[1] === null ? null : this.alignDate(seg[1], 'end')];
  }

  /**
   * Trading rows from `b` up to (excluding) `a`: how many rows `a` lies after
   * `b`, negative when it lies before. Dates need not be trading dates nor
   * inside the calendar.
   */
  calInterval(a: string, b: string): number {
    checkDate(a, 'calInterval first date');
    checkDate(b, 'calInterval second date');
    return this.calendar.lowerBound(a) - this.calendar.lowerBound(b);
  }

  /**
   * Cuts both ends of `seg` to at most `days` rows before the (aligned)
   * `testStart`, so no sample of the segment can see the test period through
   * its label. An open end is cut too. Row 0 is a valid result (Qlib asserts
   * the row is > 0 and so fails for segments on the calendar's first day).
   */
  truncate(seg: Segment, testStart: string, days: number): Segment {
    checkSegment(seg, 'segment to truncate');
    if (!Number.isInteger(days) || days < 0) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `truncation days must be a non-negative integer, found ${JSON.stringify(days)}`);
    }
    const testIdx = this.alignIndex(testStart, 'start');
    const limit = testIdx - days;
    if (limit < 0) {
      throw new QonlineError(
        'QONLINE_DATE_OUT_OF_RANGE',
        `cannot truncate [${seg[0]}, ${seg[1]}] to ${days} rows before ${this.get(testIdx)}: that is before the calendar's first date ${this.calendar.first}`,
      );
    }
    const startIdx = Math.min(this.alignIndex(seg[0], 'start'), limit);
    const endIdx = seg[1] === null ? limit : Math.min(this.alignIndex(seg[1], 'end'), limit);
    return [this.get(startIdx), this.get(endIdx)];
  }

  /**
   * Moves a segment by `step` rows: `sliding` moves both ends, `expanding`
   * only the end. An end that moves past the calendar becomes open (null); a
   * start that does is an error (the generators stop before that).
   */
  shift(seg: Segment, step: number, rtype: ShiftType): Segment {
    checkSegment(seg, 'segment to shift');
    if (!Number.isInteger(step)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `shift step must be an integer number of rows, found ${JSON.stringify(step)}`);
    }
    if (rtype !== 'sliding' && rtype !== 'expanding') {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `shift type must be "sliding" or "expanding", found ${JSON.stringify(rtype)}`);
    }
    let startIdx = this.alignIndex(seg[0], 'start');
    let endIdx = seg[1] === null ? null : this.alignIndex(seg[1], 'end');
    if (rtype === 'sliding') startIdx += step;
    if (endIdx !== null) endIdx += step;
    const n = this.calendar.length;
    if (startIdx < 0 || startIdx >= n || (endIdx !== null && endIdx < 0)) {
      throw new QonlineError(
        'QONLINE_DATE_OUT_OF_RANGE',
        `shifting [${seg[0]}, ${seg[1]}] by ${step} rows (${rtype}) leaves the calendar ${this.calendar.first}..${this.calendar.last}`,
      );
    }
    return [this.get(startIdx), endIdx === null || endIdx >= n ? null : this.get(endIdx)];
  }

  /** Row of the start of `seg` after a shift, or null when it would leave the calendar. */
  shiftedStartIndex(seg: Segment, step: number, rtype: ShiftType): number | null {
    const i = this.alignIndex(seg[0], 'start') + (rtype === 'sliding' ? step : 0);
    return i >= 0 && i < this.calendar.length ? i : null;
  }
}
