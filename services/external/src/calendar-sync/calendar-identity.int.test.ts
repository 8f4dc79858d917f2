import { Code, ConnectError } from '@connectrpc/connect';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { databaseTargets, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TestCalendar,
  calDavServerOf,
  eventObject,
  startGatedCalDavProxy,
  type GatedCalDavProxy,
} from '../testing/caldav-fixtures.js';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

const server = calDavServerOf();

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

const file = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Clinic//EN', ...events.flat(), 'END:VCALENDAR', ''].join('\r\n');
const visit = (uid: string, summary: string, extra: string[] = []) => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  'DTSTART;TZID=Europe/Berlin:20261005T100000',
  'DTEND;TZID=Europe/Berlin:20261005T103000',
  `SUMMARY:${summary}`,
  ...extra,
  'END:VEVENT',
];
/** Physio every Monday 09:00 Berlin from 19 Oct (summer time) for 5 weeks; 26 Oct left out; 2 Nov moved. */
const physioSeries = file(
  [
    'BEGIN:VEVENT',
    'UID:physio-series',
    'DTSTART;TZID=Europe/Berlin:20261019T090000',
    'DTEND;TZID=Europe/Berlin:20261019T093000',
    'RRULE:FREQ=WEEKLY;COUNT=5',
    'EXDATE;TZID=Europe/Berlin:20261026T090000',
    'SUMMARY:Physio',
    'END:VEVENT',
  ],
  [
    'BEGIN:VEVENT',
    'UID:physio-series',
    'RECURRENCE-ID;TZID=Europe/Berlin:20261102T090000',
    'DTSTART;TZID=Europe/Berlin:20261103T160000',
    'DTEND;TZID=Europe/Berlin:20261103T163000',
    'SUMMARY:Physio',
    'END:VEVENT',
  ],
);
const window = {
  from: timestampFromDate(new Date('2026-10-01T00:00:00Z')),
  to: timestampFromDate(new Date('2026-12-01T00:00:00Z')),
};

