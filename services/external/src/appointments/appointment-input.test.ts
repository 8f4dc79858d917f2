import { ValidationError } from '@tend/core';
import { describe, expect, it } from 'vitest';
import { checkAppointment, type AppointmentDraft } from './appointment-input.js';

const draft: AppointmentDraft = {
  title: 'Dentist',
  clinician: 'Dr. Weber',
  location: 'Praxis am Park',
  localStart: '2026-03-29T02:30',
  localEnd: '',
  timeZone: 'Europe/Berlin',
  notes: '',
};

function violationsOf(input: AppointmentDraft): string[] {
  try {
    checkAppointment(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.violations.map((v) => `${v.field}: ${v.message}`);
    throw error;
  }
  return [];
}

describe('appointment input', () => {
  it('reads local times in the given zone and lasts an hour by default', () => {
    const fields = checkAppointment({ ...draft, localStart: '2026-07-03T15:00' });
    expect(fields.startsAt.toISOString()).toBe('2026-07-03T13:00:00.000Z');
    expect(fields.endsAt.toISOString()).toBe('2026-07-03T14:00:00.000Z');
  });

  it('moves a time skipped by the spring-forward change forward by the gap', () => {
    // Berlin skips 02:00–03:00 on 29 March 2026: 02:30 does not exist, 03:30 CEST does.
    expect(checkAppointment(draft).startsAt.toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('refuses an appointment ending before it starts, naming the field', () => {
    expect(violationsOf({ ...draft, localStart: '2026-07-03T15:00', localEnd: '2026-07-03T14:00' })).toEqual([
      'local_end: must be after local_start',
    ]);
  });

  it('names every bad field at once', () => {
    expect(violationsOf({ ...draft, title: ' ', localStart: '3 pm Friday', timeZone: 'Mars/Olympus' })).toEqual([
      'title: is required',
      'time_zone: "Mars/Olympus" is not an IANA time zone',
    ]);
    expect(violationsOf({ ...draft, localStart: '2026-02-30T10:00' })).toEqual([
      'local_start: must be a local time as YYYY-MM-DDTHH:MM',
    ]);
  });
});
