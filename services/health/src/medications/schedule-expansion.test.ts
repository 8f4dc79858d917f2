import { describe, expect, it } from 'vitest';
import { instantOfLocal, zoneOffsetMs } from '@tend/core';
import { expandSchedule, isScheduledDose, type ScheduleVersion } from './schedule-expansion.js';

const hour = 60 * 60 * 1000;
const day = 24 * hour;

function version(overrides: Partial<ScheduleVersion> = {}): ScheduleVersion {
  return {
    effectiveFromMs: Date.UTC(2000, 0, 1),
    times: ['08:00'],
    days: [],
    asNeeded: false,
    active: true,
    startDate: '',
    endDate: '',
    ...overrides,
  };
}

function isoTimes(versions: ScheduleVersion[], zone: string, from: string, to: string): string[] {
  return expandSchedule(versions, zone, Date.parse(from), Date.parse(to)).map((d) =>
    new Date(d.scheduledAtMs).toISOString(),
  );
}

describe('local time in a zone', () => {
  it('reads offsets across New York and Berlin transitions', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(-5 * hour);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * hour);
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(1 * hour);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Berlin')).toBe(2 * hour);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Shanghai')).toBe(8 * hour);
  });

  it('moves a time skipped by spring forward on by the gap (02:30 → 03:30)', () => {
    // New York springs forward on 2026-03-08 at 02:00 EST.
    expect(new Date(instantOfLocal({ year: 2026, month: 3, day: 8 }, 150, 'America/New_York')).toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    // Berlin springs forward on 2026-03-29 at 02:00 CET.
    expect(new Date(instantOfLocal({ year: 2026, month: 3, day: 29 }, 150, 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('gives the first occurrence of a time repeated by fall back', () => {
    // New York falls back on 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    expect(new Date(instantOfLocal({ year: 2026, month: 11, day: 1 }, 90, 'America/New_York')).toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    // Berlin falls back on 2026-10-25: 02:30 happens at 00:30Z (CEST) and 01:30Z (CET).
    expect(new Date(instantOfLocal({ year: 2026, month: 10, day: 25 }, 150, 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });
});

describe('expandSchedule', () => {
  it('a dose at 08:00 stays at 08:00 local across spring forward in New York', () => {
    const doses = expandSchedule(
      [version()],
      'America/New_York',
      Date.parse('2026-03-07T00:00:00Z'),
      Date.parse('2026-03-10T00:00:00Z'),
    );
    expect(doses.map((d) => [d.localDate, d.localTime, new Date(d.scheduledAtMs).toISOString()])).toEqual([
      ['2026-03-07', '08:00', '2026-03-07T13:00:00.000Z'],
      ['2026-03-08', '08:00', '2026-03-08T12:00:00.000Z'],
      ['2026-03-09', '08:00', '2026-03-09T12:00:00.000Z'],
    ]);
  });

  it('a dose at 08:00 stays at 08:00 local across fall back in New York', () => {
    expect(isoTimes([version()], 'America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31T12:00:00.000Z',
      '2026-11-01T13:00:00.000Z',
      '2026-11-02T13:00:00.000Z',
    ]);
  });

  it('a dose at 08:00 stays at 08:00 local across both Berlin transitions', () => {
    expect(isoTimes([version()], 'Europe/Berlin', '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      '2026-03-28T07:00:00.000Z',
      '2026-03-29T06:00:00.000Z',
      '2026-03-30T06:00:00.000Z',
    ]);
    expect(isoTimes([version()], 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      '2026-10-24T06:00:00.000Z',
      '2026-10-25T07:00:00.000Z',
      '2026-10-26T07:00:00.000Z',
    ]);
  });

  it('a 02:30 dose on a spring-forward day is due at 03:30 and shows 03:30', () => {
    const doses = expandSchedule(
      [version({ times: ['02:30'] })],
      'Europe/Berlin',
      Date.parse('2026-03-29T00:00:00Z'),
      Date.parse('2026-03-29T12:00:00Z'),
    );
    expect(doses).toEqual([
      { scheduledAtMs: Date.parse('2026-03-29T01:30:00Z'), localDate: '2026-03-29', localTime: '03:30' },
    ]);
  });

  it('02:30 and 03:30 on a spring-forward day give one dose', () => {
    expect(
      isoTimes(
        [version({ times: ['02:30', '03:30'] })],
        'Europe/Berlin',
        '2026-03-29T00:00:00Z',
        '2026-03-29T12:00:00Z',
      ),
    ).toEqual(['2026-03-29T01:30:00.000Z']);
  });

  it('a 01:30 dose on a fall-back day is due once, at the first occurrence', () => {
    expect(
      isoTimes([version({ times: ['01:30'] })], 'America/New_York', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'),
    ).toEqual(['2026-11-01T05:30:00.000Z']);
  });

  it('a zone without daylight saving keeps a fixed offset all year', () => {
    expect(
      isoTimes(
        [version({ times: ['08:00', '20:00'] })],
        'Asia/Shanghai',
        '2026-03-28T00:00:00Z',
        '2026-03-30T00:00:00Z',
      ),
    ).toEqual([
      '2026-03-28T00:00:00.000Z',
      '2026-03-28T12:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T12:00:00.000Z',
    ]);
  });

  it('keeps only the listed weekdays, by the local day', () => {
    // 2026-03-02 is a Monday. In Shanghai 07:00 Monday local is Sunday 23:00 UTC.
    const doses = expandSchedule(
      [version({ times: ['07:00'], days: [1, 3] })],
      'Asia/Shanghai',
      Date.parse('2026-03-01T00:00:00Z'),
      Date.parse('2026-03-08T00:00:00Z'),
    );
    expect(doses.map((d) => d.localDate)).toEqual(['2026-03-02', '2026-03-04']);
  });

  it('bounds doses by the start and end dates (inclusive) and the half-open period', () => {
    const doses = expandSchedule(
      [version({ startDate: '2026-05-02', endDate: '2026-05-04' })],
      'UTC',
      Date.parse('2026-05-01T00:00:00Z'),
      Date.parse('2026-05-04T08:00:00Z'),
    );
    expect(doses.map((d) => d.localDate)).toEqual(['2026-05-02', '2026-05-03']);
  });

  it('schedules nothing while inactive or as needed', () => {
    const from = Date.parse('2026-05-01T00:00:00Z');
    expect(expandSchedule([version({ active: false })], 'UTC', from, from + 3 * day)).toEqual([]);
    expect(expandSchedule([version({ times: [], asNeeded: true })], 'UTC', from, from + 3 * day)).toEqual([]);
  });

  it('a schedule change applies from its instant on; earlier doses keep the old times', () => {
    const change = Date.parse('2026-05-02T12:00:00Z');
    const versions = [version({ times: ['08:00'] }), version({ effectiveFromMs: change, times: ['09:00', '21:00'] })];
    expect(isoTimes(versions, 'UTC', '2026-05-01T00:00:00Z', '2026-05-04T00:00:00Z')).toEqual([
      '2026-05-01T08:00:00.000Z',
      '2026-05-02T08:00:00.000Z',
      '2026-05-02T21:00:00.000Z',
      '2026-05-03T09:00:00.000Z',
      '2026-05-03T21:00:00.000Z',
    ]);
  });

  it('stopping a medication keeps the doses due before the stop', () => {
    const stop = Date.parse('2026-05-02T12:00:00Z');
    const versions = [version(), version({ effectiveFromMs: stop, active: false })];
    expect(isoTimes(versions, 'UTC', '2026-05-01T00:00:00Z', '2026-05-05T00:00:00Z')).toEqual([
      '2026-05-01T08:00:00.000Z',
      '2026-05-02T08:00:00.000Z',
    ]);
  });

  it('recognizes a scheduled instant and rejects one off the schedule', () => {
    expect(isScheduledDose([version()], 'America/New_York', Date.parse('2026-03-08T12:00:00Z'))).toBe(true);
    expect(isScheduledDose([version()], 'America/New_York', Date.parse('2026-03-08T13:00:00Z'))).toBe(false);
  });
});
