import { spawnSync } from 'node:child_process';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TradingGaps, lastWeekdayBefore, weekdaysBetween } from '../../../../core/engine/doctor.js';
import { EMPTY_GRACE_MS, HomeLock, inspectHomeLock } from '../../../../core/engine/home.js';
import { takenOver } from '../../../../core/store/lease-expiry.js';

describe('doctor: weekday arithmetic', () => {
  it('the last weekday before a day skips weekends', () => {
    expect(lastWeekdayBefore('2021-01-01')).toBe('2020-12-31'); // Friday -> Thursday
    expect(lastWeekdayBefore('2021-01-04')).toBe('2021-01-01'); // Monday -> Friday
    expect(lastWeekdayBefore('2021-01-03')).toBe('2021-01-01'); // Sunday -> Friday
  });

  it('counts weekdays in (from, to], 0 when to is not after from', () => {
    expect(weekdaysBetween('2020-12-31', '2020-12-31')).toBe(0);
    expect(weekdaysBetween('2020-12-31', '2021-01-04')).toBe(2); // Fri 1st, Mon 4th
    expect(weekdaysBetween('2021-01-01', '2021-01-03')).toBe(0); // a weekend
    expect(weekdaysBetween('2021-01-05', '2021-01-01')).toBe(0);
    expect(weekdaysBetween('2020-12-01', '2020-12-31')).toBe(22);
  });
});

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

describe('inspectHomeLock (read-only)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-inspect-lock-'));

  it('free, held by this process, stale of a dead process, and an empty lock past its grace period', () => {
    const file = path.join(dir, 'a.lock');
    expect(inspectHomeLock(file)).toEqual({ state: 'free', leftovers: [] });
    const lock = new HomeLock(file);
    lock.acquire('manager m');
    expect(inspectHomeLock(file)).toMatchObject({ state: 'held', owner: { pid: process.pid, what: 'manager m' } });
    lock.release();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(file, JSON.stringify({ pid: dead, nonce: 'n1', what: 'manager m', since: '2021-01-01T00:00:00Z' }));
    expect(inspectHomeLock(file)).toEqual({ state: 'stale', owner: { pid: dead, what: 'manager m', since: '2021-01-01T00:00:00Z' }, leftovers: [] });
    writeFileSync(file, '');
    expect(inspectHomeLock(file).state).toBe('held');
    const old = (Date.now() - EMPTY_GRACE_MS - 1000) / 1000;
    utimesSync(file, old, old);
    expect(inspectHomeLock(file)).toEqual({ state: 'stale', owner: null, leftovers: [] });
  });

  it('lists what an interrupted takeover left beside the lock', () => {
    const file = path.join(dir, 'b.lock');
    writeFileSync(`${file}.takeover-abc`, '');
    writeFileSync(`${file}.0123.tmp`, '');
    expect(inspectHomeLock(file)).toEqual({ state: 'free', leftovers: [`${file}.0123.tmp`, `${file}.takeover-abc`].sort() });
  });
});

describe('takenOver', () => {
  it('is a later attempt whose previous one ended with its lease running out', () => {
    const ran = 'the lease of worker h:1:0 ran out (the worker stopped or stalled) at attempt 1 of 3';
    expect(takenOver({ attempts: 2, lastError: ran })).toBe(true);
    expect(takenOver({ attempts: 1, lastError: ran })).toBe(false);
    expect(takenOver({ attempts: 2, lastError: 'synthetic failure in fit' })).toBe(false);
    expect(takenOver({ attempts: 2, lastError: null })).toBe(false);
  });
});
