import { inProcessTransport } from '@tend/testing';
import { insertTestUser } from '@tend/health/testing';
import { startNotificationHarness, type NotificationHarness } from '@tend/notification/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

describe('appointment reminders through the notification service', () => {
  let now = new Date('2026-07-02T12:00:00Z');
  const clock = { now: () => now };
  let notification: NotificationHarness;
  let h: ExternalHarness;
  let person = '';
  beforeAll(async () => {
    notification = await startNotificationHarness({ kind: 'embedded' }, { clock });
    person = await insertTestUser(notification.health.context, { timeZone: 'Europe/Berlin' });
    h = await startExternalHarness(
      { kind: 'embedded' },
      {
        clock,
        notification: inProcessTransport((router) => notification.notification.module.routes(router)),
      },
    );
  });
  afterAll(async () => {
    await h?.stop();
    await notification?.stop();
  });

  async function inbox(): Promise<string[]> {
    const { notifications } = await notification.notification.client.listNotifications({
      caller: create(CallerSchema, { userId: person, role: Role.USER }),
    });
    return notifications.map((n) => n.title);
  }

  it('reminds the day before and an hour before, once each, and again after a move', async () => {
    const { appointment } = await h.client.createAppointment({
      caller: personCaller(person),
      title: 'Dentist',
      localStart: '2026-07-03T15:00', // 13:00 UTC
      timeZone: 'Europe/Berlin',
    });
    now = new Date('2026-07-02T13:05:00Z');
    expect(await h.reminders!.tick()).toBe(1);
    expect(await h.reminders!.tick()).toBe(0);
    now = new Date('2026-07-03T12:10:00Z');
    expect(await h.reminders!.tick()).toBe(1);
    expect((await inbox()).sort()).toEqual(['In an hour: Dentist', 'Tomorrow: Dentist']);

    // Moved to the next day: its new version is reminded at its new times.
    await h.client.updateAppointment({
      caller: personCaller(person),
      appointmentId: appointment!.id,
      localStart: '2026-07-04T14:00',
    });
    expect(await h.reminders!.tick()).toBe(1);
    expect((await inbox()).filter((t) => t === 'Tomorrow: Dentist')).toHaveLength(2);
  });

  it('sends no "tomorrow" reminder for an appointment made an hour before it', async () => {
    now = new Date('2026-07-10T08:00:00Z');
    await h.client.createAppointment({
      caller: personCaller(person),
      title: 'Physio',
      localStart: '2026-07-10T10:50', // 08:50 UTC: 50 minutes away
      timeZone: 'Europe/Berlin',
    });
    expect(await h.reminders!.tick()).toBe(1);
    expect((await inbox()).filter((t) => t.endsWith('Physio'))).toEqual(['In an hour: Physio']);
  });

  it('reminds before each visit of a recurring series, once each', async () => {
    now = new Date('2026-07-18T12:00:00Z');
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Clinic//EN',
      'BEGIN:VEVENT',
      'UID:dialysis',
      'DTSTART;TZID=Europe/Berlin:20260720T090000',
      'DTEND;TZID=Europe/Berlin:20260720T120000',
      'RRULE:FREQ=DAILY;COUNT=3',
      'SUMMARY:Dialysis',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    await h.client.importAppointments({ caller: personCaller(person), ics });
    now = new Date('2026-07-19T07:05:00Z'); // a day before the first visit (07:00 UTC)
    expect(await h.reminders!.tick()).toBe(1);
    expect(await h.reminders!.tick()).toBe(0);
    now = new Date('2026-07-20T06:05:00Z'); // an hour before the first
    expect(await h.reminders!.tick()).toBe(1);
    now = new Date('2026-07-20T07:05:00Z'); // a day before the second
    expect(await h.reminders!.tick()).toBe(1);
    const dialysis = (await inbox()).filter((t) => t.endsWith('Dialysis')).sort();
    expect(dialysis).toEqual(['In an hour: Dialysis', 'Tomorrow: Dialysis', 'Tomorrow: Dialysis']);
  });
});
