import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TendProcess, testPorts } from './tend-process.js';

// A socket never outlives the sign-in that opened it, and chat over it spends the same budget
// as the API.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const wsUrl = `ws://127.0.0.1:${testPorts.gateway}/ws`;
const perMinute = 30;
let tend: TendProcess;

async function signUp(name: string): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: name,
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { accessToken: string; refreshToken: string };
}

function connect(
  token: string,
): Promise<{ socket: WebSocket; frames: Record<string, unknown>[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, ['tend.v1', `bearer.${token}`]);
    const frames: Record<string, unknown>[] = [];
    const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
    socket.on('message', (data) =>
      frames.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>),
    );
    socket.once('open', () => resolve({ socket, frames, closed }));
    socket.once('error', reject);
  });
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);
}

beforeAll(async () => {
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: String(perMinute),
  });
  await tend.waitForHttp(`${base}/readyz`);
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

describe('/ws and the session behind it', () => {
  it('closes the socket when its session logs out', async () => {
    const { accessToken, refreshToken } = await signUp('logout');
    const { closed } = await connect(accessToken);
    const logout = await fetch(`${base}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    expect(logout.status).toBeLessThan(300);
    expect(await within(closed, 5_000)).toBe(4401);
  });

  it('holds at most five sockets per person', async () => {
    const { accessToken } = await signUp('many');
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(accessToken)));
    const sixth = await connect(accessToken);
    expect(await within(sixth.closed, 5_000)).toBe(1008);
    for (const { socket } of sockets) socket.close();
  });

  it('counts chat messages against the person’s per-minute limit', async () => {
    const { accessToken } = await signUp('chatty');
    const { socket, frames } = await connect(accessToken);
    for (let i = 0; i <= perMinute; i++) socket.send(JSON.stringify({ type: 'chat.send', text: 'hello' }));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !frames.some((f) => f.code === 'resource_exhausted'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames.some((f) => f.type === 'error' && f.code === 'resource_exhausted')).toBe(true);
    socket.close();
  });
});
