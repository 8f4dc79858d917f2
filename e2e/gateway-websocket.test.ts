import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TendProcess, testPorts } from './tend-process.js';

// The live socket as a browser or app uses it, through the whole binary.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const wsUrl = `ws://127.0.0.1:${testPorts.gateway}/ws`;

let tend: TendProcess;
let token = '';

beforeAll(async () => {
  tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn' });
  await tend.waitForHttp(`${base}/readyz`);
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `socket-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Socket',
    }),
  });
  token = ((await response.json()) as { accessToken: string }).accessToken;
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

/** Opens a socket and collects what it is sent; resolves once it is open (or rejects with the HTTP status). */
function connect(url: string, protocols?: string[]): Promise<{ socket: WebSocket; frames: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) =>
      frames.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>),
    );
    socket.once('open', () => resolve({ socket, frames }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

async function until<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('/ws', () => {
  it('refuses a socket without credentials, with a bad token, or with a token in the URL', async () => {
    await expect(connect(wsUrl, ['tend.v1'])).rejects.toThrow('HTTP 401');
    await expect(connect(wsUrl, ['tend.v1', 'bearer.not-a-token'])).rejects.toThrow('HTTP 401');
    await expect(connect(`${wsUrl}?access_token=${token}`, ['tend.v1'])).rejects.toThrow('HTTP 401');
  });

  it('opens with a bearer token in Sec-WebSocket-Protocol, answers pings, and pushes the person’s own events', async () => {
    const { socket, frames } = await connect(wsUrl, ['tend.v1', `bearer.${token}`]);
    expect(socket.protocol).toBe('tend.v1');
    await until(() => frames.find((f) => f.type === 'ready'));
    socket.send(JSON.stringify({ type: 'ping', id: 'p1' }));
    expect(await until(() => frames.find((f) => f.type === 'pong'))).toEqual({ type: 'pong', id: 'p1' });

    const recorded = await fetch(`${base}/api/v1/vitals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'blood_pressure', systolic: 185, diastolic: 125 }),
    });
    expect(recorded.status).toBe(201);
    const notification = await until(() => frames.find((f) => f.type === 'notification' && f.event === 'alert.raised'));
    expect(notification.data).toMatchObject({ reason: 'hypertensive_crisis', systolic: 185 });
    await until(() => frames.find((f) => f.type === 'notification' && f.event === 'vital.recorded'));
    // One alert, though it travels on two topics.
    expect(frames.filter((f) => f.event === 'alert.raised')).toHaveLength(1);
    socket.close();
  });

  it('opens once with a ticket, which cannot be used twice', async () => {
    const issued = await fetch(`${base}/api/v1/ws/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(issued.status).toBe(201);
    const { ticket } = (await issued.json()) as { ticket: string };
    const { socket } = await connect(`${wsUrl}?ticket=${ticket}`, ['tend.v1']);
    socket.close();
    await expect(connect(`${wsUrl}?ticket=${ticket}`, ['tend.v1'])).rejects.toThrow('HTTP 401');
  });

  it('streams a chat turn: tokens as they come, then the whole reply', async () => {
    const { socket, frames } = await connect(wsUrl, ['tend.v1', `bearer.${token}`]);
    socket.send(JSON.stringify({ type: 'chat.send', text: 'my heart rate is seventy two' }));
    const reply = await until(() => frames.find((f) => f.type === 'chat.reply'));
    expect(reply).toMatchObject({ mode: 'basic', actions: [{ tool: 'record_vital', ok: true }] });
    expect(String(reply.text)).toContain('72');
    const tokens = frames.filter((f) => f.type === 'chat.token').map((f) => f.text as string);
    expect(tokens.join('')).toBe(reply.text);
    socket.close();
  });

  it('answers invalid frames with a typed error and closes on an oversize frame, staying healthy', async () => {
    const { socket, frames } = await connect(wsUrl, ['tend.v1', `bearer.${token}`]);
    socket.send('{not json');
    expect(await until(() => frames.find((f) => f.type === 'error'))).toMatchObject({ code: 'invalid_argument' });
    socket.send(JSON.stringify({ type: 'chat.send', text: '' }));
    expect(await until(() => frames.find((f) => f.type === 'error' && f.field === 'text'))).toBeDefined();
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'ping', id: 'x'.repeat(100 * 1024) }));
    expect(await closed).toBe(1009);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
