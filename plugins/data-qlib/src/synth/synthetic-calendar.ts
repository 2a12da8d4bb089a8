import { QonlineError } from '../../../../core/index.js';
import { isValidDay } from '../storage/index.js';

const DAY_MS = 86_400_000;

function toUtcMs(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
}

function toDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * First day of the year's five-weekday "spring festival" closure: a fixed
 * pseudo-random date between Jan 22 and Feb 18, derived from the year alone
 * so every data dir agrees on the calendar.
 */
export function springFestivalStart(year: number): number {
  const offset = 21 + ((Math.imul(year, 2654435761) >>> 0) % 28);
  return Date.UTC(year, 0, 1) + offset * DAY_MS;
}

/** Fixed holidays: Jan 1, spring festival (5 weekdays), Apr 5, May 1-3, Oct 1-7. */
function isFixedHoliday(month: number, dom: number): boolean {
  if (month === 0 && dom === 1) return true;
  if (month === 3 && dom === 5) return true;
  if (month === 4 && dom <= 3) return true;
  if (month === 9 && dom <= 7) return true;
  return false;
}

/**
 * The synthetic trading calendar from `start` to `end` inclusive: weekdays
 * minus a fixed set of holidays (about 247 trading days a year). Independent
 * of the seed, so two synthetic markets over the same dates share a calendar.
 */
export function syntheticCalendar(start: string, end: string): string[] {
  if (!isValidDay(start) || !isValidDay(end)) {
    throw new QonlineError('QONLINE_DATA_INVALID', `synthetic calendar needs dates YYYY-MM-DD, got start=${start} end=${end}`);
  }
  if (end < start) throw new QonlineError('QONLINE_DATA_INVALID', `synthetic calendar: end ${end} is before start ${start}`);
  const out: string[] = [];
  const last = toUtcMs(end);
  let festivalYear = -1;
  let festivalFrom = 0;
  let festivalTo = 0;
  for (let ms = toUtcMs(start); ms <= last; ms += DAY_MS) {
    const d = new Date(ms);
    const dow = d.getUTCDay();
    if (dow === 0 || dow === 6) continue;
    const year = d.getUTCFullYear();
    if (year !== festivalYear) {
      festivalYear = year;
      festivalFrom = springFestivalStart(year);
      // Five weekdays from the start date (skipping a weekend inside the closure).
      let n = 0;
      let t = festivalFrom;
      for (; ; t += DAY_MS) {
        const w = new Date(t).getUTCDay();
        if (w !== 0 && w !== 6) n++;
        if (n === 5) break;
      }
      festivalTo = t;
    }
    if (ms >= festivalFrom && ms <= festivalTo) continue;
    if (isFixedHoliday(d.getUTCMonth(), d.getUTCDate())) continue;
    out.push(toDay(ms));
  }
  return out;
}
