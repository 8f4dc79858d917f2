import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlmServer } from '@tend/conversation/testing';
import { registerPerson } from './real-cluster.js';
import { startWithScriptedModel, testPorts, type TendProcess } from './tend-process.js';

// What the logs hold after failures: a failed model call carries the whole prompt (the person's
// medications, conditions, the conversation); none of it may reach a log line.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const llm = new ScriptedLlmServer();
const medication = 'Zolmitriptanol';
const condition = 'hereditary angioedema';
let tend: TendProcess;
let token = '';

beforeAll(async () => {
  const llmUrl = await llm.start();
  tend = await startWithScriptedModel(llmUrl, { LOG_LEVEL: 'info' });
  await tend.waitForHttp(`${base}/readyz`);
  token = await registerPerson(base, 'Lin');
}, 90_000);
afterAll(async () => {
  await tend?.stop();
  await llm.stop();
});

describe('logs after a failed model call', () => {
  it('name the failure and hold none of the person’s health data', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect(
      (
        await fetch(`${base}/api/v1/medications`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: medication, dose: 5, unit: 'mg', schedule: { times: ['08:00'] } }),
        })
      ).status,
    ).toBe(201);
    await fetch(`${base}/api/v1/me`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ profile: { conditions: [condition] } }),
    });
    const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
    const { id } = (await created.json()) as { id: string };
    llm.script({ kind: 'fail', status: 400 }, { kind: 'fail', status: 400 });
    const turn = await fetch(`${base}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: `did I take my ${medication} today?` }),
    });
    expect(turn.status).toBe(200);
    expect(((await turn.json()) as { reply: { mode: string } }).reply.mode).toBe('basic');
    // The model did see the person's record, so the failure had it to leak.
    expect(JSON.stringify(llm.requests)).toContain(medication);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tend.output).toContain('language model failed');
    expect(tend.output).not.toContain(medication);
    expect(tend.output.toLowerCase()).not.toContain(medication.toLowerCase());
    expect(tend.output).not.toContain(condition);
  });
});
