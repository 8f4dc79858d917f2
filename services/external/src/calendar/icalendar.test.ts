import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AppointmentSchema } from '@tend/proto/tend/external/v1/external';
import { describe, expect, it } from 'vitest';
import { appointmentsCalendar, escapeText, fold } from './icalendar.js';

describe('iCalendar feed', () => {
  const appointment = create(AppointmentSchema, {
    id: '7f0c2a55-8a5e-4f8e-9c59-3f1b1c0d9e01',
    title: 'Dentist; check-up, annual',
    clinician: 'Dr. Weber',
    location: 'Praxis am Park',
    startsAt: timestampFromDate(new Date('2026-07-03T13:00:00Z')),
    endsAt: timestampFromDate(new Date('2026-07-03T14:00:00Z')),
    notes: 'bring the X-ray',
  });

  it('writes a VEVENT in UTC with reminders the day before and an hour before, and leaves notes out', () => {
    const ics = appointmentsCalendar([appointment], { name: 'Tend', now: new Date('2026-07-01T08:00:00Z') });
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ics).toContain('\r\nDTSTART:20260703T130000Z\r\nDTEND:20260703T140000Z\r\n');
    expect(ics).toContain('SUMMARY:Dentist\\; check-up\\, annual');
    expect(ics).toContain('UID:7f0c2a55-8a5e-4f8e-9c59-3f1b1c0d9e01@tend');
    expect(ics.match(/TRIGGER:(-P1D|-PT1H)/g)).toEqual(['TRIGGER:-P1D', 'TRIGGER:-PT1H']);
    expect(ics).not.toContain('X-ray');
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
  });

  it('folds long lines at 75 octets without splitting a character', () => {
    const line = `SUMMARY:${'牙医预约'.repeat(10)}`;
    const folded = fold(line);
    for (const part of folded.split('\r\n')) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
    expect(folded.split('\r\n ').join('')).toBe(line);
  });

  it('escapes backslashes and newlines in text', () => {
    expect(escapeText('a\\b\nc')).toBe('a\\\\b\\nc');
  });
});
