import { describe, expect, it } from 'vitest';
import { addDays, formatLocalDate, instantOfLocal, localDateFormatter, localDateOf } from './local-time.js';

const minute = 60_000;
const day = 86_400_000;

/** The date Intl gives one instant: what the formatter must match. */
const intlDate = (instantMs: number, zone: string) => formatLocalDate(localDateOf(instantMs, zone));

/** Instants the formatter dates differently from Intl, with both answers. */
function mismatches(instants: readonly number[], zone: string): string[] {
  const dateOf = localDateFormatter(zone);
  return instants.flatMap((t) => {
    const [got, want] = [dateOf(t), intlDate(t, zone)];
    return got === want ? [] : [`${new Date(t).toISOString()} in ${zone}: ${got}, not ${want}`];
  });
}

/** Every `stepMs` over [fromIso, toIso). */
function every(stepMs: number, fromIso: string, toIso: string): number[] {
  const instants: number[] = [];
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += stepMs) instants.push(t);
  return instants;
}

describe('local dates of many instants', () => {
  // Zones whose clocks change in awkward ways: by 30 minutes (Lord Howe), at midnight so a day
  // starts at 01:00 or runs twice through 23:00 (Santiago, Havana), and not at all (Tokyo).
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'America/Santiago',
    'America/Havana',
    'Asia/Tokyo',
  ];

  it.each(zones)('a year of readings minutes apart get the dates Intl gives them in %s', (zone) => {
    expect(mismatches(every(37 * minute + 1, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'), zone)).toEqual([]);
  });

  it.each(zones)('the last instant before and the first at every local midnight of a year in %s', (zone) => {
    const instants: number[] = [];
    for (let date = { year: 2026, month: 1, day: 1 }; date.year === 2026; date = addDays(date, 1)) {
      const midnight = instantOfLocal(date, 0, zone);
      instants.push(midnight - 1, midnight);
    }
    expect(mismatches(instants, zone)).toEqual([]);
  });

  it('a day the zone skipped whole (Samoa, 30 December 2011)', () => {
    const instants = every(5 * minute, '2011-12-28T00:00:00Z', '2012-01-02T00:00:00Z');
    expect(mismatches(instants, 'Pacific/Apia')).toEqual([]);
    expect(new Set(instants.map(localDateFormatter('Pacific/Apia')))).not.toContain('2011-12-30');
  });

  it('instants out of order, days apart, and offsets of odd seconds (Amsterdam before 1937)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const instants = Array.from({ length: 2000 }, () => Date.UTC(1900, 0, 1) + Math.floor(random() * 160 * 365 * day));
    for (const zone of ['Europe/Amsterdam', 'Africa/Monrovia', 'Europe/Berlin', 'America/Santiago']) {
      expect(mismatches(instants, zone)).toEqual([]);
    }
  });

  it('runs of readings that go back in time', () => {
    const instants = every(7 * minute, '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z').reverse();
    expect(mismatches(instants, 'Europe/Berlin')).toEqual([]);
  });
});
