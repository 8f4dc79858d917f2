import { describe, expect, it } from 'vitest';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import { addDays, bucketize, defaultBucketSize, isoWeekStart, localDate, localMidnight } from './analytics.js';
import { isKnownTimeZone } from '@tend/core';

const day = 86_400_000;

describe('local days and weeks', () => {
  it('finds local midnight on both sides of a DST change', () => {
    // Berlin: CET (+1) until 2026-03-29 02:00, CEST (+2) after.
    expect(localMidnight('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(localMidnight('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    // New York: EDT (-4) until 2026-11-01 02:00, EST (-5) after.
    expect(localMidnight('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(localMidnight('2026-11-02', 'America/New_York').toISOString()).toBe('2026-11-02T05:00:00.000Z');
  });

  it('gives the local date of an instant', () => {
    expect(localDate(new Date('2026-03-29T22:30:00Z'), 'Europe/Berlin')).toBe('2026-03-30');
    expect(localDate(new Date('2026-03-28T22:30:00Z'), 'Europe/Berlin')).toBe('2026-03-28');
    expect(localDate(new Date('2026-03-29T22:30:00Z'), 'UTC')).toBe('2026-03-29');
  });

  it('starts ISO weeks on Monday', () => {
    expect(isoWeekStart('2026-03-29')).toBe('2026-03-23'); // a Sunday
    expect(isoWeekStart('2026-03-30')).toBe('2026-03-30'); // a Monday
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
  });

  it('uses days up to 31 days and weeks beyond', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(defaultBucketSize(from, new Date(from.getTime() + 31 * day))).toBe(BucketSize.DAY);
    expect(defaultBucketSize(from, new Date(from.getTime() + 32 * day))).toBe(BucketSize.WEEK);
  });
});

describe('buckets across a daylight-saving change', () => {
  const zone = 'Europe/Berlin';
  const from = localMidnight('2026-03-28', zone);
  const to = localMidnight('2026-03-31', zone);

  it('a day is local midnight to local midnight, 23 h on the spring-forward day', () => {
    const items = [
      { at: new Date('2026-03-28T22:59:00Z'), id: 'sat 23:59 CET' },
      { at: new Date('2026-03-28T23:00:00Z'), id: 'sun 00:00 CET' },
      { at: new Date('2026-03-29T21:59:00Z'), id: 'sun 23:59 CEST' },
      { at: new Date('2026-03-29T22:00:00Z'), id: 'mon 00:00 CEST' },
    ];
    const buckets = bucketize(items, from, to, BucketSize.DAY, zone);
    expect(buckets.map((b) => [b.startDate, b.items.map((i) => i.id)])).toEqual([
      ['2026-03-28', ['sat 23:59 CET']],
      ['2026-03-29', ['sun 00:00 CET', 'sun 23:59 CEST']],
      ['2026-03-30', ['mon 00:00 CEST']],
    ]);
    expect(to.getTime() - from.getTime()).toBe(3 * day - 3600_000);
  });

  it('lists empty days so a chart can show the gap', () => {
    const buckets = bucketize([], from, to, BucketSize.DAY, zone);
    expect(buckets.map((b) => [b.startDate, b.items.length])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 0],
      ['2026-03-30', 0],
    ]);
  });

  it('weeks are ISO weeks in local time', () => {
    const items = [
      { at: new Date('2026-03-29T21:30:00Z') }, // Sunday 23:30 local: week of 03-23
      { at: new Date('2026-03-29T22:30:00Z') }, // Monday 00:30 local: week of 03-30
    ];
    const buckets = bucketize(items, from, to, BucketSize.WEEK, zone);
    expect(buckets.map((b) => [b.startDate, b.items.length])).toEqual([
      ['2026-03-23', 1],
      ['2026-03-30', 1],
    ]);
  });

  it('puts readings minutes apart in the bucket of their own local day, across both changes', () => {
    const start = localMidnight('2026-03-01', zone);
    const end = localMidnight('2026-11-01', zone);
    const items = Array.from({ length: (end.getTime() - start.getTime()) / (29 * 60_000) }, (_, i) => ({
      at: new Date(start.getTime() + i * 29 * 60_000),
    }));
    for (const size of [BucketSize.DAY, BucketSize.WEEK] as const) {
      const buckets = bucketize(items, start, end, size, zone);
      const keyOf = (at: Date) => (size === BucketSize.WEEK ? isoWeekStart(localDate(at, zone)) : localDate(at, zone));
      expect(buckets.flatMap((b) => b.items.filter((item) => keyOf(item.at) !== b.startDate))).toEqual([]);
      expect(buckets.reduce((n, b) => n + b.items.length, 0)).toBe(items.length);
    }
  });

  it('works in a second zone across the autumn change (25 h day)', () => {
    const ny = 'America/New_York';
    const nov1 = localMidnight('2026-11-01', ny);
    const nov2 = localMidnight('2026-11-02', ny);
    expect(nov2.getTime() - nov1.getTime()).toBe(25 * 3600_000);
    const buckets = bucketize([{ at: new Date('2026-11-02T04:30:00Z') }], nov1, nov2, BucketSize.DAY, ny);
    expect(buckets.map((b) => [b.startDate, b.items.length])).toEqual([['2026-11-01', 1]]);
  });
});

describe('time zones', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
