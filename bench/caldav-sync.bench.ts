// CalDAV two-way sync of a 1,000-event calendar with the infra's Radicale on loopback, timed
// end to end through the external service's SyncCalendar (the service in this process on the
// PostgreSQL that TEST_DATABASE_URL names, or embedded PostgreSQL without it):
//   bash scripts/infra.sh up pg radicale && eval "$(bash scripts/infra.sh env)"
//   npm run bench:caldav                     # [events=1000]
// "import": the calendar holds N events Tend has never seen (one REPORT for the ETags, multiget
// in chunks of 200, one transaction). "unchanged": the same calendar again, nothing to move.
// "export": N Tend appointments to an empty calendar (one conditional PUT each). Before it, the
// N appointments come from one .ics import, which is then imported again (all found by UID).
import { randomUUID } from 'node:crypto';
import { TestCalendar, calDavServerOf, personCaller, startExternalHarness } from '@tend/external/testing';

const [eventsArg = '1000'] = process.argv.slice(2);
const count = Number(eventsArg);
const server = calDavServerOf();
if (!server) throw new Error('no CalDAV server: run `bash scripts/infra.sh up radicale` and eval `infra.sh env`');

const url = process.env.TEST_DATABASE_URL;
const h = await startExternalHarness(url ? { kind: 'real', url, replicaUrls: [] } : { kind: 'embedded' }, {
  clock: { now: () => new Date() },
});

function vevent(i: number): string[] {
  const day = String(1 + (i % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(i / 28) % 12)).padStart(2, '0');
  const hour = String(8 + (i % 9)).padStart(2, '0');
  return [
    'BEGIN:VEVENT',
    `UID:bench-${i}@example`,
    'DTSTAMP:20260601T000000Z',
    `DTSTART:2027${month}${day}T${hour}0000Z`,
    `DTEND:2027${month}${day}T${hour}3000Z`,
    `SUMMARY:Visit ${i}`,
    'LOCATION:Clinic',
    'END:VEVENT',
  ];
}
const calendarOf = (n: number) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Bench//EN',
    ...Array.from({ length: n }, (_, i) => vevent(i)).flat(),
    'END:VCALENDAR',
    '',
  ].join('\r\n');

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await work();
  console.log(`${what.padEnd(48)} ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return result;
}

try {
  // import: N events put on the calendar one object each (setup, not timed).
  const ann = personCaller(randomUUID());
  const full = await TestCalendar.create(server);
  const t0 = performance.now();
  for (let i = 0; i < count; i += 1) {
    await full.put(
      `bench-${i}.ics`,
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bench//EN', ...vevent(i), 'END:VCALENDAR', ''].join('\r\n'),
    );
  }
  console.log(`setup: ${count} objects PUT to Radicale in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await h.client.connectCalendar({ caller: ann, url: full.url, username: server.username, password: server.password });
  const first = await timed(`import: ${count} calendar events into Tend`, () => h.client.syncCalendar({ caller: ann }));
  if (first.counts?.imported !== count) throw new Error(`imported ${first.counts?.imported}, expected ${count}`);
  await timed(`unchanged: re-sync of ${count} linked events`, () => h.client.syncCalendar({ caller: ann }));

  // export: N appointments in Tend (one .ics import), to an empty calendar.
  const ben = personCaller(randomUUID());
  await timed(`import: a .ics file of ${count} new events`, () =>
    h.client.importAppointments({ caller: ben, ics: calendarOf(count), timeZone: 'UTC' }),
  );
  // The same file again: every UID is found, nothing is written.
  const again = await timed(`re-import: the same file (all unchanged by UID)`, () =>
    h.client.importAppointments({ caller: ben, ics: calendarOf(count), timeZone: 'UTC' }),
  );
  if (again.unchanged !== count) throw new Error(`unchanged ${again.unchanged}, expected ${count}`);
  const empty = await TestCalendar.create(server);
  await h.client.connectCalendar({ caller: ben, url: empty.url, username: server.username, password: server.password });
  const out = await timed(`export: ${count} Tend appointments to the calendar`, () =>
    h.client.syncCalendar({ caller: ben }),
  );
  if (out.counts?.exported !== count) throw new Error(`exported ${out.counts?.exported}, expected ${count}`);
  await timed(`unchanged: re-sync of ${count} linked events`, () => h.client.syncCalendar({ caller: ben }));
} finally {
  await h.stop();
}
