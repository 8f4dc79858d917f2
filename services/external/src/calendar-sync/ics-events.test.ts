import { describe, expect, it } from 'vitest';
import { MalformedCalendarError, appointmentIdOfUid, parseCalendar, uidOf } from './ics-events.js';

const file = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', ...events.flat(), 'END:VCALENDAR', ''].join('\r\n');

describe('parseCalendar', () => {
  it('reads a TZID time in its zone, a UTC time as is and a floating time in the given zone', () => {
    const { events, skipped } = parseCalendar(
      file(
        [
          'BEGIN:VEVENT',
          'UID:a',
          'DTSTART;TZID=Europe/Berlin:20260703T150000',
          'DTEND;TZID=Europe/Berlin:20260703T153000',
          'SUMMARY:Dentist',
          'LOCATION:Main St 1',
          'END:VEVENT',
        ],
        [
          'BEGIN:VEVENT',
          'UID:b',
          'DTSTART:20260704T080000Z',
          'DURATION:PT45M',
          'SUMMARY:GP',
          'DESCRIPTION:With Dr. Weber',
          'END:VEVENT',
        ],
        ['BEGIN:VEVENT', 'UID:c', 'DTSTART:20260705T090000', 'SUMMARY:Physio', 'END:VEVENT'],
      ),
      'America/New_York',
    );
    expect(skipped).toBe(0);
    expect(
      events.map((e) => [e.uid, e.fields.startsAt.toISOString(), e.fields.endsAt.toISOString(), e.fields.timeZone]),
    ).toEqual([
      ['a', '2026-07-03T13:00:00.000Z', '2026-07-03T13:30:00.000Z', 'Europe/Berlin'],
      ['b', '2026-07-04T08:00:00.000Z', '2026-07-04T08:45:00.000Z', 'America/New_York'],
      ['c', '2026-07-05T13:00:00.000Z', '2026-07-05T14:00:00.000Z', 'America/New_York'],
    ]);
    expect(events[0]!.fields).toMatchObject({ title: 'Dentist', location: 'Main St 1', clinician: '' });
    expect(events[1]!.fields.clinician).toBe('Dr. Weber');
  });

  it('refuses text that is not iCalendar, saying why', () => {
    expect(() => parseCalendar('hello, this is not a calendar', 'UTC')).toThrow(MalformedCalendarError);
  });

  it('names every event whose end is before its start or that has no UID', () => {
    const error = (() => {
      try {
        parseCalendar(
          file(
            [
              'BEGIN:VEVENT',
              'UID:x',
              'DTSTART:20260703T150000Z',
              'DTEND:20260703T140000Z',
              'SUMMARY:Backwards',
              'END:VEVENT',
            ],
            ['BEGIN:VEVENT', 'DTSTART:20260703T150000Z', 'SUMMARY:No uid', 'END:VEVENT'],
          ),
          'UTC',
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MalformedCalendarError);
    expect((error as MalformedCalendarError).problems).toEqual([
      'event 1 (x): DTEND is before DTSTART',
      'event 2 has no UID',
    ]);
  });

  it('finds the appointment id again in a UID Tend wrote', () => {
    const id = '3a0e2c1b-7d4f-4e21-9a6b-000000000001';
    expect(appointmentIdOfUid(uidOf(id))).toBe(id);
    expect(appointmentIdOfUid('abc@example.com')).toBeUndefined();
  });
});

describe('parseCalendar with recurring series', () => {
  it('keeps a series with its rule, EXDATEs and a moved occurrence as one appointment', () => {
    const { events, skipped } = parseCalendar(
      file(
        [
          'BEGIN:VEVENT',
          'UID:physio',
          'SEQUENCE:2',
          'DTSTART;TZID=Europe/Berlin:20261019T090000',
          'DTEND;TZID=Europe/Berlin:20261019T093000',
          'RRULE:FREQ=WEEKLY;UNTIL=20261109T080000Z',
          'EXDATE;TZID=Europe/Berlin:20261026T090000',
          'SUMMARY:Physio',
          'END:VEVENT',
        ],
        [
          'BEGIN:VEVENT',
          'UID:physio',
          'SEQUENCE:3',
          'RECURRENCE-ID:20261102T080000Z',
          'DTSTART;TZID=Europe/Berlin:20261103T150000',
          'DTEND;TZID=Europe/Berlin:20261103T153000',
          'SUMMARY:Physio',
          'END:VEVENT',
        ],
      ),
      'UTC',
    );
    expect(skipped).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.sequence).toBe(3);
    expect(events[0]!.fields.recurrence).toEqual({
      rrule: 'FREQ=WEEKLY;UNTIL=20261109T090000',
      exdates: ['2026-10-26T09:00'],
      moved: [{ of: '2026-11-02T09:00', startsAt: '2026-11-03T14:00:00.000Z', endsAt: '2026-11-03T14:30:00.000Z' }],
    });
  });

  it('counts a moved occurrence whose series is not in the file, and refuses a broken RRULE', () => {
    const orphan = parseCalendar(
      file([
        'BEGIN:VEVENT',
        'UID:o',
        'RECURRENCE-ID:20261102T080000Z',
        'DTSTART:20261103T140000Z',
        'SUMMARY:x',
        'END:VEVENT',
      ]),
      'UTC',
    );
    expect(orphan).toEqual({ events: [], skipped: 1 });
    expect(() =>
      parseCalendar(
        file(['BEGIN:VEVENT', 'UID:r', 'DTSTART:20260703T150000Z', 'RRULE:COUNT=3', 'SUMMARY:x', 'END:VEVENT']),
        'UTC',
      ),
    ).toThrow(/event 1 \(r\): RRULE ".*" is not a recurrence rule/);
  });

  it('reads SEQUENCE and LAST-MODIFIED, and refuses one UID given twice', () => {
    const { events } = parseCalendar(
      file([
        'BEGIN:VEVENT',
        'UID:v',
        'SEQUENCE:4',
        'LAST-MODIFIED:20260601T100000Z',
        'DTSTART:20260703T150000Z',
        'SUMMARY:x',
        'END:VEVENT',
      ]),
      'UTC',
    );
    expect(events[0]).toMatchObject({ sequence: 4, lastModified: new Date('2026-06-01T10:00:00Z') });
    const twice = ['BEGIN:VEVENT', 'UID:d', 'DTSTART:20260703T150000Z', 'SUMMARY:x', 'END:VEVENT'];
    expect(() => parseCalendar(file(twice, twice), 'UTC')).toThrow(/event 2 \(d\): UID is also event 1's/);
  });
});
