import { TestCalendar, calDavServerOf, eventObject } from '@tend/external/testing';
import { requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// CalDAV two-way sync with the infra's Radicale and .ics import, through the gateway of the
// all-in-one binary, as a client would use them.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const api = `${base}/api/v1`;
const server = calDavServerOf();

async function call(method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
  // JSON.parse's `any`: bodies are checked by the assertions that read them.
  return { status: response.status, json };
}

const ics = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Clinic//EN', ...events.flat(), 'END:VCALENDAR', ''].join('\r\n');

describe.runIf(requireInfra('Radicale (TEST_CALDAV_URL)', server))('calendars through the gateway', () => {
  let tend: TendProcess;
  let token = '';

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000' });
    await tend.waitForHttp(`${base}/readyz`);
    const response = await fetch(`${api}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `calendar-${Date.now()}@example.test`,
        password: 'correct horse battery staple',
        displayName: 'Lin',
        timezone: 'Europe/Berlin',
      }),
    });
    expect(response.status).toBe(201);
    token = ((await response.json()) as { accessToken: string }).accessToken;
  }, 120_000);

  afterAll(async () => {
    expect(await tend?.stop()).toBe(0);
  });

  it('imports a .ics file in the person zone, and refuses a malformed one whole with a 400', async () => {
    const file = ics(
      [
        'BEGIN:VEVENT',
        'UID:v1@clinic',
        'DTSTART:20261110T090000',
        'DTEND:20261110T093000',
        'SUMMARY:Blood test',
        'END:VEVENT',
      ],
      [
        'BEGIN:VEVENT',
        'UID:v2@clinic',
        'DTSTART:20261112T140000Z',
        'SUMMARY:Cardiology',
        'LOCATION:Ward 3',
        'END:VEVENT',
      ],
    );
    const imported = await call('POST', '/appointments/import', token, file, 'text/calendar');
    expect(imported.status).toBe(201);
    expect(imported.json.items.map((a: { title: string; localStart: string }) => [a.title, a.localStart])).toEqual([
      ['Blood test', '2026-11-10T09:00'],
      ['Cardiology', '2026-11-12T15:00'],
    ]);
    // The same file again adds nothing: both events are already here, in the same version.
    const again = await call('POST', '/appointments/import', token, file, 'text/calendar');
    expect([again.json.created, again.json.updated, again.json.unchanged]).toEqual([0, 0, 2]);
    const broken = ics(
      ['BEGIN:VEVENT', 'UID:v3@clinic', 'DTSTART:20261120T090000Z', 'SUMMARY:Fine', 'END:VEVENT'],
      [
        'BEGIN:VEVENT',
        'UID:v4@clinic',
        'DTSTART:20261121T090000Z',
        'DTEND:20261121T080000Z',
        'SUMMARY:Backwards',
        'END:VEVENT',
      ],
    );
    const refused = await call('POST', '/appointments/import', token, { ics: broken });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ field: 'ics', message: 'event 2 (v4@clinic): DTEND is before DTSTART' }]);
    const garbage = await call('POST', '/appointments/import', token, 'not a calendar', 'text/calendar');
    expect(garbage.status).toBe(400);
    expect(garbage.json.errors[0].field).toBe('ics');
    expect((await call('GET', '/appointments', token)).json.items).toHaveLength(2);
  });

  it('connects a CalDAV calendar, syncs both ways, reports and disconnects', async () => {
    const bad = await call('PUT', '/calendar/caldav', token, { url: 'ftp://x', username: '', password: '' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['password', 'url', 'username']);
    const calendar = await TestCalendar.create(server!);
    const refused = await call('PUT', '/calendar/caldav', token, {
      url: calendar.url,
      username: server!.username,
      password: 'wrong',
    });
    expect(refused.status).toBe(400);
    expect(refused.json.errors.map((e: { field: string }) => e.field)).toContain('password');
    await calendar.put(
      'phone.ics',
      eventObject({ uid: 'phone@example', summary: 'Physio', start: '20261115T080000Z', end: '20261115T090000Z' }),
    );
    const connected = await call('PUT', '/calendar/caldav', token, {
      url: calendar.url,
      username: server!.username,
      password: server!.password,
    });
    expect(connected.status).toBe(200);
    expect(connected.json).toMatchObject({ calendarUrl: calendar.url, username: server!.username });
    expect(JSON.stringify(connected.json)).not.toContain('password');
    const synced = await call('POST', '/calendar/caldav/sync', token);
    expect(synced.status).toBe(200);
    expect(synced.json.counts).toMatchObject({ imported: 1, exported: 2 });
    expect(synced.json.sync.linked).toBe(3);
    expect((await calendar.objects()).size).toBe(3);
    const status = await call('GET', '/calendar/caldav', token);
    expect(status.json.lastSyncedAt).toBeDefined();
    expect(status.json.lastError ?? '').toBe('');
    expect((await call('DELETE', '/calendar/caldav', token)).status).toBe(204);
    expect((await call('GET', '/calendar/caldav', token)).status).toBe(404);
    expect((await call('GET', '/appointments', token)).json.items).toHaveLength(3);
  });
});
