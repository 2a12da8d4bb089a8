import { describe, expect, it } from 'vitest';
import { TradingGaps, lastWeekdayBefore, weekdaysBetween } from '../../core/engine/doctor.js';

// A calendar with a week-long holiday (Thursday 1 .. Wednesday 7 October 2020 closed).
const DAYS = ['2020-09-28', '2020-09-29', '2020-09-30', '2020-10-08', '2020-10-09'];

describe('TradingGaps', () => {
  it('counts trading days inside the calendar: a holiday is no gap', () => {
    const g = new TradingGaps(DAYS);
    expect(g.between('2020-09-30', '2020-10-08')).toBe(1);
    expect(weekdaysBetween('2020-09-30', '2020-10-08')).toBe(6);
    expect(g.between('2020-09-28', '2020-10-09')).toBe(4);
    expect(g.between('2020-10-09', '2020-09-28')).toBe(0);
    expect(g.between('2020-10-09', '2020-10-09')).toBe(0);
    expect(g.unit).toBe('trading day(s)');
  });

  it('the last trading day before a day: from the calendar inside it, weekdays past its end', () => {
    const g = new TradingGaps(DAYS);
    // On Thursday 8 October the last trading day is 30 September, not Wednesday the 7th.
    expect(g.lastTradingDayBefore('2020-10-08')).toBe('2020-09-30');
    expect(lastWeekdayBefore('2020-10-08')).toBe('2020-10-07');
    expect(g.lastTradingDayBefore('2020-10-10')).toBe('2020-10-09');
    // Monday 12 October: the calendar ends on Friday the 9th, the last weekday before is that Friday.
    expect(g.lastTradingDayBefore('2020-10-12')).toBe('2020-10-09');
    expect(g.beyond('2020-10-09')).toBe('');
    // Wednesday 14 October: past the calendar, weekdays stand in (Monday 12, Tuesday 13).
    expect(g.lastTradingDayBefore('2020-10-14')).toBe('2020-10-13');
    expect(g.beyond('2020-10-13')).toMatch(/weekdays past the data's calendar/);
  });

  it('a gap that runs past the calendar: trading days inside plus weekdays beyond', () => {
    const g = new TradingGaps(DAYS);
    expect(g.between('2020-09-30', '2020-10-13')).toBe(2 + 2);
    expect(g.between('2020-10-09', '2020-10-13')).toBe(2);
    expect(g.between('2020-10-12', '2020-10-13')).toBe(1);
  });

  it('without a calendar: weekdays', () => {
    const g = new TradingGaps(null);
    expect(g.between('2020-09-30', '2020-10-08')).toBe(6);
    expect(g.lastTradingDayBefore('2020-10-08')).toBe('2020-10-07');
    expect(g.unit).toBe('weekday(s)');
    expect(g.beyond('2030-01-01')).toBe('');
  });
});
