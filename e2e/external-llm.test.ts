import { ScriptedLlmServer } from '@tend/conversation/testing';
import { FakeOpenMeteo } from '@tend/external/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// The language model's weather and appointment tools, against a scripted OpenAI-compatible
// server and a loopback Open-Meteo: the model picks the tool, Tend does the work as the person.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const llm = new ScriptedLlmServer();
let fake: FakeOpenMeteo;
let tend: TendProcess;
let token = '';
let conversationId = '';

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // JSON's `any`: bodies are checked by the assertions that read them.
  const json = (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { status: response.status, json };
}

beforeAll(async () => {
  fake = await new FakeOpenMeteo().start();
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'error',
    LLM_BASE_URL: await llm.start(),
    LLM_MODEL: 'scripted',
    WEATHER_BASE_URL: fake.url,
    GEOCODING_BASE_URL: fake.url,
    AIR_QUALITY_BASE_URL: fake.url,
  });
  await tend.waitForHttp(`${base}/readyz`);
  const registered = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `llm-weather-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Lin',
      timezone: 'Europe/Berlin',
    }),
  });
  token = ((await registered.json()) as { accessToken: string }).accessToken;
  conversationId = (await call('POST', '/conversations', {})).json.id;
}, 120_000);

afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
  await llm.stop();
  await fake?.stop();
});

describe('the model with the external tools', () => {
  it('stores the place the person names and answers tomorrow’s weather there', async () => {
    llm.script({ kind: 'tool', name: 'set_place', args: { place: 'Berlin' }, then: 'Noted, Berlin.' });
    const stored = await call('POST', `/conversations/${conversationId}/messages`, { text: 'I moved to Berlin' });
    expect(stored.json.reply).toMatchObject({
      text: 'Noted, Berlin.',
      mode: 'llm',
      actions: [{ tool: 'set_place', ok: true }],
    });
    expect((await call('GET', '/me/place')).json.name).toBe('Berlin, Germany');

    llm.script({
      kind: 'tool',
      name: 'get_weather',
      args: { day: 'tomorrow' },
      then: 'Overcast tomorrow, 2 to 8 degrees.',
    });
    const weather = await call('POST', `/conversations/${conversationId}/messages`, { text: 'Weather tomorrow?' });
    expect(weather.json.reply.actions).toEqual([{ tool: 'get_weather', ok: true }]);
    // The tool's result, as the model received it on its next request.
    expect(JSON.stringify(llm.requests.at(-1))).toContain('Tomorrow Berlin, Germany: overcast, 2 to 8 °C');
  });

  it('adds an appointment the model was asked to add', async () => {
    llm.script({
      kind: 'tool',
      name: 'add_appointment',
      args: { title: 'Dentist', day: 'tomorrow', time: '15:00' },
      then: 'Added your dentist appointment.',
    });
    const added = await call('POST', `/conversations/${conversationId}/messages`, {
      text: 'Book the dentist tomorrow at 3',
    });
    expect(added.json.reply.actions).toEqual([{ tool: 'add_appointment', ok: true }]);
    const { json } = await call('GET', '/appointments');
    expect(json.items).toHaveLength(1);
    expect(json.items[0]).toMatchObject({ title: 'Dentist', timeZone: 'Europe/Berlin' });
    expect(json.items[0].localStart).toMatch(/T15:00$/);
  });
});
