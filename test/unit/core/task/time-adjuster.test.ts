import { describe, expect, it } from 'vitest';
import { Calendar } from '../../../../core/calendar/calendar.js';
import { TimeAdjuster } from '../../../../core/calendar/time-adjuster.js';
import { isQonlineError } from '../../../../core/errors/index.js';
import { DATES, dateAt, rowOnOrAfter, rowOnOrBefore } from '../../../fixtures/rolling/test-calendar.js';

const ta = new TimeAdjuster(new Calendar(DATES));

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isQonlineError(e)) return e.code;
    throw e;
  }
  throw new Error('expected an error');
}

describe('test calendar', () => {
  it('has the 60 trading days it claims', () => {
    expect(DATES.length).toBe(60);
    expect(DATES[0]).toBe('2024-01-02');
    expect(DATES[59]).toBe('2024-03-28');
    expect(DATES).not.toContain('2024-02-19');
    expect(DATES).not.toContain('2024-02-20');
  });
});

describe('TimeAdjuster.alignIndex / alignDate', () => {
  it('keeps a trading date as it is', () => {
    expect(ta.alignIndex('2024-02-16', 'start')).toBe(32);
    expect(ta.alignIndex('2024-02-16', 'end')).toBe(32);
    expect(ta.alignDate('2024-02-16', 'start')).toBe('2024-02-16');
  });

  it('moves a start forward and an end backward over weekends and holidays', () => {
    // Sat 17 Feb .. Tue 20 Feb: weekend then a two-day holiday.
    expect(ta.alignDate('2024-02-17', 'start')).toBe('2024-02-21');
    expect(ta.alignDate('2024-02-20', 'start')).toBe('2024-02-21');
    expect(ta.alignDate('2024-02-17', 'end')).toBe('2024-02-16');
    expect(ta.alignDate('2024-02-20', 'end')).toBe('2024-02-16');
  });

  it('agrees with a linear scan on every day of the quarter and around it', () => {
    for (let t = Date.UTC(2023, 11, 30); t <= Date.UTC(2024, 3, 2); t += 86_400_000) {
      const d = new Date(t).toISOString().slice(0, 10);
      const s = rowOnOrAfter(d);
      const e = rowOnOrBefore(d);
      if (s >= 0) expect(ta.alignIndex(d, 'start')).toBe(s);
      if (e >= 0) expect(ta.alignIndex(d, 'end')).toBe(e);
    }
  });

  it('aligns a start before the calendar to its first day and an end after it to its last', () => {
    expect(ta.alignDate('2020-01-01', 'start')).toBe('2024-01-02');
    expect(ta.alignDate('2030-01-01', 'end')).toBe('2024-03-28');
  });

  it('refuses an end before the calendar starts (Qlib returns the last day)', () => {
    expect(errorCode(() => ta.alignIndex('2023-12-01', 'end'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(errorCode(() => ta.alignIndex('2024-01-01', 'end'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });

  it('refuses a start after the calendar ends', () => {
    expect(errorCode(() => ta.alignIndex('2024-03-29', 'start'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });

  it('refuses malformed dates', () => {
    expect(errorCode(() => ta.alignIndex('2024-2-1', 'start'))).toBe('QONLINE_CONFIG_INVALID');
    expect(errorCode(() => ta.alignIndex('2024-02-01 00:00:00', 'end'))).toBe('QONLINE_CONFIG_INVALID');
  });
});

describe('TimeAdjuster.alignSegment', () => {
  it('aligns both ends and keeps an open end open', () => {
    expect(ta.alignSegment(['2024-01-13', '2024-01-15'])).toEqual(['2024-01-16', '2024-01-12']);
    expect(ta.alignSegment(['2024-01-06', null])).toEqual(['2024-01-08', null]);
  });
});

describe('TimeAdjuster.truncate', () => {
  it('cuts both ends to `days` rows before the aligned test start', () => {
    // test start Sat 10 Feb -> Mon 12 Feb = row 28; 5 rows before = row 23.
    expect(ta.truncate(['2024-01-08', '2024-02-09'], '2024-02-10', 5)).toEqual([dateAt(4), dateAt(23)]);
    expect(ta.truncate(['2024-02-06', '2024-02-09'], '2024-02-10', 5)).toEqual([dateAt(23), dateAt(23)]);
    // an end already early enough is untouched (and aligned as an end)
    expect(ta.truncate(['2024-01-08', '2024-01-14'], '2024-02-10', 5)).toEqual(['2024-01-08', '2024-01-12']);
  });

  it('cuts an open end', () => {
    expect(ta.truncate(['2024-01-08', null], '2024-02-12', 2)).toEqual(['2024-01-08', dateAt(26)]);
  });

  it('works when the result is the calendar first day (Qlib asserts > 0)', () => {
    expect(ta.truncate(['2024-01-02', '2024-01-10'], '2024-01-05', 3)).toEqual(['2024-01-02', '2024-01-02']);
  });

  it('refuses a cut before the calendar start and bad day counts', () => {
    expect(errorCode(() => ta.truncate(['2024-01-02', '2024-01-10'], '2024-01-05', 4))).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(errorCode(() => ta.truncate(['2024-01-02', '2024-01-10'], '2024-01-05', -1))).toBe('QONLINE_CONFIG_INVALID');
    expect(errorCode(() => ta.truncate(['2024-01-02', '2024-01-10'], '2024-01-05', 1.5))).toBe('QONLINE_CONFIG_INVALID');
  });
});

describe('TimeAdjuster.shift', () => {
  it('slides both ends by rows, across holidays', () => {
    // rows 31..32 = 15..16 Feb; +2 rows = 21..22 Feb (19, 20 Feb are holidays)
    expect(ta.shift(['2024-02-15', '2024-02-16'], 2, 'sliding')).toEqual(['2024-02-21', '2024-02-22']);
  });

  it('expands only the end', () => {
    expect(ta.shift(['2024-01-02', '2024-02-16'], 2, 'expanding')).toEqual(['2024-01-02', '2024-02-22']);
  });

  it('aligns non-trading ends before shifting', () => {
    // Sat 6 Jan -> row 4 (8 Jan); Sun 14 Jan -> row 8 (12 Jan); +3 rows -> 7, 11
    expect(ta.shift(['2024-01-06', '2024-01-14'], 3, 'sliding')).toEqual([dateAt(7), dateAt(11)]);
  });

  it('opens an end that moves past the calendar and keeps an open end open', () => {
    expect(ta.shift([dateAt(50)!, dateAt(55)!], 5, 'sliding')).toEqual([dateAt(55), null]);
    expect(ta.shift([dateAt(50)!, dateAt(54)!], 5, 'sliding')).toEqual([dateAt(55), dateAt(59)]);
    expect(ta.shift([dateAt(50)!, null], 5, 'sliding')).toEqual([dateAt(55), null]);
    expect(ta.shift([dateAt(0)!, null], 5, 'expanding')).toEqual([dateAt(0), null]);
  });

  it('refuses a start that leaves the calendar, including landing exactly one past its end', () => {
    expect(errorCode(() => ta.shift([dateAt(55)!, dateAt(57)!], 5, 'sliding'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(errorCode(() => ta.shift([dateAt(55)!, dateAt(57)!], 50, 'sliding'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(errorCode(() => ta.shift([dateAt(2)!, dateAt(5)!], -3, 'sliding'))).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(ta.shiftedStartIndex([dateAt(55)!, dateAt(57)!], 5, 'sliding')).toBeNull();
    expect(ta.shiftedStartIndex([dateAt(55)!, dateAt(57)!], 4, 'sliding')).toBe(59);
    expect(ta.shiftedStartIndex([dateAt(55)!, dateAt(57)!], 50, 'expanding')).toBe(55);
  });

  it('shifts backwards with a negative step', () => {
    expect(ta.shift([dateAt(10)!, dateAt(12)!], -4, 'sliding')).toEqual([dateAt(6), dateAt(8)]);
  });

  it('refuses bad steps and types', () => {
    expect(errorCode(() => ta.shift([dateAt(10)!, dateAt(12)!], 1.5, 'sliding'))).toBe('QONLINE_CONFIG_INVALID');
    expect(errorCode(() => ta.shift([dateAt(10)!, dateAt(12)!], 1, 'rolling' as 'sliding'))).toBe('QONLINE_CONFIG_INVALID');
  });
});

describe('TimeAdjuster.calInterval / get / maxDate', () => {
  it('counts trading rows between two dates, as a naive count does', () => {
    const pairs: [string, string][] = [
      ['2024-02-21', '2024-02-16'],
      ['2024-02-16', '2024-02-21'],
      ['2024-02-18', '2024-02-17'],
      ['2024-04-30', '2024-03-01'],
      ['2024-03-01', '2023-12-01'],
    ];
    for (const [a, b] of pairs) {
      // rows d with b <= d < a, negated when a < b
      const naive = a >= b ? DATES.filter((d) => d >= b && d < a).length : -DATES.filter((d) => d >= a && d < b).length;
      expect(ta.calInterval(a, b)).toBe(naive);
    }
    expect(ta.calInterval('2024-02-21', '2024-02-16')).toBe(1);
  });

  it('reads dates by row', () => {
    expect(ta.get(0)).toBe('2024-01-02');
    expect(ta.maxDate()).toBe('2024-03-28');
    expect(errorCode(() => ta.get(60))).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });

  it('refuses an empty calendar', () => {
    expect(errorCode(() => new TimeAdjuster(new Calendar([])))).toBe('QONLINE_DATA_INVALID');
  });
});
