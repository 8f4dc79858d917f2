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

  it('leaves recurring series out and counts them', () => {
    const { events, skipped } = parseCalendar(
      file(['BEGIN:VEVENT', 'UID:r', 'DTSTART:20260703T150000Z', 'RRULE:FREQ=WEEKLY', 'SUMMARY:Weekly', 'END:VEVENT']),
      'UTC',
    );
    expect(events).toEqual([]);
    expect(skipped).toBe(1);
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
