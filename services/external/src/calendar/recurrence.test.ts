import { describe, expect, it } from 'vitest';
import {
  lastEndOf,
  occurrencesOf,
  readRule,
  recurrenceLines,
  ruleInZone,
  withoutOccurrence,
  type SeriesStart,
} from './recurrence.js';

const berlinMondays = (rrule: string, extra: Partial<SeriesStart['recurrence']> = {}): SeriesStart => ({
  // Monday 2026-10-19 09:00 Berlin (summer time, UTC+2).
  startsAt: new Date('2026-10-19T07:00:00Z'),
  endsAt: new Date('2026-10-19T07:30:00Z'),
  timeZone: 'Europe/Berlin',
  recurrence: { rrule, exdates: [], moved: [], ...extra },
});
const iso = (list: { startsAt: Date }[]) => list.map((o) => o.startsAt.toISOString());

describe('occurrencesOf', () => {
  it('keeps a weekly visit at 09:00 local across the change to winter time', () => {
    expect(iso(occurrencesOf(berlinMondays('FREQ=WEEKLY;COUNT=3'), {}, 10))).toEqual([
      '2026-10-19T07:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
      '2026-11-02T08:00:00.000Z',
    ]);
  });

  it('ends a series at a UTC UNTIL read in the series zone, including the last visit', () => {
    // 08:00Z on 2 Nov is exactly the 09:00 Berlin visit that day.
    const rrule = ruleInZone(readRule('FREQ=WEEKLY;UNTIL=20261102T080000Z'), 'Europe/Berlin');
    expect(rrule).toBe('FREQ=WEEKLY;UNTIL=20261102T090000');
    const series = berlinMondays(rrule);
    expect(iso(occurrencesOf(series, {}, 10))).toHaveLength(3);
    expect(lastEndOf(series)?.toISOString()).toBe('2026-11-02T08:30:00.000Z');
  });

  it('leaves out EXDATEs and puts a moved occurrence where it was moved to', () => {
    const series = berlinMondays('FREQ=WEEKLY;COUNT=4', {
      exdates: ['2026-10-26T09:00'],
      moved: [{ of: '2026-11-02T09:00', startsAt: '2026-11-03T14:00:00.000Z', endsAt: '2026-11-03T15:00:00.000Z' }],
    });
    expect(iso(occurrencesOf(series, {}, 10))).toEqual([
      '2026-10-19T07:00:00.000Z',
      '2026-11-03T14:00:00.000Z',
      '2026-11-09T08:00:00.000Z',
    ]);
  });

  it('gives the occurrences overlapping a window, and an endless series only up to the limit', () => {
    const daily = berlinMondays('FREQ=DAILY');
    const window = { from: new Date('2026-12-24T00:00:00Z'), to: new Date('2026-12-26T00:00:00Z') };
    expect(iso(occurrencesOf(daily, window, 10))).toEqual(['2026-12-24T08:00:00.000Z', '2026-12-25T08:00:00.000Z']);
    expect(occurrencesOf(daily, {}, 5)).toHaveLength(5);
    expect(lastEndOf(daily)).toBeUndefined();
  });

  it('repeats monthly on the 31st only in months that have one', () => {
    const series: SeriesStart = {
      startsAt: new Date('2026-01-31T09:00:00Z'),
      endsAt: new Date('2026-01-31T10:00:00Z'),
      timeZone: 'UTC',
      recurrence: { rrule: 'FREQ=MONTHLY;COUNT=3', exdates: [], moved: [] },
    };
    expect(iso(occurrencesOf(series, {}, 10))).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-03-31T09:00:00.000Z',
      '2026-05-31T09:00:00.000Z',
    ]);
  });
});

describe('recurrenceLines', () => {
  it('writes UNTIL in UTC and EXDATEs in the series zone', () => {
    const series = berlinMondays('FREQ=WEEKLY;UNTIL=20261102T090000', { exdates: ['2026-10-26T09:00'] });
    expect(recurrenceLines(series)).toEqual([
      'RRULE:FREQ=WEEKLY;UNTIL=20261102T080000Z',
      'EXDATE;TZID=Europe/Berlin:20261026T090000',
    ]);
  });
});

describe('withoutOccurrence', () => {
  it('leaves out one visit by its start, a moved one by where it was moved to, and refuses other times', () => {
    const series = berlinMondays('FREQ=WEEKLY;COUNT=3', {
      moved: [{ of: '2026-11-02T09:00', startsAt: '2026-11-03T14:00:00.000Z', endsAt: '2026-11-03T15:00:00.000Z' }],
    });
    expect(withoutOccurrence(series, new Date('2026-10-26T08:00:00Z'))?.exdates).toEqual(['2026-10-26T09:00']);
    expect(withoutOccurrence(series, new Date('2026-11-03T14:00:00Z'))).toEqual({
      rrule: 'FREQ=WEEKLY;COUNT=3',
      exdates: ['2026-11-02T09:00'],
      moved: [],
    });
    expect(withoutOccurrence(series, new Date('2026-10-26T09:00:00Z'))).toBeUndefined();
  });
});
