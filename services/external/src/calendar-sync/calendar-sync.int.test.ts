import { Code, ConnectError } from '@connectrpc/connect';
import { databaseTargets, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCalendar, calDavServerOf, eventObject, startGarbageCalDav } from '../testing/caldav-fixtures.js';
import type { ExternalTables } from '../db/tables.js';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

const server = calDavServerOf();
const ada = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000a1');
const bob = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000b2');

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

const fields = (error: ConnectError) => error.rawMessage;

describe.runIf(requireInfra('Radicale (TEST_CALDAV_URL)', server)).each(databaseTargets())(
  'CalDAV two-way sync with Radicale on $kind PostgreSQL',
  (target) => {
    let h: ExternalHarness;
    let calendar: TestCalendar;
    const titles = async (caller = ada) =>
      (await h.client.listAppointments({ caller })).appointments.map((a) => a.title).sort();

    beforeAll(async () => {
      h = await startExternalHarness(target, { clock: { now: () => new Date() } });
      calendar = await TestCalendar.create(server!);
    });
    afterAll(() => h?.stop());

    it('refuses a wrong password, a non-URL and a server that is not CalDAV, naming the field', async () => {
      const wrong = await failure(
        h.client.connectCalendar({ caller: ada, url: calendar.url, username: server!.username, password: 'nope' }),
      );
      expect(wrong.code).toBe(Code.InvalidArgument);
      expect(fields(wrong)).toMatch(/password/);
      // The contract's field rules answer first, naming every empty field; the URL's form is
      // the handler's, checked once they hold.
      const empty = await failure(
        h.client.connectCalendar({ caller: ada, url: 'calendar', username: '', password: '' }),
      );
      expect(empty.code).toBe(Code.InvalidArgument);
      expect(fields(empty)).toMatch(/username/);
      expect(fields(empty)).toMatch(/password/);
      const notUrl = await failure(
        h.client.connectCalendar({ caller: ada, url: 'calendar', username: 'a', password: 'b' }),
      );
      expect(notUrl.code).toBe(Code.InvalidArgument);
      expect(fields(notUrl)).toMatch(/url/);
      const notDav = await failure(
        h.client.connectCalendar({ caller: ada, url: 'http://127.0.0.1:1/', username: 'a', password: 'b' }),
      );
      expect(notDav.code).toBe(Code.InvalidArgument);
      expect(fields(notDav)).toMatch(/url/);
      expect((await failure(h.client.getCalendarSync({ caller: ada }))).code).toBe(Code.NotFound);
    });

    it('sends Tend appointments to the calendar and brings the calendar events in', async () => {
      await h.client.createAppointment({
        caller: ada,
        title: 'Dentist',
        localStart: '2026-09-03T15:00',
        timeZone: 'Europe/Berlin',
      });
      await calendar.put(
        'phone-1.ics',
        eventObject({
          uid: 'phone-1',
          summary: 'GP check-up',
          start: '20260904T090000',
          end: '20260904T093000',
          tzid: 'Europe/Berlin',
        }),
      );
      const { sync } = await h.client.connectCalendar({
        caller: ada,
        url: calendar.url,
        username: server!.username,
        password: server!.password,
      });
      expect(sync?.calendarUrl).toBe(calendar.url);
      const first = await h.client.syncCalendar({ caller: ada });
      expect(first.counts).toMatchObject({ exported: 1, imported: 1, conflicts: 0 });
      expect(first.sync?.linked).toBe(2);
      expect(await titles()).toEqual(['Dentist', 'GP check-up']);
      const gp = (await h.client.listAppointments({ caller: ada })).appointments.find(
        (a) => a.title === 'GP check-up',
      )!;
      expect([gp.localStart, gp.localEnd, gp.timeZone]).toEqual([
        '2026-09-04T09:00',
        '2026-09-04T09:30',
        'Europe/Berlin',
      ]);
      const there = [...(await calendar.objects()).values()].join('\n');
      expect(there).toMatch(/SUMMARY:Dentist/);
      // Nothing changed: a second sync moves nothing.
      const again = await h.client.syncCalendar({ caller: ada });
      expect(again.counts).toMatchObject({ exported: 0, imported: 0, updatedHere: 0, updatedThere: 0 });
      // The password is stored sealed, and never comes back.
      expect(Object.keys(again.sync!)).not.toContain('password');
      const stored = await h.database
        .schema<ExternalTables>(h.schema)
        .primary.selectFrom('calendar_connections')
        .select('password_encrypted')
        .executeTakeFirstOrThrow();
      // Sealed for this person's connection (`~` marks a value bound to its row).
      expect(stored.password_encrypted).toMatch(/^~k1:[\w-]+:[\w-]+$/);
    });

    it('copies a change on either side to the other', async () => {
      await calendar.put(
        'phone-1.ics',
        eventObject({
          uid: 'phone-1',
          summary: 'GP follow-up',
          start: '20260904T100000',
          end: '20260904T103000',
          tzid: 'Europe/Berlin',
        }),
      );
      const dentist = (await h.client.listAppointments({ caller: ada })).appointments.find(
        (a) => a.title === 'Dentist',
      )!;
      await h.client.updateAppointment({ caller: ada, appointmentId: dentist.id, title: 'Dentist (cleaning)' });
      const { counts } = await h.client.syncCalendar({ caller: ada });
      expect(counts).toMatchObject({ updatedHere: 1, updatedThere: 1, conflicts: 0 });
      expect(await titles()).toEqual(['Dentist (cleaning)', 'GP follow-up']);
      expect((await calendar.objects()).get(`${dentist.id}.ics`)).toMatch(/SUMMARY:Dentist \(cleaning\)/);
    });

    it('lets the calendar win when both sides changed, and counts the conflict', async () => {
      const gp = (await h.client.listAppointments({ caller: ada })).appointments.find(
        (a) => a.title === 'GP follow-up',
      )!;
      await h.client.updateAppointment({ caller: ada, appointmentId: gp.id, title: 'GP (Tend)' });
      await calendar.put(
        'phone-1.ics',
        eventObject({
          uid: 'phone-1',
          summary: 'GP (phone)',
          start: '20260904T100000',
          end: '20260904T103000',
          tzid: 'Europe/Berlin',
        }),
      );
      const { counts } = await h.client.syncCalendar({ caller: ada });
      expect(counts).toMatchObject({ updatedHere: 1, conflicts: 1, updatedThere: 0 });
      expect(await titles()).toEqual(['Dentist (cleaning)', 'GP (phone)']);
      expect((await calendar.objects()).get('phone-1.ics')).toMatch(/SUMMARY:GP \(phone\)/);
    });

    it('deletes both ways', async () => {
      const dentist = (await h.client.listAppointments({ caller: ada })).appointments.find((a) =>
        a.title.startsWith('Dentist'),
      )!;
      await h.client.deleteAppointment({ caller: ada, appointmentId: dentist.id });
      await calendar.remove('phone-1.ics');
      const { counts, sync } = await h.client.syncCalendar({ caller: ada });
      expect(counts).toMatchObject({ deletedHere: 1, deletedThere: 1 });
      expect(sync?.linked).toBe(0);
      expect(await titles()).toEqual([]);
      expect([...(await calendar.objects()).keys()]).toEqual([]);
    });

    it('changes nothing on either side when the server answers garbage, and says why', async () => {
      const garbage = await startGarbageCalDav('<html>this is not a multistatus</html><<<');
      try {
        await h.client.createAppointment({ caller: bob, title: 'Eye test', localStart: '2026-10-01T10:00' });
        await h.client.connectCalendar({ caller: bob, url: garbage.url, username: 'bob', password: 'pw' });
        const error = await failure(h.client.syncCalendar({ caller: bob }));
        expect(error.code).toBe(Code.Unavailable);
        expect(error.rawMessage).toMatch(/calendar/);
        const { sync } = await h.client.getCalendarSync({ caller: bob });
        expect(sync?.lastError).not.toBe('');
        expect(sync?.lastSyncedAt).toBeUndefined();
        expect(sync?.linked).toBe(0);
        expect(await titles(bob)).toEqual(['Eye test']);
      } finally {
        await garbage.stop();
      }
    });

    it('forgets the connection on disconnect and keeps the appointments', async () => {
      await h.client.disconnectCalendar({ caller: bob });
      expect((await failure(h.client.getCalendarSync({ caller: bob }))).code).toBe(Code.NotFound);
      expect((await failure(h.client.syncCalendar({ caller: bob }))).code).toBe(Code.NotFound);
      expect(await titles(bob)).toEqual(['Eye test']);
    });
  },
);
