import { describe, expect, it } from 'vitest';
import { channelsFor, defaultPreferences, inQuietHours, validatePreferences } from './preference-rules.js';

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

  it('holds back push and SMS in quiet hours, but never for an emergency', () => {
    const preferences = { ...defaultPreferences(), quietHours: { start: '22:00', end: '07:00' } };
    const night = new Date('2026-06-01T23:00:00Z');
    expect(channelsFor('dose_reminder', preferences, night, 'UTC')).toEqual(['in_app']);
    expect(channelsFor('emergency', preferences, night, 'UTC')).toEqual(['in_app', 'push', 'sms', 'email']);
    expect(channelsFor('dose_reminder', preferences, new Date('2026-06-01T12:00:00Z'), 'UTC')).toEqual([
      'in_app',
      'push',
    ]);
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
