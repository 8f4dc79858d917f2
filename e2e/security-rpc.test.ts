import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createGzip } from 'node:zlib';
import { HealthInternalService } from '@tend/proto/tend/health/v1/health_internal_service';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// `/rpc` as an attacker meets it: the body is the expensive part, so nothing about it is read
// before the caller is known, and no body is ever inflated.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const getUserPath = '/rpc/tend.health.v1.HealthService/GetUser';
const importFhirPath = '/rpc/tend.health.v1.HealthService/ImportFhir';
const perMinute = 40;

let tend: TendProcess;
let token = '';
const email = `rpc-${Date.now()}@example.test`;

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends the headers and `sent` of a body that claims to be `declaredBytes` long, and resolves
 * with the answer — which can only come before the body is complete if the gateway answers
 * without reading it.
 */
function partialRequest(
  path: string,
  headers: Record<string, string>,
  sent: Buffer,
  declaredBytes: number,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declaredBytes), ...headers },
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        request.destroy();
      });
    });
    request.on('error', reject);
    request.write(sent);
  });
}

async function post(path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, headers: {}, body: await response.text() };
}

/** A gzip stream of `inflatedBytes` zeros: a few hundred kilobytes that inflate to hundreds of megabytes. */
async function gzipBomb(inflatedBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < inflatedBytes; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

/** The gateway process's peak resident memory, from the kernel. */
async function peakRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

beforeAll(async () => {
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: String(perMinute),
  });
  await tend.waitForHttp(`${base}/readyz`);
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email,
      password: 'correct horse battery staple',
      displayName: 'Rpc',
      timezone: 'UTC',
    }),
  });
  expect(response.status).toBe(201);
  token = ((await response.json()) as { accessToken: string }).accessToken;
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

/** A second person, so these calls spend nobody else's per-person budget. */
async function registerAnother(): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `rpc-split-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Split',
      timezone: 'UTC',
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

describe('/rpc and the split health contract', () => {
  it('serves the public methods under the public service, and no internal method under any name', async () => {
    const own = await registerAnother();
    const auth = { authorization: `Bearer ${own}` };
    const publicCall = await post(
      `/rpc/${HealthPublicService.typeName}/${HealthPublicService.method.getUser.name}`,
      '{}',
      auth,
    );
    expect(publicCall.status).toBe(200);
    expect(JSON.parse(publicCall.body)).toMatchObject({ user: { displayName: 'Split' } });

    const publicNames = new Set(HealthPublicService.methods.map((method) => method.name));
    const internal = [
      ...HealthInternalService.methods.map((method) => `${HealthInternalService.typeName}/${method.name}`),
      // The whole contract's name still serves the public methods, and only those.
      ...HealthService.methods
        .filter((method) => !publicNames.has(method.name))
        .map((method) => `${HealthService.typeName}/${method.name}`),
    ];
    expect(internal).toContain(`${HealthInternalService.typeName}/CreateUser`);
    expect(internal).toContain(`${HealthService.typeName}/VerifyCredentials`);
    const refused: Record<string, number> = {};
    for (const path of internal) {
      const answer = await post(`/rpc/${path}`, JSON.stringify({ email: 'victim@example.test' }), auth);
      refused[path] = answer.status;
    }
    expect(refused).toEqual(Object.fromEntries(internal.map((path) => [path, 404])));
  });
});

describe('/rpc before the body', () => {
  it('answers an anonymous call 401 without waiting for its body', async () => {
    const answer = await partialRequest(getUserPath, {}, Buffer.from('{"user'), 50 * 1024 * 1024);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'unauthenticated' });
  });

  it('answers a call with a forged token 401 without waiting for its body', async () => {
    const answer = await partialRequest(
      getUserPath,
      { authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA' },
      Buffer.from('{'),
      50 * 1024 * 1024,
    );
    expect(answer.status).toBe(401);
  });

  it('refuses a declared body over 1 MiB with 413 before reading it', async () => {
    const answer = await partialRequest(
      getUserPath,
      { authorization: `Bearer ${token}` },
      Buffer.from('{'),
      1024 * 1024 + 1,
    );
    expect(answer.status).toBe(413);
  });

  it('reads up to 4 MiB for a FHIR import, and no more', async () => {
    const padding = 'x'.repeat(2 * 1024 * 1024);
    const bundle = JSON.stringify({
      bundleJson: JSON.stringify({ resourceType: 'Bundle', type: 'collection', padding }),
    });
    const twoMiB = await post(importFhirPath, bundle, { authorization: `Bearer ${token}` });
    expect(twoMiB.status).not.toBe(413);
    const tooLarge = await partialRequest(
      importFhirPath,
      { authorization: `Bearer ${token}` },
      Buffer.from('{'),
      4 * 1024 * 1024 + 1,
    );
    expect(tooLarge.status).toBe(413);
  });

  it('never inflates a gzip bomb, signed in or not, and the gateway’s memory stays put', async () => {
    const bomb = await gzipBomb(512 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = await peakRssBytes(tend.child.pid!);
    const anonymous = await post(getUserPath, bomb, { 'content-encoding': 'gzip' });
    expect(anonymous.status).toBe(401);
    const signedIn = await post(getUserPath, bomb, {
      authorization: `Bearer ${token}`,
      'content-encoding': 'gzip',
    });
    expect(signedIn.status).toBe(415);
    expect(signedIn.body).toContain('uncompressed');
    const grpcWeb = await post(getUserPath, bomb, {
      authorization: `Bearer ${token}`,
      'content-type': 'application/grpc-web+proto',
      'grpc-encoding': 'gzip',
    });
    expect(grpcWeb.status).toBe(415);
    const after = await peakRssBytes(tend.child.pid!);
    // Inflating the bomb would have pushed the peak up by half a gigabyte.
    expect(after - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('still serves a signed-in call', async () => {
    const answer = await post(getUserPath, '{}', { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ user: { displayName: 'Rpc' } });
  });

  it('sends no-store on token, record and /rpc answers, and no profile with tokens', async () => {
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.headers.get('cache-control')).toBe('no-store');
    const rpc = await fetch(`${base}${getUserPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rpc.headers.get('cache-control')).toBe('no-store');
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery staple' }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const { user } = (await login.json()) as { user: Record<string, unknown> };
    expect(user.id).toBeDefined();
    expect(user.profile).toBeUndefined();
  });

  // Last: it spends this address's anonymous budget.
  it('limits anonymous calls per address, and a signed-in person keeps their own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= perMinute; i++) statuses.push((await post(getUserPath, '{}')).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect((await post(getUserPath, '{}', { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});
