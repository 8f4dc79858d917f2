import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// Talking to Tend through the gateway, as the app does, with the embedded brain answering.
const base = `http://127.0.0.1:${testPorts.gateway}`;
let tend: TendProcess;

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  // JSON.parse's `any`: bodies are checked by the assertions that read them.
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function register(name: string, locale = 'en'): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: name,
      timezone: 'UTC',
      locale,
    }),
  });
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** `tend_cache_requests_total{cache="conversation-answers",result}` from the gateway's /metrics. */
async function answerCacheLookups(result: 'hit' | 'miss'): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = new RegExp(
    `^tend_cache_requests_total\\{cache="conversation-answers",result="${result}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn' });
  await tend.waitForHttp(`${base}/readyz`);
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

describe('talking to Tend', () => {
  let token = '';
  let conversationId = '';
  const say = async (text: string) => {
    const { status, json } = await call('POST', `/conversations/${conversationId}/messages`, token, { text });
    expect(status).toBe(200);
    return json.reply as { text: string; mode: string; intent: string; actions: { tool: string; ok: boolean }[] };
  };

  beforeAll(async () => {
    token = await register('Talker');
    // A dose due in a few minutes, so "I took my metformin" answers today's scheduled dose
    // (a schedule starts when the medication is added; a time just before that has no dose).
    const now = new Date(Date.now() + 5 * 60_000);
    const time = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
    expect(
      (
        await call('POST', '/medications', token, {
          name: 'Metformin',
          dose: 500,
          unit: 'mg',
          schedule: { times: [time] },
        })
      ).status,
    ).toBe(201);
    conversationId = (await call('POST', '/conversations', token, {})).json.id;
  });

  it('"I took my metformin" marks today\'s dose taken', async () => {
    const reply = await say('I took my metformin');
    expect(reply).toMatchObject({ mode: 'basic', intent: 'log_dose', actions: [{ tool: 'log_dose', ok: true }] });
    expect(reply.text).toContain('Metformin');
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const { json } = await call('GET', `/doses?from=${from}&to=${to}`, token);
    expect((json.items as { medicationName: string; status: string }[]).map((d) => d.status)).toContain('taken');
  });

  it('"my blood pressure is 150 over 95" records it and names the category', async () => {
    const reply = await say('my blood pressure is one hundred fifty over ninety five');
    expect(reply.text).toContain('stage 2 hypertension');
    const { json } = await call('GET', '/vitals?kind=blood_pressure', token);
    expect(json.items[0]).toMatchObject({ systolic: 150, diastolic: 95 });
  });

  it('understands and answers in Chinese', async () => {
    const reply = await say('我的血压是一百四十/九十');
    expect(reply.text).toContain('2级高血压');
    const { json } = await call('GET', '/vitals?kind=blood_pressure', token);
    expect(json.items[0]).toMatchObject({ systolic: 140, diastolic: 90 });
  });

  it('records sleep and steps said in words, and answers about them in hours', async () => {
    expect((await say('I slept six and a half hours last night')).text).toContain('6.5 hours');
    expect((await say('今天走了八千步')).text).toContain('8000 步');
    const { json } = await call('GET', '/vitals?kind=sleep', token);
    expect(json.items[0]).toMatchObject({ value: 6.5, unit: 'h' });
    expect((await say('how much did I sleep this week?')).text).toMatch(/1 sleep reading .*6\.5.* hours/);
  });

  it('answers a repeated question from its cache: a hit, the same words, and no second computation', async () => {
    const question = 'what was my blood pressure this week?';
    const first = await say(question);
    expect(first.text).toMatch(/You have (\d+) blood pressure reading/);
    const hitsBefore = await answerCacheLookups('hit');
    const again = await say('What was my blood pressure this week');
    expect(again.text).toBe(first.text);
    expect(await answerCacheLookups('hit')).toBe(hitsBefore + 1);
  });

  // The consistency bound of the answer cache, as the service keeps it:
  // - a change made in the conversation itself drops the person's cached answers before the reply
  //   is sent, so the next question never sees the old record (read-your-writes, no delay);
  // - a change made elsewhere (the app, another device) drops them when its health event reaches
  //   the conversation service: the outbox relay publishes on commit (NOTIFY; a 500 ms poll at
  //   worst) and the bus delivers it. Until then, at most that long, an answer may be the old one.
  it('never answers from the cache after the person changed their record in the conversation', async () => {
    const question = 'what was my blood pressure this week?';
    await say(question);
    const count = Number(/You have (\d+)/.exec((await say(question)).text)![1]);
    expect((await say('my blood pressure is 121 over 79')).actions).toMatchObject([{ tool: 'record_vital', ok: true }]);
    const missesBefore = await answerCacheLookups('miss');
    expect((await say(question)).text).toContain(`You have ${count + 1} blood pressure readings`);
    expect(await answerCacheLookups('miss')).toBe(missesBefore + 1);
  });

  it('drops a cached answer once the health event of a change made elsewhere arrives', async () => {
    const question = 'what was my blood pressure this week?';
    await say(question);
    const cached = await say(question);
    const count = Number(/You have (\d+)/.exec(cached.text)![1]);
    expect(
      (await call('POST', '/vitals', token, { kind: 'blood_pressure', systolic: 118, diastolic: 76 })).status,
    ).toBe(201);
    await expect
      .poll(async () => (await say(question)).text, { timeout: 15_000, interval: 100 })
      .toContain(`You have ${count + 1} blood pressure readings`);
    // And the fresh answer is cached again, under the new generation.
    const hitsBefore = await answerCacheLookups('hit');
    expect((await say(question)).text).toContain(`You have ${count + 1} blood pressure readings`);
    expect(await answerCacheLookups('hit')).toBe(hitsBefore + 1);
  });

  it('answers an emergency before anything else', async () => {
    const reply = await say('I have chest pain, I took my metformin');
    expect(reply.intent).toBe('emergency');
    expect(reply.text).toMatch(/emergency/i);
    expect(reply.actions).toEqual([]);
  });

  it('streams the answer as server-sent events', async () => {
    const response = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'what can you do?' }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = await response.text();
    expect(stream).toContain('event: token');
    expect(stream).toMatch(/event: reply\ndata: \{"text":"I can record/);
  });

  it('keeps a conversation to its person, and lists it with its messages', async () => {
    const { json: mine } = await call('GET', `/conversations/${conversationId}/messages?limit=2`, token);
    expect(mine.items).toHaveLength(2);
    expect(mine.nextCursor).not.toBeNull();
    const stranger = await register('Stranger');
    expect((await call('GET', `/conversations/${conversationId}/messages`, stranger)).status).toBe(404);
    expect((await call('POST', `/conversations/${conversationId}/messages`, stranger, { text: 'hi' })).status).toBe(
      404,
    );
    const { json: list } = await call('GET', '/conversations', token);
    expect(list.items.map((c: { id: string }) => c.id)).toContain(conversationId);
  });
});
