import { describe, expect, it } from 'vitest';
import {
  defaultPreferences,
  deliveryPlanFor,
  inQuietHours,
  quietHoursEnd,
  validatePreferences,
} from './preference-rules.js';

describe('preference rules', () => {
  it('reads quiet hours that cross midnight in the person’s zone', () => {
    const quiet = { start: '22:00', end: '07:00' };
    // 23:30 and 06:59 in Berlin (CEST, UTC+2) are quiet; 07:00 is not.
    expect(inQuietHours(new Date('2026-06-01T21:30:00Z'), quiet, 'Europe/Berlin')).toBe(true);
    expect(inQuietHours(new Date('2026-06-02T04:59:00Z'), quiet, 'Europe/Berlin')).toBe(true);
    expect(inQuietHours(new Date('2026-06-02T05:00:00Z'), quiet, 'Europe/Berlin')).toBe(false);
    expect(inQuietHours(new Date('2026-06-01T12:00:00Z'), { start: '13:00', end: '15:00' }, 'Europe/Berlin')).toBe(
      true,
    );
  });

  it('delays push and SMS in quiet hours until they end, but never an emergency or an urgent reading', () => {
    const preferences = { ...defaultPreferences(), quietHours: { start: '22:00', end: '07:00' } };
    const night = new Date('2026-06-01T23:00:00Z');
    expect(deliveryPlanFor('dose_reminder', preferences, night, 'UTC')).toEqual({
      channels: ['in_app', 'push'],
      holdUntil: new Date('2026-06-02T07:00:00Z'),
    });
    expect(deliveryPlanFor('emergency', preferences, night, 'UTC')).toEqual({
      channels: ['in_app', 'push', 'sms', 'email'],
    });
    expect(deliveryPlanFor('urgent_reading', preferences, night, 'UTC').holdUntil).toBeUndefined();
    // An advisory waits like a reminder, unless its sender marks it urgent (a danger).
    expect(deliveryPlanFor('health_advisory', preferences, night, 'UTC').holdUntil).toEqual(
      new Date('2026-06-02T07:00:00Z'),
    );
    expect(deliveryPlanFor('health_advisory', preferences, night, 'UTC', true).holdUntil).toBeUndefined();
    expect(deliveryPlanFor('dose_reminder', preferences, new Date('2026-06-01T12:00:00Z'), 'UTC')).toEqual({
      channels: ['in_app', 'push'],
    });
  });

  it('ends quiet hours at the local end time, the same night or the next morning, across DST', () => {
    const quiet = { start: '22:00', end: '07:00' };
    // 23:30 Berlin (CEST) ends at 07:00 the next day; 05:00 ends at 07:00 the same day.
    expect(quietHoursEnd(new Date('2026-06-01T21:30:00Z'), quiet, 'Europe/Berlin')).toEqual(
      new Date('2026-06-02T05:00:00Z'),
    );
    expect(quietHoursEnd(new Date('2026-06-02T03:00:00Z'), quiet, 'Europe/Berlin')).toEqual(
      new Date('2026-06-02T05:00:00Z'),
    );
    // The night clocks go back (25 October 2026): 07:00 CET is 06:00 UTC.
    expect(quietHoursEnd(new Date('2026-10-24T21:00:00Z'), quiet, 'Europe/Berlin')).toEqual(
      new Date('2026-10-25T06:00:00Z'),
    );
    expect(quietHoursEnd(new Date('2026-06-01T11:00:00Z'), { start: '13:00', end: '15:00' }, 'UTC')).toEqual(
      new Date('2026-06-01T15:00:00Z'),
    );
  });

  it('refuses quiet hours that start and end at the same time, naming the field', () => {
    expect(() =>
      validatePreferences({ ...defaultPreferences(), quietHours: { start: '08:00', end: '08:00' } }),
    ).toThrow(/preferences\.quietHours\.end/);
    expect(() =>
      validatePreferences({ ...defaultPreferences(), quietHours: { start: '25:00', end: '08:00' } }),
    ).toThrow(/preferences\.quietHours\.start/);
  });

  it('refuses an unknown time zone and an emergency kept out of the inbox', () => {
    expect(() => validatePreferences({ ...defaultPreferences(), timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
    const preferences = defaultPreferences();
    preferences.channels.emergency = ['sms'];
    expect(() => validatePreferences(preferences)).toThrow(/preferences\.channels\.emergency/);
  });
});
