import { describe, expect, it } from 'vitest';
import { localMidnight, rangeOf } from './local-periods.js';

describe('local periods', () => {
  it('finds local midnight in a zone, also on the day clocks change', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    expect(localMidnight(now, 'Asia/Shanghai').toISOString()).toBe('2026-11-24T16:00:00.000Z');
    expect(localMidnight(now, 'America/New_York').toISOString()).toBe('2026-11-25T05:00:00.000Z');
    // New York springs forward on 2026-03-08: that day starts at 05:00Z, the next at 04:00Z.
    const dst = new Date('2026-03-08T15:00:00Z');
    expect(localMidnight(dst, 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(localMidnight(dst, 'America/New_York', 1).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });

  it('starts weeks on Monday', () => {
    // 2026-11-25 is a Wednesday.
    const { from } = rangeOf('this_week', new Date('2026-11-25T10:00:00Z'), 'Europe/Berlin');
    expect(from.toISOString()).toBe('2026-11-22T23:00:00.000Z');
  });

  it("finds tomorrow and last month in the person's zone, across a change of the clocks", () => {
    // Berlin falls back on 2026-10-25: October has a day of 25 hours.
    const now = new Date('2026-11-03T09:00:00Z');
    const lastMonth = rangeOf('last_month', now, 'Europe/Berlin');
    expect(lastMonth.from.toISOString()).toBe('2026-09-30T22:00:00.000Z');
    expect(lastMonth.to.toISOString()).toBe('2026-10-31T23:00:00.000Z');
    const tomorrow = rangeOf('tomorrow', now, 'Asia/Shanghai');
    expect(tomorrow.from.toISOString()).toBe('2026-11-03T16:00:00.000Z');
    expect(tomorrow.to.toISOString()).toBe('2026-11-04T16:00:00.000Z');
  });

  it('finds last Monday, the day before yesterday and a day of last week', () => {
    // 2026-11-25 is a Wednesday; in Shanghai its midnight is 16:00Z the day before.
    const wednesday = new Date('2026-11-25T10:00:00Z');
    const on = (period: Parameters<typeof rangeOf>[0], now = wednesday) =>
      rangeOf(period, now, 'Asia/Shanghai').from.toISOString();
    expect(on('monday')).toBe('2026-11-22T16:00:00.000Z');
    expect(on('wednesday')).toBe('2026-11-17T16:00:00.000Z');
    expect(on('sunday')).toBe('2026-11-21T16:00:00.000Z');
    expect(on('day_before_yesterday')).toBe('2026-11-22T16:00:00.000Z');
    expect(on('last_week_monday')).toBe('2026-11-15T16:00:00.000Z');
    expect(on('last_week_sunday')).toBe('2026-11-21T16:00:00.000Z');
    expect(rangeOf('monday', wednesday, 'Asia/Shanghai').to.toISOString()).toBe('2026-11-23T16:00:00.000Z');
  });
});
