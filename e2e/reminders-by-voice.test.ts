import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson } from './real-cluster.js';
import { TendProcess, testPorts } from './tend-process.js';

// A reminder said in words, through the gateway's chat route, ends up in the scheduler: the
// reminders route shows it, and "stop reminding me" takes it out again while the medication stays.
const base = `http://127.0.0.1:${testPorts.gateway}`;
let tend: TendProcess;
let token = '';
let conversationId = '';

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function say(text: string): Promise<{ text: string; actions: { tool: string; ok: boolean }[] }> {
  const { status, json } = await api(`/api/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    body: { text },
  });
  expect(status).toBe(200);
  return json.reply as { text: string; actions: { tool: string; ok: boolean }[] };
}

interface ListedReminder {
  kind: string;
  medicationName: string;
  localTime: string;
  state: string;
}

async function remindersAbout(name: string): Promise<ListedReminder[]> {
  const { json } = await api('/api/v1/reminders');
  return (json.items as ListedReminder[]).filter((r) => r.kind === 'dose_due' && r.medicationName === name);
}

beforeAll(async () => {
  tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn' });
  await tend.waitForHttp(`${base}/readyz`);
  token = await registerPerson(base, 'Rosa');
  const created = await api('/api/v1/conversations', { method: 'POST', body: {} });
  conversationId = created.json.id as string;
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

describe('reminders said to the agent', () => {
  it('schedules "remind me to take 81 mg aspirin at 8 pm" for a medication not on the list yet', async () => {
    const reply = await say('remind me to take 81 mg aspirin at 8 pm');
    expect(reply.text).toContain("I've added Aspirin (81 mg a dose)");
    expect(reply.text).toContain("I'll remind you to take Aspirin at 8:00 PM every day");
    expect(reply.actions).toEqual([{ tool: 'add_medication', ok: true }]);

    // The notification service's reconciler picks the change up from the health service's event.
    await expect
      .poll(() => remindersAbout('Aspirin'), { timeout: 30_000, interval: 250 })
      .toEqual([expect.objectContaining({ localTime: '20:00', state: 'pending' })]);
    const medications = await api('/api/v1/medications');
    expect(medications.json.items).toEqual([
      expect.objectContaining({ name: 'Aspirin', dose: 81, doseUnit: 'mg', active: true }),
    ]);
  });

  it('asks for the time rather than guessing, and writes nothing', async () => {
    const reply = await say('remind me to take metformin');
    expect(reply.text).toBe('What time should I remind you to take Metformin? For example, "at 8 am".');
    expect(reply.actions).toEqual([]);
    expect((await api('/api/v1/medications')).json.items).toHaveLength(1);
  });

  it('stops the reminders on "stop reminding me about aspirin", keeping the medication', async () => {
    const reply = await say('stop reminding me about aspirin');
    expect(reply.text).toContain("I won't remind you about Aspirin anymore");
    await expect.poll(() => remindersAbout('Aspirin'), { timeout: 30_000, interval: 250 }).toEqual([]);
    expect((await api('/api/v1/medications')).json.items).toEqual([
      expect.objectContaining({ name: 'Aspirin', active: true }),
    ]);
  });
});
