import { FakeOpenMeteo } from '@tend/external/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// Weather, air quality, advice, the person's place, appointments and the calendar feed through
// the gateway of the all-in-one binary, with Open-Meteo's three APIs served on loopback.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const api = `${base}/api/v1`;

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
  // JSON.parse's `any`: bodies are checked by the assertions that read them.
  return { status: response.status, text, json, headers: response.headers };
}

let tend: TendProcess;
let fake: FakeOpenMeteo;
let token = '';

beforeAll(async () => {
  fake = await new FakeOpenMeteo().start();
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000',
    WEATHER_BASE_URL: fake.url,
    GEOCODING_BASE_URL: fake.url,
    AIR_QUALITY_BASE_URL: fake.url,
  });
  await tend.waitForHttp(`${base}/readyz`);
  const { status, json } = await call('POST', '/auth/register', undefined, {
    email: `weather-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Mei',
    timezone: 'Europe/Berlin',
  });
  expect(status).toBe(201);
  token = json.accessToken;
}, 120_000);

afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
  await fake?.stop();
});

describe('weather through the gateway', () => {
  it('stores where the person lives and answers the weather there', async () => {
    const place = await call('PUT', '/me/place', token, { location: 'Berlin' });
    expect(place.status).toBe(200);
    expect(place.json).toMatchObject({ name: 'Berlin, Germany', countryCode: 'DE', timeZone: 'Europe/Berlin' });
    const weather = await call('GET', '/weather', token);
    expect(weather.status).toBe(200);
    expect(weather.json).toMatchObject({ location: 'Berlin, Germany', temperatureMaxC: 8, timeZone: 'Europe/Berlin' });
    expect(weather.json.stale).toBe(false);
    expect(weather.json.hours).toHaveLength(24);
  });

  it('answers a named place in Chinese and air quality', async () => {
    const weather = await call('GET', `/weather?location=${encodeURIComponent('北京')}&language=zh`, token);
    expect(weather.json.summary).toMatch(/摄氏度/);
    const air = await call('GET', '/air-quality', token);
    expect(air.status).toBe(200);
    expect(air.json).toMatchObject({ location: 'Berlin, Germany', category: 'fair' });
  });

  it('refuses an unknown city and a bad date with a 400 naming the field', async () => {
    const unknown = await call('PUT', '/me/place', token, { location: 'Atlantisville' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([{ field: 'location', message: 'no place called "Atlantisville" was found' }]);
    expect((await call('GET', '/me/place', token)).json.name).toBe('Berlin, Germany');
    const badDate = await call('GET', '/weather?date=tomorrow', token);
    expect(badDate.status).toBe(400);
    expect(await call('GET', '/weather')).toMatchObject({ status: 401 });
  });

  it('says the weather service is unavailable when the provider fails with nothing cached', async () => {
    fake.faults.forecast = 'http-500';
    try {
      const phoenix = await call('GET', '/weather?location=Phoenix', token);
      expect(phoenix.status).toBe(503);
      expect(phoenix.json.detail).toBe("I can't reach the weather service right now");
    } finally {
      fake.heal();
    }
  });

  it('gives no advice on a mild day to a person without risk factors', async () => {
    const advice = await call('GET', '/advisories', token);
    expect(advice.status).toBe(200);
    expect(advice.json).toEqual({ items: [], stale: false });
  });
});

describe('appointments and the calendar feed through the gateway', () => {
  it('keeps an appointment in the person’s zone, lists it and serves it in the feed', async () => {
    const created = await call('POST', '/appointments', token, {
      title: 'Dentist',
      clinician: 'Dr. Weber',
      start: '2030-07-03T15:00',
      notes: 'bring the X-ray',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      title: 'Dentist',
      timeZone: 'Europe/Berlin',
      startsAt: '2030-07-03T13:00:00.000Z',
      localEnd: '2030-07-03T16:00',
      notes: 'bring the X-ray',
    });
    const list = await call('GET', '/appointments', token);
    expect(list.json.items.map((a: { title: string }) => a.title)).toEqual(['Dentist']);
    const moved = await call('PATCH', `/appointments/${created.json.id}`, token, { start: '2026-12-20T09:00' });
    expect(moved.json).toMatchObject({ localStart: '2026-12-20T09:00', sequence: 1 });

    const feed = await call('POST', '/calendar/feed', token);
    expect(feed.status).toBe(201);
    const ics = await fetch(`${base}${feed.json.path}`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toContain('text/calendar');
    const text = await ics.text();
    expect(text).toContain('SUMMARY:Dentist');
    expect(text).toContain('DTSTART:20261220T080000Z');
    expect(text).not.toContain('X-ray');
    expect((await call('DELETE', '/calendar/feed', token)).status).toBe(204);
    // Revoked for good: a calendar app still subscribed is told to stop.
    expect((await fetch(`${base}${feed.json.path}`)).status).toBe(410);

    expect((await call('DELETE', `/appointments/${created.json.id}`, token)).status).toBe(204);
    expect((await call('GET', `/appointments/${created.json.id}`, token)).status).toBe(404);
  });

  it('refuses an appointment ending before it starts and writes nothing', async () => {
    const bad = await call('POST', '/appointments', token, {
      title: 'Physio',
      start: '2030-07-04T10:00',
      end: '2030-07-04T09:00',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ field: 'end', message: 'must be after start' }]);
    expect((await call('GET', '/appointments', token)).json.items).toEqual([]);
  });
});

describe('asking Tend about weather, places and appointments', () => {
  let conversationId = '';
  let zhToken = '';
  let zhConversation = '';
  const say = async (text: string, who = () => [token, conversationId] as const) => {
    const [bearer, conversation] = who();
    const { status, json } = await call('POST', `/conversations/${conversation}/messages`, bearer, { text });
    expect(status).toBe(200);
    return json.reply as { text: string; intent: string; actions: { tool: string; ok: boolean }[] };
  };
  const sayZh = (text: string) => say(text, () => [zhToken, zhConversation] as const);

  beforeAll(async () => {
    conversationId = (await call('POST', '/conversations', token, {})).json.id;
    const registered = await call('POST', '/auth/register', undefined, {
      email: `tianqi-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: '梅',
      timezone: 'Asia/Shanghai',
      locale: 'zh',
    });
    zhToken = registered.json.accessToken;
    zhConversation = (await call('POST', '/conversations', zhToken, {})).json.id;
  });

  it('stores "I live in Berlin" and answers the weather tomorrow there', async () => {
    const stored = await say('I live in Berlin');
    expect(stored.text).toBe("Got it: you live in Berlin, Germany. I'll use it for the weather.");
    const weather = await say("What's the weather tomorrow?");
    expect(weather.intent).toBe('weather');
    expect(weather.text).toMatch(/^Tomorrow Berlin, Germany: overcast, 2 to 8 °C, 35% chance of precipitation\.$/);
    expect(weather.actions).toEqual([{ tool: 'get_weather', ok: true }]);
  });

  it('answers rain this afternoon from the hours and the air today', async () => {
    const rain = await say('Is it going to rain this afternoon?');
    expect(rain.text).toBe(
      'The chance of rain this afternoon is up to 35%. Berlin, Germany: overcast, 2 to 8 °C, 35% chance of precipitation.',
    );
    const air = await say("How's the air today?");
    expect(air.text).toBe('The air in Berlin, Germany is fair now: European AQI 22, US AQI 30, PM2.5 6 µg/m³.');
  });

  it('answers in Chinese: 我住在北京, 明天天气怎么样, 空气质量如何', async () => {
    expect((await sayZh('我住在北京')).text).toBe('好的，我记下了您住在Beijing，China。天气会按这里回答。');
    expect((await sayZh('明天天气怎么样')).text).toMatch(/^明天 Beijing，China：阴，2到8摄氏度，降水概率35%。$/);
    expect((await sayZh('空气质量如何')).text).toMatch(/^Beijing，China现在空气质量良：欧洲AQI 22/);
  });

  it('adds, finds and cancels an appointment by voice', async () => {
    const added = await say('Add a dentist appointment on Friday at 3 pm');
    expect(added.text).toMatch(/^Added: Dentist on Friday \d+ \w+ at 15:00\.$/);
    const next = await say("When is my next doctor's appointment?");
    expect(next.text).toMatch(/^Your next appointment is Dentist on Friday/);
    const cancelled = await say("Cancel Friday's appointment");
    expect(cancelled.text).toMatch(/^Cancelled: Dentist on Friday/);
    expect((await call('GET', '/appointments', token)).json.items).toEqual([]);
    expect((await sayZh('我下周有什么预约')).text).toBe('您没有安排的预约。');
  });

  it('finds the next visit of a weekly appointment and cancels that visit alone', async () => {
    // Weekly at 10:00 Berlin on the weekday two days from now, begun five weeks ago, endless.
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
    const weekday = inTwoDays.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'Europe/Berlin' });
    const firstDay = new Date(inTwoDays.getTime() - 35 * 86_400_000).toLocaleDateString('sv-SE', {
      timeZone: 'Europe/Berlin',
    });
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Clinic//EN',
      'BEGIN:VEVENT',
      'UID:weekly-physio@clinic',
      `DTSTART;TZID=Europe/Berlin:${firstDay.replace(/-/g, '')}T100000`,
      `DTEND;TZID=Europe/Berlin:${firstDay.replace(/-/g, '')}T104500`,
      'RRULE:FREQ=WEEKLY',
      'SUMMARY:Physio',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const imported = await call('POST', '/appointments/import', token, { ics });
    expect([imported.status, imported.json.created, imported.json.items[0].rrule]).toEqual([201, 1, 'FREQ=WEEKLY']);
    const next = await say('When is my next appointment?');
    expect(next.text).toMatch(new RegExp(`^Your next appointment is Physio on ${weekday} .* at 10:00`));
    const cancelled = await say(`Cancel ${weekday}'s appointment`);
    expect(cancelled.text).toMatch(new RegExp(`^Cancelled: Physio on ${weekday}`));
    // The series goes on: the visit a week later is the next one now.
    const from = new Date().toISOString();
    const visits = (await call('GET', `/appointments?from=${from}&limit=2`, token)).json.items;
    const weekLater = new Date(inTwoDays.getTime() + 7 * 86_400_000).toLocaleDateString('sv-SE', {
      timeZone: 'Europe/Berlin',
    });
    expect(visits.map((a: { title: string; localStart: string }) => [a.title, a.localStart])[0]).toEqual([
      'Physio',
      `${weekLater}T10:00`,
    ]);
  });
});
