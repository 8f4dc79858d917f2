import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedLlmServer } from '@tend/conversation/testing';
import { registerPerson } from './real-cluster.js';
import { startWithScriptedModel, testPorts, type TendProcess } from './tend-process.js';

// The language-model brain against a local OpenAI-compatible server that plays a script:
// answers, tool calls, and every way a model fails; each failure must end in the embedded
// brain's answer within the timeouts.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const llm = new ScriptedLlmServer();
let tend: TendProcess;
let token = '';
let conversationId = '';

async function say(text: string, conversation = conversationId) {
  const began = performance.now();
  const response = await fetch(`${base}/api/v1/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(response.status).toBe(200);
  const { reply } = (await response.json()) as {
    reply: { text: string; mode: string; actions: { tool: string; ok: boolean }[] };
  };
  return { ...reply, ms: performance.now() - began };
}

beforeAll(async () => {
  const llmUrl = await llm.start();
  tend = await startWithScriptedModel(llmUrl, { LOG_LEVEL: 'error' });
  await tend.waitForHttp(`${base}/readyz`);
  token = await registerPerson(base, 'Lin');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  await fetch(`${base}/api/v1/medications`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Metformin', dose: 500, unit: 'mg', schedule: { times: ['08:00'] } }),
  });
  const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
  conversationId = ((await created.json()) as { id: string }).id;
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
  await llm.stop();
});

describe('the language-model brain', () => {
  beforeEach(() => llm.reset());

  it('answers with the model, which sees the person’s context and the tools', async () => {
    llm.script({ kind: 'text', text: 'Hello Lin, how can I help?' });
    const reply = await say('hello there');
    expect(reply).toMatchObject({ mode: 'llm', text: 'Hello Lin, how can I help?' });
    const request = llm.requests.at(-1) as {
      messages: { role: string; content: string }[];
      tools: { function: { name: string } }[];
    };
    expect(request.messages[0]!.content).toContain('Lin');
    expect(request.messages[0]!.content).toContain('Metformin 500 mg');
    expect(request.tools.map((t) => t.function.name)).toEqual([
      'record_vital',
      'log_dose',
      'vital_summary',
      'adherence',
      'scheduled_doses',
      'stop_medication',
      'set_reminder',
      'add_medication',
      'stop_reminders',
      'snooze_reminder',
      'list_reminders',
      'get_weather',
      'set_place',
      'appointments',
      'add_appointment',
      'cancel_appointment',
    ]);
  });

  it('runs the tools the model calls, on the caller’s record only', async () => {
    llm.script({
      kind: 'tool',
      name: 'record_vital',
      args: { kind: 'blood_pressure', systolic: 150, diastolic: 95 },
      then: 'Recorded 150 over 95.',
    });
    const reply = await say('log my pressure, 150 over 95');
    expect(reply).toMatchObject({
      mode: 'llm',
      text: 'Recorded 150 over 95.',
      actions: [{ tool: 'record_vital', ok: true }],
    });
    const vitals = await fetch(`${base}/api/v1/vitals?kind=blood_pressure`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await vitals.json()) as { items: { systolic: number }[] }).items[0]!.systolic).toBe(150);
  });

  it('sets a reminder the model asks for, and refuses times that are not times', async () => {
    llm.script({
      kind: 'tool',
      name: 'set_reminder',
      args: { medication: 'metformin', times: ['21:30'] },
      then: 'I will remind you at 9:30 pm.',
    });
    expect(await say('remind me about metformin at half past nine tonight')).toMatchObject({
      mode: 'llm',
      actions: [{ tool: 'set_reminder', ok: true }],
    });
    const medications = await fetch(`${base}/api/v1/medications`, { headers: { authorization: `Bearer ${token}` } });
    const [metformin] = ((await medications.json()) as { items: { schedule: { times: string[] } }[] }).items;
    expect(metformin!.schedule.times).toEqual(['08:00', '21:30']);
    // A malformed argument never reaches the health service: the tool call fails its schema.
    llm.script({
      kind: 'tool',
      name: 'set_reminder',
      args: { medication: 'metformin', times: ['half past nine'] },
      then: 'Done.',
    });
    const refused = await say('remind me about metformin at half past nine');
    expect(refused.actions).toEqual([]);
  });

  it.each([
    [
      'an HTTP error',
      [
        { kind: 'fail', status: 500 },
        { kind: 'fail', status: 500 },
      ],
    ],
    ['a stall before the first token', [{ kind: 'stall' }]],
    ['a stream broken halfway', [{ kind: 'break', after: 'Your blood ' }]],
  ] as const)('falls back to the embedded brain on %s, within the timeouts', async (_name, scripts) => {
    llm.script(...scripts);
    const reply = await say('what can you do?');
    expect(reply.mode).toBe('basic');
    expect(reply.text).toContain('I can record');
    expect(reply.ms).toBeLessThan(4_000);
  });

  it('streams the model’s tokens as they come', async () => {
    llm.script({ kind: 'text', text: 'Your readings look steady this week.' });
    const response = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'how am I doing?' }),
    });
    const stream = await response.text();
    const tokens = [...stream.matchAll(/event: token\ndata: (.*)\n/g)].map(
      (m) => (JSON.parse(m[1]!) as { text: string }).text,
    );
    expect(tokens.join('')).toBe('Your readings look steady this week.');
    expect(tokens.length).toBeGreaterThan(1);
    expect(stream).toMatch(/event: reply\ndata: \{"text":"Your readings look steady this week.","mode":"llm"/);
  });

  it('folds a long conversation into a summary the model writes, which its later turns see', async () => {
    llm.completeWith('Lin walked by the river every day and felt fine.');
    const created = await fetch(`${base}/api/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const long = ((await created.json()) as { id: string }).id;
    // Each message is ~550 tokens: by the seventh turn, six have fallen out of the 1,500-token window.
    for (let day = 1; day <= 7; day++) {
      await say(`Day ${day}: ${'I walked by the river and felt fine. '.repeat(60)}`, long);
    }
    const summaryRequests = () => llm.requests.filter((r) => r.stream !== true);
    await expect.poll(() => summaryRequests().length, { timeout: 5_000 }).toBeGreaterThan(0);
    const asked = (summaryRequests()[0] as { messages: { content: string }[] }).messages.at(-1)!.content;
    expect(asked).toContain('Summary so far: (none)');
    expect(asked).toMatch(/Person: Day 1: I walked/);
    const systemPrompt = () => (llm.requests.at(-1) as { messages: { content: string }[] }).messages[0]!.content;
    await expect
      .poll(
        async () => {
          await say('and today?', long);
          return systemPrompt();
        },
        { timeout: 5_000, interval: 200 },
      )
      .toContain('Summary of the conversation before that: Lin walked by the river every day and felt fine.');
    llm.completeWith(undefined);
  });

  it('answers an emergency without asking the model', async () => {
    const asked = llm.requests.length;
    const reply = await say('I have crushing chest pain');
    expect(reply.mode).toBe('basic');
    expect(reply.text).toMatch(/emergency/i);
    expect(llm.requests.length).toBe(asked);
  });
});
