import { Code, ConnectError } from '@connectrpc/connect';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { httpStatusOfError } from '@tend/core';
import { type CloudEvent } from '@tend/events';
import { databaseTargets, invalidArgumentViolations } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  personCaller,
  serviceCaller,
  startExternalHarness,
  type ExternalHarness,
} from '../testing/external-harness.js';

const ada = personCaller('3a0e2c1b-7d4f-4e21-9a6b-000000000001');
const bob = personCaller('3a0e2c1b-7d4f-4e21-9a6b-000000000002');

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

describe.each(databaseTargets())('appointments and the iCalendar feed on $kind PostgreSQL', (target) => {
  let h: ExternalHarness;
  const events: CloudEvent[] = [];
  beforeAll(async () => {
    // The feed reaches 90 days back and 400 ahead of now: now is a few weeks before the visits.
    h = await startExternalHarness(target, { clock: { now: () => new Date('2026-06-20T08:00:00Z') } });
    await h.bus.subscribe({
      topic: 'notification_queue',
      group: 'test-reminders',
      handler: async (event) => {
        events.push(event);
      },
    });
  });
  afterAll(() => h?.stop());

  async function eventually(check: () => void): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        return check();
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  it('keeps a dentist appointment in local time with its notes sealed at rest, and tells the reminder scheduler', async () => {
    const { appointment } = await h.client.createAppointment({
      caller: ada,
      title: 'Dentist',
      clinician: 'Dr. Weber',
      location: 'Praxis am Park',
      localStart: '2026-07-03T15:00',
      timeZone: 'Europe/Berlin',
      notes: 'bring the X-ray',
    });
    expect(appointment).toMatchObject({
      title: 'Dentist',
      localStart: '2026-07-03T15:00',
      localEnd: '2026-07-03T16:00',
    });
    expect(timestampDate(appointment!.startsAt!).toISOString()).toBe('2026-07-03T13:00:00.000Z');
    expect(appointment!.notes).toBe('bring the X-ray');
    const row = await h.database
      .schema<{ appointments: { id: string; notes_encrypted: string } }>(h.schema)
      .primary.selectFrom('appointments')
      .select('notes_encrypted')
      .where('id', '=', appointment!.id)
      .executeTakeFirstOrThrow();
    expect(row.notes_encrypted).not.toContain('X-ray');
    await eventually(() =>
      expect(events.find((e) => e.subject === appointment!.id)).toMatchObject({
        type: 'tend.external.appointment.scheduled',
        data: { remindAt: ['2026-07-02T13:00:00.000Z', '2026-07-03T12:00:00.000Z'] },
      }),
    );
  });

  it('refuses an appointment ending before it starts and writes nothing', async () => {
    const before = (await h.client.listAppointments({ caller: ada })).appointments.length;
    const error = await failure(
      h.client.createAppointment({
        caller: ada,
        title: 'Physio',
        localStart: '2026-07-04T10:00',
        localEnd: '2026-07-04T09:00',
        timeZone: 'Europe/Berlin',
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe('local_end: must be after local_start');
    expect((await h.client.listAppointments({ caller: ada })).appointments).toHaveLength(before);
  });

  it('holds appointments, imports and calendar connections to the contract’s lengths and writes nothing', async () => {
    const before = (await h.client.listAppointments({ caller: ada })).appointments.length;
    const visit = { caller: ada, title: 'Physio', localStart: '2026-07-04T10:00', timeZone: 'Europe/Berlin' };
    expect(
      await invalidArgumentViolations(
        h.client.createAppointment({ ...visit, title: 'x'.repeat(201), notes: 'n'.repeat(2001) }),
      ),
    ).toEqual([
      { field: 'title', message: 'must be at most 200 characters' },
      { field: 'notes', message: 'must be at most 2000 characters' },
    ]);
    const { appointment } = await h.client.createAppointment(visit);
    expect(
      await invalidArgumentViolations(
        h.client.updateAppointment({ caller: ada, appointmentId: appointment!.id, location: 'l'.repeat(301) }),
      ),
    ).toEqual([{ field: 'location', message: 'must be at most 300 characters' }]);
    expect(await invalidArgumentViolations(h.client.importAppointments({ caller: ada, ics: '' }))).toEqual([
      { field: 'ics', message: 'must be at least 1 characters' },
    ]);
    // Two million bytes in UTF-8: 700,000 three-byte characters are 2.1 MB.
    expect(
      await invalidArgumentViolations(h.client.importAppointments({ caller: ada, ics: '日'.repeat(700_000) })),
    ).toEqual([{ field: 'ics', message: 'must be at most 2000000 bytes' }]);
    expect(
      await invalidArgumentViolations(
        h.client.connectCalendar({ caller: ada, url: 'https://dav.example.test/', username: 'ada' }),
      ),
    ).toEqual([{ field: 'password', message: 'must be at least 1 characters' }]);
    expect((await h.client.listAppointments({ caller: ada })).appointments).toHaveLength(before + 1);
    await h.client.deleteAppointment({ caller: ada, appointmentId: appointment!.id });
  });

  it('moves, lists in order and cancels appointments, each change on the queue', async () => {
    const { appointment: gp } = await h.client.createAppointment({
      caller: ada,
      title: 'GP',
      localStart: '2026-07-01T09:30',
      timeZone: 'Europe/Berlin',
    });
    const { appointment: moved } = await h.client.updateAppointment({
      caller: ada,
      appointmentId: gp!.id,
      localStart: '2026-07-10T11:00',
    });
    expect(moved).toMatchObject({ localStart: '2026-07-10T11:00', localEnd: '2026-07-10T12:00', sequence: 1 });
    const first = await h.client.listAppointments({ caller: ada, page: { limit: 1, cursor: '' } });
    expect(first.appointments.map((a) => a.title)).toEqual(['Dentist']);
    const second = await h.client.listAppointments({ caller: ada, page: { limit: 1, cursor: first.page!.nextCursor } });
    expect(second.appointments.map((a) => a.title)).toEqual(['GP']);
    const { events: calendar } = await h.client.listCalendarEvents({ caller: ada });
    expect(calendar.map((e) => e.title)).toEqual(['Dentist (Dr. Weber)', 'GP']);
    await h.client.deleteAppointment({ caller: ada, appointmentId: gp!.id });
    expect((await failure(h.client.getAppointment({ caller: ada, appointmentId: gp!.id }))).code).toBe(Code.NotFound);
    await eventually(() =>
      expect(events.filter((e) => e.subject === gp!.id).map((e) => e.type)).toEqual([
        'tend.external.appointment.scheduled',
        'tend.external.appointment.changed',
        'tend.external.appointment.cancelled',
      ]),
    );
  });

  it("hides one person's appointments from another but lets an internal service read them", async () => {
    const { appointments } = await h.client.listAppointments({ caller: ada });
    const id = appointments[0]!.id;
    expect((await failure(h.client.getAppointment({ caller: bob, appointmentId: id }))).code).toBe(Code.NotFound);
    expect((await failure(h.client.deleteAppointment({ caller: bob, appointmentId: id }))).code).toBe(Code.NotFound);
    expect((await failure(h.client.listAppointments({ caller: bob, userId: ada.userId }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await h.client.getAppointment({ caller: serviceCaller(), appointmentId: id })).appointment!.title).toBe(
      'Dentist',
    );
  });

  it('serves the feed behind a secret token that rotation and revocation cut off, as gone for good', async () => {
    const { token } = await h.client.rotateCalendarFeed({ caller: ada });
    const { ics } = await h.client.getCalendarFeed({ token });
    expect(ics).toContain('SUMMARY:Dentist');
    expect(ics).toContain('DTSTART:20260703T130000Z');
    const { token: rotated } = await h.client.rotateCalendarFeed({ caller: ada });
    const replaced = await failure(h.client.getCalendarFeed({ token }));
    expect(replaced.code).toBe(Code.NotFound);
    expect(httpStatusOfError(replaced)).toBe(410);
    expect((await h.client.getCalendarFeed({ token: rotated })).ics).toContain('SUMMARY:Dentist');
    await h.client.revokeCalendarFeed({ caller: ada });
    expect(httpStatusOfError(await failure(h.client.getCalendarFeed({ token: rotated })))).toBe(410);
    // A token never handed out is not found, and says nothing of having existed.
    const unknown = await failure(h.client.getCalendarFeed({ token: 'A'.repeat(43) }));
    expect(unknown.code).toBe(Code.NotFound);
    expect(httpStatusOfError(unknown)).toBe(404);
    expect((await failure(h.client.getCalendarFeed({ token: 'short' }))).code).toBe(Code.InvalidArgument);
  });
});
