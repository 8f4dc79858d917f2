import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PushTestService } from '@tend/notification/testing/push-service';
import { TendProcess, testPorts } from './tend-process.js';

// Reminders and the inbox as a person meets them, through the whole binary on embedded parts.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const wsUrl = `ws://127.0.0.1:${testPorts.gateway}/ws`;

let tend: TendProcess;
let token = '';
const pushService = new PushTestService();

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  await pushService.start();
  tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn' });
  await tend.waitForHttp(`${base}/readyz`);
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `reminders-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Rita',
      timezone: 'UTC',
    }),
  });
  token = ((await response.json()) as { accessToken: string }).accessToken;
}, 90_000);
afterAll(async () => {
  await pushService.stop();
  expect(await tend?.stop()).toBe(0);
});

describe('reminders and the inbox', () => {
  it('delivers a dose due a minute ahead to the inbox, the open socket and Web Push, once; Taken from the push button logs it', async () => {
    const key = await api('/api/v1/push/vapid-public-key');
    expect(Buffer.from(key.json.publicKey as string, 'base64url')).toHaveLength(65);
    const subscription = pushService.subscribe();
    const device = await api('/api/v1/devices', {
      method: 'POST',
      body: {
        kind: 'push',
        subscription: {
          endpoint: subscription.endpoint,
          keys: { p256dh: subscription.p256dh, auth: subscription.auth },
        },
      },
    });
    expect(device.status).toBe(201);
    expect(device.json).toMatchObject({ kind: 'push', verified: true });

    const socket = new WebSocket(wsUrl, ['tend.v1', `bearer.${token}`]);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) =>
      frames.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>),
    );
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));

    // The next whole minute at least 5 s away, as the person's local (UTC) time.
    const due = new Date(Math.ceil((Date.now() + 5_000) / 60_000) * 60_000);
    const time = due.toISOString().slice(11, 16);
    const created = await api('/api/v1/medications', {
      method: 'POST',
      body: { name: 'Aspirin', dose: 81, unit: 'mg', schedule: { times: [time] } },
    });
    expect(created.status).toBe(201);
    const upcoming = await until(async () => {
      const { json } = await api('/api/v1/reminders');
      const items = json.items as { kind: string; localTime: string }[];
      return items.find((r) => r.kind === 'dose_due' && r.localTime === time);
    }, 10_000);
    expect(upcoming).toMatchObject({ medicationName: 'Aspirin', state: 'pending' });

    const live = await until(
      () => frames.find((f) => f.type === 'notification' && f.event === 'notification.created'),
      80_000,
    );
    expect(live.data).toMatchObject({ title: 'Time for your Aspirin', body: `81 mg of Aspirin at ${time}.` });
    // Written at most a few seconds after its time.
    const writtenAt = Date.parse((live.data as { createdAt: string }).createdAt);
    expect(writtenAt).toBeGreaterThanOrEqual(due.getTime());

    const inbox = await api('/api/v1/notifications');
    expect(inbox.status).toBe(200);
    const items = inbox.json.items as { id: string; title: string; kind: string; channel: string }[];
    expect(items.filter((n) => n.title === 'Time for your Aspirin')).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'dose_reminder', channel: 'in_app' });
    expect(inbox.json.unreadCount).toBe(1);

    const read = await api(`/api/v1/notifications/${items[0]!.id}/read`, { method: 'POST' });
    expect(read.json).toEqual({ updated: 1 });
    expect((await api('/api/v1/notifications')).json.unreadCount).toBe(0);
    socket.close();

    // The same reminder as a push message, encrypted and VAPID-signed, with its three buttons.
    const push = await until(() => pushService.received.find((p) => p.subscriptionId === subscription.id), 15_000);
    const message = JSON.parse(push.payload) as { title: string; actions: { action: string; token: string }[] };
    expect(message.title).toBe('Time for your Aspirin');
    expect(message.actions.map((a) => a.action)).toEqual(['taken', 'skip', 'snooze']);
    const taken = message.actions.find((a) => a.action === 'taken')!;
    const acted = await fetch(`${base}/api/v1/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: taken.token }),
    });
    expect(acted.status).toBe(200);
    const replayed = await fetch(`${base}/api/v1/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: taken.token }),
    });
    expect(replayed.status).toBe(409);
    const doses = await api('/api/v1/doses');
    expect((doses.json.items as { status: string }[]).map((d) => d.status)).toContain('taken');
  }, 120_000);

  it('refuses an invalid push subscription and a phone when SMS is not configured, naming the field', async () => {
    const push = await api('/api/v1/devices', {
      method: 'POST',
      body: {
        kind: 'push',
        subscription: { endpoint: 'https://push.example/x', keys: { p256dh: 'AAAA', auth: 'BBBB' } },
      },
    });
    expect(push.status).toBe(400);
    expect(JSON.stringify(push.json)).toContain('p256dh');
    const phone = await api('/api/v1/devices', { method: 'POST', body: { kind: 'phone', address: '+4915123456789' } });
    expect(phone.status).toBe(400);
    expect(JSON.stringify(phone.json)).toContain('SMS is not configured');
    const webhook = await fetch(`${base}/api/v1/sms/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'bogus' },
      body: 'From=%2B4915123456789&Body=1',
    });
    expect(webhook.status).toBe(400);
  });

  it('keeps preferences, and refuses quiet hours that start and end together, naming the field', async () => {
    const before = await api('/api/v1/notification-preferences');
    expect(before.json).toMatchObject({ followUpMinutes: 30, quietHours: null });
    const saved = await api('/api/v1/notification-preferences', {
      method: 'PUT',
      body: { quietHours: { start: '22:00', end: '07:00' }, language: 'zh', channels: { dose_reminder: ['in_app'] } },
    });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({
      quietHours: { start: '22:00', end: '07:00' },
      language: 'zh',
      channels: {
        dose_reminder: ['in_app'],
        emergency: expect.arrayContaining(['in_app']),
      },
    });
    const refused = await api('/api/v1/notification-preferences', {
      method: 'PUT',
      body: { quietHours: { start: '07:00', end: '07:00' } },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('quietHours');
    expect((await api('/api/v1/notification-preferences')).json).toMatchObject({
      quietHours: { start: '22:00', end: '07:00' },
    });
    const badField = await api('/api/v1/notification-preferences', {
      method: 'PUT',
      body: { quietHours: { start: '7am', end: '08:00' } },
    });
    expect(badField.status).toBe(400);
  });

  it('refuses a cursor it never gave out', async () => {
    const response = await api('/api/v1/notifications?cursor=bogus');
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.json)).toContain('cursor');
  });
});