describe.each(databaseTargets())('calendar events keep their identity on $kind PostgreSQL', (target) => {
  let h: ExternalHarness;
  const ann = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000c1');
  const all = async (caller = ann) => (await h.client.listAppointments({ caller })).appointments;

  beforeAll(async () => {
    h = await startExternalHarness(target, { clock: { now: () => new Date() } });
  });
  afterAll(() => h?.stop());

  it('imports a file twice without adding anything the second time', async () => {
    const ics = file(visit('clinic-1', 'Dentist'), visit('clinic-2', 'GP'));
    const first = await h.client.importAppointments({ caller: ann, ics, timeZone: 'Europe/Berlin' });
    expect([first.created, first.updated, first.unchanged]).toEqual([2, 0, 0]);
    const second = await h.client.importAppointments({ caller: ann, ics, timeZone: 'Europe/Berlin' });
    expect([second.created, second.updated, second.unchanged]).toEqual([0, 0, 2]);
    expect((await all()).map((a) => [a.title, a.uid]).sort()).toEqual([
      ['Dentist', 'clinic-1'],
      ['GP', 'clinic-2'],
    ]);
  });

  it('updates the appointment with a newer SEQUENCE or LAST-MODIFIED and ignores an older copy', async () => {
    const newer = file(visit('clinic-1', 'Dentist (moved)', ['SEQUENCE:2']));
    expect((await h.client.importAppointments({ caller: ann, ics: newer })).updated).toBe(1);
    const older = file(visit('clinic-1', 'Dentist (old)', ['SEQUENCE:1']));
    expect((await h.client.importAppointments({ caller: ann, ics: older })).unchanged).toBe(1);
    const touched = file(visit('clinic-1', 'Dentist (touched)', ['SEQUENCE:2', 'LAST-MODIFIED:20260901T080000Z']));
    expect((await h.client.importAppointments({ caller: ann, ics: touched })).updated).toBe(1);
    expect((await all()).map((a) => a.title).sort()).toEqual(['Dentist (touched)', 'GP']);
  });

  it('finds an appointment made in Tend again by the UID its feed gave it', async () => {
    const bea = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000c2');
    const { appointment } = await h.client.createAppointment({
      caller: bea,
      title: 'Eye test',
      localStart: '2026-10-07T11:00',
      timeZone: 'Europe/Berlin',
    });
    const back = file(visit(`${appointment!.id}@tend`, 'Eye test (moved)', ['SEQUENCE:1']));
    const result = await h.client.importAppointments({ caller: bea, ics: back });
    expect([result.created, result.updated]).toEqual([0, 1]);
    expect((await all(bea)).map((a) => [a.id, a.title, a.uid])).toEqual([[appointment!.id, 'Eye test (moved)', '']]);
  });

  it('refuses a file with one bad event as a whole, naming the problem, and writes nothing', async () => {
    const before = await all();
    const bad = file(visit('clinic-9', 'New one'), [
      'BEGIN:VEVENT',
      'UID:clinic-10',
      'DTSTART:20261005T100000Z',
      'DTEND:20261005T090000Z',
      'SUMMARY:Backwards',
      'END:VEVENT',
    ]);
    const error = await failure(h.client.importAppointments({ caller: ann, ics: bad }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/ics.*DTEND is before DTSTART|DTEND is before DTSTART/);
    const garbled = await failure(h.client.importAppointments({ caller: ann, ics: 'BEGIN:VCALENDAR\r\nnonsense' }));
    expect(garbled.code).toBe(Code.InvalidArgument);
    expect(await all()).toEqual(before);
  });

  it('keeps a recurring series as one appointment and lists each visit in a window, by local time', async () => {
    const cid = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000c3');
    const result = await h.client.importAppointments({ caller: cid, ics: physioSeries });
    expect(result.created).toBe(1);
    expect(result.appointments[0]!.rrule).toBe('FREQ=WEEKLY;COUNT=5');
    const { appointments } = await h.client.listAppointments({ caller: cid, ...window });
    // 19 Oct (summer), 26 Oct left out, 2 Nov moved to 3 Nov 16:00, 9 and 16 Nov (winter): still 09:00.
    expect(appointments.map((a) => a.localStart)).toEqual([
      '2026-10-19T09:00',
      '2026-11-03T16:00',
      '2026-11-09T09:00',
      '2026-11-16T09:00',
    ]);
    expect(new Set(appointments.map((a) => a.id)).size).toBe(1);
    // A page at a time, the same visits.
    const page1 = await h.client.listAppointments({ caller: cid, ...window, page: { limit: 3, cursor: '' } });
    const page2 = await h.client.listAppointments({
      caller: cid,
      ...window,
      page: { limit: 3, cursor: page1.page!.nextCursor },
    });
    expect([...page1.appointments, ...page2.appointments].map((a) => a.localStart)).toEqual(
      appointments.map((a) => a.localStart),
    );
    expect(page2.page!.nextCursor).toBe('');
    // "When is my next appointment" on 4 Nov: the 9 Nov visit.
    const next = await h.client.listAppointments({
      caller: cid,
      from: timestampFromDate(new Date('2026-11-04T00:00:00Z')),
      page: { limit: 1, cursor: '' },
    });
    expect(next.appointments.map((a) => a.localStart)).toEqual(['2026-11-09T09:00']);
    // Cancelling one visit leaves the others; a time that is no visit is refused.
    const nov9 = next.appointments[0]!;
    await h.client.deleteAppointment({ caller: cid, appointmentId: nov9.id, occurrenceStart: nov9.startsAt });
    const rest = await h.client.listAppointments({ caller: cid, ...window });
    expect(rest.appointments.map((a) => a.localStart)).toEqual([
      '2026-10-19T09:00',
      '2026-11-03T16:00',
      '2026-11-16T09:00',
    ]);
    const notAVisit = await failure(
      h.client.deleteAppointment({ caller: cid, appointmentId: nov9.id, occurrenceStart: nov9.startsAt }),
    );
    expect(notAVisit.code).toBe(Code.InvalidArgument);
    expect(notAVisit.rawMessage).toMatch(/occurrence_start/);
    // The feed writes the series once, with its rule.
    const { token } = await h.client.rotateCalendarFeed({ caller: cid });
    const { ics } = await h.client.getCalendarFeed({ token });
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(ics).toMatch(/RRULE:FREQ=WEEKLY;COUNT=5/);
    expect(ics).toMatch(/EXDATE;TZID=Europe\/Berlin:20261026T090000/);
    expect(ics).toMatch(/EXDATE;TZID=Europe\/Berlin:20261109T090000/);
    expect(ics).toMatch(/RECURRENCE-ID;TZID=Europe\/Berlin:20261102T090000/);
  });
});

describe.runIf(requireInfra('Radicale (TEST_CALDAV_URL)', server)).each(databaseTargets())(
  'CalDAV sync and import agree on identity on $kind PostgreSQL',
  (target) => {
    let h: ExternalHarness;
    let calendar: TestCalendar;
    const dee = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000d1');
    const titles = async () => (await h.client.listAppointments({ caller: dee })).appointments.map((a) => a.title);

    beforeAll(async () => {
      h = await startExternalHarness(target, { clock: { now: () => new Date() } });
      calendar = await TestCalendar.create(server!);
      await h.client.connectCalendar({
        caller: dee,
        url: calendar.url,
        username: server!.username,
        password: server!.password,
      });
    });
    afterAll(() => h?.stop());

    it('links an imported event when the sync meets it on the calendar, instead of adding it again', async () => {
      await h.client.importAppointments({ caller: dee, ics: file(visit('shared-1', 'Cardiology')) });
      await calendar.put(
        'shared-1.ics',
        eventObject({ uid: 'shared-1', summary: 'Cardiology', start: '20261005T100000', end: '20261005T103000' }),
      );
      const { counts } = await h.client.syncCalendar({ caller: dee });
      expect(counts).toMatchObject({ imported: 0, updatedHere: 1, exported: 0 });
      expect(await titles()).toEqual(['Cardiology']);
    });

    it('leaves an event the sync brought in alone when the same file is imported', async () => {
      await calendar.put(
        'phone-2.ics',
        eventObject({ uid: 'phone-2', summary: 'Blood test', start: '20261006T080000', end: '20261006T081500' }),
      );
      expect((await h.client.syncCalendar({ caller: dee })).counts).toMatchObject({ imported: 1 });
      const ics = (await calendar.objects()).get('phone-2.ics')!;
      const result = await h.client.importAppointments({ caller: dee, ics });
      expect([result.created, result.unchanged]).toEqual([0, 1]);
      expect((await titles()).sort()).toEqual(['Blood test', 'Cardiology']);
    });

    it('brings a recurring series in as one appointment and writes it back with its rule', async () => {
      await calendar.put('physio.ics', physioSeries);
      const first = await h.client.syncCalendar({ caller: dee });
      expect(first.counts).toMatchObject({ imported: 1, skipped: 0 });
      const listed = await h.client.listAppointments({ caller: dee, ...window });
      expect(listed.appointments.filter((a) => a.title === 'Physio')).toHaveLength(4);
      const series = (await h.client.listAppointments({ caller: dee })).appointments.find((a) => a.title === 'Physio')!;
      await h.client.updateAppointment({ caller: dee, appointmentId: series.id, title: 'Physiotherapy' });
      expect((await h.client.syncCalendar({ caller: dee })).counts).toMatchObject({ updatedThere: 1 });
      const there = (await calendar.objects()).get('physio.ics')!;
      expect(there).toMatch(/UID:physio-series/);
      expect(there).toMatch(/RRULE:FREQ=WEEKLY;COUNT=5/);
      expect(there).toMatch(/SUMMARY:Physiotherapy/);
      expect(there).toMatch(/RECURRENCE-ID;TZID=Europe\/Berlin:20261102T090000/);
      const again = await h.client.syncCalendar({ caller: dee });
      expect(again.counts).toMatchObject({ imported: 0, updatedHere: 0, updatedThere: 0, exported: 0 });
      const visits = await h.client.listAppointments({ caller: dee, ...window });
      expect(visits.appointments.filter((a) => a.title === 'Physiotherapy').map((a) => a.localStart)).toEqual([
        '2026-10-19T09:00',
        '2026-11-03T16:00',
        '2026-11-09T09:00',
        '2026-11-16T09:00',
      ]);
    });
  },
);

const realTarget = databaseTargets().find((t) => t.kind === 'real');

describe.runIf(requireInfra('Radicale (TEST_CALDAV_URL)', server) && realTarget)(
  'two instances of the service and one calendar',
  () => {
    let one: ExternalHarness;
    let two: ExternalHarness;
    let proxy: GatedCalDavProxy;
    let calendar: TestCalendar;
    const eve = personCaller('3a0e2c1b-7d4f-4e21-9a6b-0000000000e1');

    beforeAll(async () => {
      one = await startExternalHarness(realTarget!, { clock: { now: () => new Date() } });
      two = await startExternalHarness(realTarget!, { clock: { now: () => new Date() }, alongside: one });
      calendar = await TestCalendar.create(server!);
      proxy = await startGatedCalDavProxy(server!.url);
      const viaProxy = new URL(new URL(calendar.url).pathname, proxy.origin).href;
      await one.client.connectCalendar({
        caller: eve,
        url: viaProxy,
        username: server!.username,
        password: server!.password,
      });
    });
    afterAll(async () => {
      proxy?.release();
      await two?.stop();
      await one?.stop();
      await proxy?.stop();
    });

    it('never syncs one person at once: the second instance is told to wait, and nothing is doubled', async () => {
      await calendar.put(
        'a.ics',
        eventObject({ uid: 'a', summary: 'Allergist', start: '20261012T100000', end: '20261012T110000' }),
      );
      await one.client.createAppointment({ caller: eve, title: 'Dermatologist', localStart: '2026-10-13T10:00' });
      // Instance one starts and is held in the middle of talking to the calendar server.
      const held = proxy.hold();
      const first = one.client.syncCalendar({ caller: eve });
      await held;
      const busy = await failure(two.client.syncCalendar({ caller: eve }));
      expect(busy.code).toBe(Code.Unavailable);
      expect(busy.rawMessage).toMatch(/being synced/);
      proxy.release();
      expect((await first).counts).toMatchObject({ imported: 1, exported: 1 });
      // The lease is given back: instance two syncs next, and finds nothing left to do.
      const second = await two.client.syncCalendar({ caller: eve });
      expect(second.counts).toMatchObject({ imported: 0, exported: 0, updatedHere: 0, updatedThere: 0 });
      const titles = (await two.client.listAppointments({ caller: eve })).appointments.map((a) => a.title);
      expect(titles.sort()).toEqual(['Allergist', 'Dermatologist']);
      expect((await calendar.objects()).size).toBe(2);
    });
  },
);
