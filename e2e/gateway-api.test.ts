import http from 'node:http';
import { create } from '@bufbuild/protobuf';
import { Code, createClient, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeAccess } from '@tend/gateway';
import { TendProcess, testPorts, testServiceIdentity } from './tend-process.js';

// The public API as a client sees it, through the whole binary: who may reach what, and how
// bad input is answered.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const api = `${base}/api/v1`;

interface Persona {
  id: string;
  token: string;
  refreshToken: string;
}

async function call(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    // JSON.parse's `any`: bodies are checked by the assertions that read them.
    json: text ? JSON.parse(text) : undefined,
  };
}

let tend: TendProcess;
let seq = 0;

async function register(name: string): Promise<Persona> {
  const email = `${name}-${Date.now()}-${++seq}@example.test`;
  const { status, json } = await call('POST', '/auth/register', undefined, {
    email,
    password: 'correct horse battery staple',
    displayName: name,
    timezone: 'Europe/Berlin',
  });
  expect(status).toBe(201);
  return { id: json.user.id, token: json.accessToken, refreshToken: json.refreshToken, email } as Persona & {
    email: string;
  };
}

/** Roles are changed by an admin through the health service; the person signs in again for a token with it. */
async function withRole(persona: Persona & { email?: string }, role: Role): Promise<Persona> {
  const health = createClient(
    HealthService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${testPorts.health}`, interceptors: [identity.interceptor] }),
  );
  const operator = create(CallerSchema, { role: Role.ADMIN, userId: persona.id });
  await health.setUserRole({ caller: operator, userId: persona.id, role });
  // An address proven by an admin's word, so invitations to it can be seen and accepted.
  await health.verifyEmail({ caller: operator, userId: persona.id });
  const { json } = await call('POST', '/auth/login', undefined, {
    email: persona.email,
    password: 'correct horse battery staple',
  });
  return { id: persona.id, token: json.accessToken, refreshToken: json.refreshToken };
}

let identity: Awaited<ReturnType<typeof testServiceIdentity>>;

beforeAll(async () => {
  identity = await testServiceIdentity();
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000',
    ...identity.env,
  });
  await tend.waitForHttp(`${base}/readyz`);
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

/** Connect and gRPC-Web clients of the health contract through the gateway's /rpc. */
const clients = (token?: string) => {
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  const auth: Interceptor = (next) => (request) => {
    if (headers) request.header.set('authorization', headers.authorization);
    return next(request);
  };
  return {
    connect: createClient(
      HealthService,
      createConnectTransport({ baseUrl: `${base}/rpc`, httpVersion: '1.1', interceptors: [auth] }),
    ),
    grpcWeb: createClient(
      HealthService,
      createGrpcWebTransport({ baseUrl: `${base}/rpc`, httpVersion: '1.1', interceptors: [auth] }),
    ),
  };
};

describe('authorization: every route × who calls it', () => {
  const people: Record<string, Persona> = {};
  let vitalId = '';
  let medicationId = '';

  beforeAll(async () => {
    const owner = await register('owner');
    people.owner = owner;
    people.other = await register('other');
    people.caregiverWithScope = await withRole(await register('carer'), Role.CAREGIVER);
    people.caregiverWithoutScope = await withRole(await register('carer2'), Role.CAREGIVER);
    people.admin = await withRole(await register('admin'), Role.ADMIN);
    const carerEmail = (await call('GET', '/me', people.caregiverWithScope.token)).json.email as string;
    const carer2Email = (await call('GET', '/me', people.caregiverWithoutScope.token)).json.email as string;
    // Access is an invitation the caregiver accepts; inviting answers 202 whatever the address.
    const invite = async (email: string, scopes: string[]) => {
      const sent = await call('POST', '/caregivers/invitations', owner.token, { email, scopes });
      expect(sent.status).toBe(202);
      return sent.json.id as string;
    };
    const first = await invite(carerEmail, ['read_vitals', 'read_medications']);
    const second = await invite(carer2Email, ['receive_missed_dose_alerts']);
    const received = await call('GET', '/invitations', people.caregiverWithScope.token);
    expect(received.json.items.map((i: { id: string }) => i.id)).toEqual([first]);
    expect((await call('POST', `/invitations/${first}/accept`, people.caregiverWithScope.token)).status).toBe(200);
    expect((await call('POST', `/invitations/${second}/accept`, people.caregiverWithoutScope.token)).status).toBe(200);
    vitalId = (await call('POST', '/vitals', owner.token, { kind: 'heart_rate', value: 61 })).json.id;
    medicationId = (
      await call('POST', '/medications', owner.token, {
        name: 'Metformin',
        dose: 500,
        unit: 'mg',
        schedule: { times: ['08:00'] },
      })
    ).json.id;
  }, 60_000);

  type Who = 'anonymous' | 'owner' | 'other' | 'caregiverWithScope' | 'caregiverWithoutScope' | 'admin';
  const everyone: Who[] = ['anonymous', 'owner', 'other', 'caregiverWithScope', 'caregiverWithoutScope', 'admin'];
  // Who gets a 2xx; everyone else must get a 4xx without the owner's data. An admin reaches
  // another person's health data only in break-glass mode (its own tests below).
  const cases: { route: string; request: () => [string, string, unknown?]; allowed: Who[] }[] = [
    {
      route: 'GET /vitals/:id',
      request: () => ['GET', `/vitals/${vitalId}`],
      allowed: ['owner', 'caregiverWithScope'],
    },
    { route: 'DELETE /vitals/:id', request: () => ['DELETE', `/vitals/${vitalId}`], allowed: [] },
    {
      route: 'GET /medications/:id',
      request: () => ['GET', `/medications/${medicationId}`],
      allowed: ['owner', 'caregiverWithScope'],
    },
    {
      route: 'PATCH /medications/:id',
      request: () => ['PATCH', `/medications/${medicationId}`, { instructions: 'with food' }],
      allowed: ['owner'],
    },
    { route: 'DELETE /medications/:id', request: () => ['DELETE', `/medications/${medicationId}`], allowed: [] },
    {
      route: 'POST /medications/:id/doses',
      request: () => [
        'POST',
        `/medications/${medicationId}/doses`,
        { status: 'skipped', scheduledAt: '2020-01-01T07:00:00Z' },
      ],
      allowed: [],
    },
    {
      route: 'GET /patients/:id/vitals',
      request: () => ['GET', `/patients/${people.owner!.id}/vitals`],
      allowed: ['caregiverWithScope'],
    },
    {
      route: 'GET /patients/:id/medications',
      request: () => ['GET', `/patients/${people.owner!.id}/medications`],
      allowed: ['caregiverWithScope'],
    },
    {
      route: 'GET /patients/:id/adherence',
      request: () => ['GET', `/patients/${people.owner!.id}/adherence`],
      allowed: ['caregiverWithScope'],
    },
    {
      route: 'GET /patients',
      request: () => ['GET', '/patients'],
      allowed: ['caregiverWithScope', 'caregiverWithoutScope', 'admin'],
    },
    { route: 'GET /admin/status', request: () => ['GET', '/admin/status'], allowed: ['admin'] },
    { route: 'GET /me', request: () => ['GET', '/me'], allowed: everyone.filter((w) => w !== 'anonymous') },
    { route: 'GET /vitals', request: () => ['GET', '/vitals'], allowed: everyone.filter((w) => w !== 'anonymous') },
    {
      route: 'GET /medications',
      request: () => ['GET', '/medications'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
    { route: 'GET /doses', request: () => ['GET', '/doses'], allowed: everyone.filter((w) => w !== 'anonymous') },
    {
      route: 'GET /adherence',
      request: () => ['GET', '/adherence'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
    {
      route: 'GET /caregivers',
      request: () => ['GET', '/caregivers'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
    {
      route: 'GET /caregivers/invitations',
      request: () => ['GET', '/caregivers/invitations'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
    {
      route: 'GET /vitals/summary',
      request: () => ['GET', '/vitals/summary?kind=heart_rate'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
    {
      route: 'GET /fhir/export',
      request: () => ['GET', '/fhir/export'],
      allowed: everyone.filter((w) => w !== 'anonymous'),
    },
  ];

  it.each(cases)('$route', async ({ request, allowed }) => {
    for (const who of everyone) {
      // Destructive routes are only tried by those who must be refused.
      if (allowed.length === 0 && (who === 'owner' || who === 'admin')) continue;
      const [method, path, body] = request();
      const response = await call(method, path, who === 'anonymous' ? undefined : people[who]!.token, body);
      if (allowed.includes(who)) {
        expect(response.status, `${who} ${method} ${path}: ${response.text}`).toBeLessThan(300);
      } else {
        expect(response.status, `${who} ${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${who} ${method} ${path}`).toBeLessThan(500);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        if (who === 'anonymous') expect(response.status).toBe(401);
        // No leak: a refusal never carries the owner's record.
        expect(response.text).not.toContain('Metformin');
        expect(response.text).not.toContain('"value":61');
      }
    }
  });

  it('lets an admin see health data only in break-glass mode, with a reason that is audited and counted', async () => {
    const owner = people.owner!;
    const admin = people.admin!;
    const refused = await call('GET', `/patients/${owner.id}/vitals`, admin.token);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('break-glass');
    expect(refused.text).not.toContain('"value":61');
    const short = await call('GET', `/patients/${owner.id}/vitals`, admin.token, undefined, {
      'tend-break-glass': 'why',
    });
    expect(short.status).toBe(400);
    expect(short.json.errors).toEqual([{ field: 'tend-break-glass', message: expect.stringContaining('10 to 500') }]);
    const counted = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('tend_break_glass_accesses_total{resource="vitals"}'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await counted();
    const reason = 'ticket 4711: patient unconscious in the ER, the doctor needs the readings';
    const allowed = await call('GET', `/patients/${owner.id}/vitals`, admin.token, undefined, {
      'tend-break-glass': reason,
    });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.text).toContain('"value":61');
    expect(await counted()).toBe(before + 1);
    // The person sees in their own audit log that an admin broke the glass, and why.
    const log = await clients(owner.token).connect.listAuditEvents({ actorUserId: admin.id });
    expect(log.events.map((e) => [e.resource, e.allowed, e.breakGlassReason])).toEqual(
      expect.arrayContaining([
        ['vitals', true, reason],
        ['vitals', false, ''],
      ]),
    );
    // A person's header means nothing: a caregiver without the scope stays refused.
    const notAdmin = await call('GET', `/patients/${owner.id}/vitals`, people.caregiverWithoutScope!.token, undefined, {
      'tend-break-glass': reason,
    });
    expect(notAdmin.status).toBe(403);
  });

  it('refuses an admin health data through /rpc unless the call carries a break-glass reason', async () => {
    const owner = people.owner!;
    const admin = clients(people.admin!.token).connect;
    await expect(admin.listVitals({ userId: owner.id })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(admin.exportFhir({ userId: owner.id })).rejects.toMatchObject({ code: Code.PermissionDenied });
    const reason = 'ticket 4712: data request from the care team, approved';
    const { vitals } = await admin.listVitals({ userId: owner.id }, { headers: { 'tend-break-glass': reason } });
    expect(vitals.map((v) => v.value)).toContain(61);
  });

  it("never lists someone else's records in one's own lists", async () => {
    for (const who of ['other', 'caregiverWithScope', 'admin'] as const) {
      const vitals = await call('GET', '/vitals', people[who]!.token);
      expect(vitals.text).not.toContain(vitalId);
      const medications = await call('GET', '/medications', people[who]!.token);
      expect(medications.text).not.toContain(medicationId);
    }
  });

  it('refuses to let a person make themselves admin through PATCH /me', async () => {
    const response = await call('PATCH', '/me', people.other!.token, { role: 'admin', displayName: 'Mallory' });
    expect(response.status).toBe(400);
    expect(response.json.errors).toContainEqual({ field: 'role', message: 'is not a known field' });
    expect((await call('GET', '/me', people.other!.token)).json.role).toBe('user');
  });
});

describe('tokens', () => {
  it('rotates refresh tokens, and a reused one revokes the whole session', async () => {
    const person = await register('rotating');
    const first = await call('POST', '/auth/refresh', undefined, { refreshToken: person.refreshToken });
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).not.toBe(person.refreshToken);
    const reused = await call('POST', '/auth/refresh', undefined, { refreshToken: person.refreshToken });
    expect(reused.status).toBe(401);
    // The family is gone: the token the legitimate client got is refused too, and so are its access tokens.
    expect((await call('POST', '/auth/refresh', undefined, { refreshToken: first.json.refreshToken })).status).toBe(
      401,
    );
    expect((await call('GET', '/me', first.json.accessToken)).status).toBe(401);
  });

  it('ends a session at logout', async () => {
    const person = await register('leaving');
    expect((await call('POST', '/auth/logout', person.token)).status).toBe(204);
    expect((await call('GET', '/me', person.token)).status).toBe(401);
    expect((await call('POST', '/auth/refresh', undefined, { refreshToken: person.refreshToken })).status).toBe(401);
  });

  it('answers a wrong password and an unknown e-mail alike', async () => {
    const person = (await register('guarded')) as Persona & { email: string };
    const wrong = await call('POST', '/auth/login', undefined, {
      email: person.email,
      password: 'not the password at all',
    });
    const unknown = await call('POST', '/auth/login', undefined, {
      email: 'nobody@example.test',
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.detail).toBe(unknown.json.detail);
  });

  it('slows password guessing: the 6th login attempt of a minute on one account gets 429', async () => {
    const person = (await register('guessed')) as Persona & { email: string };
    const attempt = () =>
      call('POST', '/auth/login', undefined, { email: person.email, password: 'wrong password guess' });
    for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(401);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses a forged token: alg none, or a payload changed after signing', async () => {
    const person = await register('forger');
    const [header, payload, signature] = person.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect((await call('GET', '/admin/status', `${header}.${raised}.${signature}`)).status).toBe(401);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    expect((await call('GET', '/me', `${none}.${raised}.`)).status).toBe(401);
  });

  it('publishes its public keys and nothing private', async () => {
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });
});

describe('bad input gets a 4xx problem, never a 5xx, and the process stays healthy', () => {
  let token = '';
  beforeAll(async () => {
    token = (await register('fuzzer')).token;
  });

  /**
   * POSTs raw bytes, or only a length (`announced`) with none of the body; a server may answer
   * (413) and close before the upload ends, which is not a failure.
   */
  const raw = (body: string | Buffer | { announced: number }, contentType = 'application/json') =>
    new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
      const announced = typeof body === 'object' && 'announced' in body ? body.announced : undefined;
      let answered = false;
      const request = http.request(
        `${api}/vitals`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': contentType,
            'content-length': announced ?? Buffer.byteLength(body as string | Buffer),
          },
        },
        (response) => {
          answered = true;
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () =>
            resolve({ status: response.statusCode!, contentType: String(response.headers['content-type']), text }),
          );
        },
      );
      // The answer can come just after the write fails (EPIPE): wait a moment for it.
      request.on('error', (error) => setTimeout(() => answered || reject(error), 1_000));
      if (announced !== undefined) request.flushHeaders();
      else request.end(body);
    });

  it.each([
    ['malformed JSON', '{"kind": "heart_rate", "value": '],
    ['wrong types', JSON.stringify({ kind: 'heart_rate', value: 'seventy' })],
    ['an unknown field', JSON.stringify({ kind: 'heart_rate', value: 70, userId: 'someone-else' })],
    ['an unknown kind', JSON.stringify({ kind: 'mood', value: 3 })],
    ['an impossible reading', JSON.stringify({ kind: 'blood_pressure', systolic: 900, diastolic: 80 })],
    ['deep nesting', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6b, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    // Announced, not sent: the gateway refuses it from its length and closes the connection, and
    // bytes still in flight would make the peer's reset race the answer.
    ['a 10 MB body', { announced: 10 * 1024 * 1024 }],
    ['the wrong media type', 'kind=heart_rate&value=70', 'application/x-www-form-urlencoded'],
  ])('%s', async (_name, body, contentType?: string) => {
    const response = await raw(body, contentType);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.contentType).toContain('application/problem+json');
    const problem = JSON.parse(response.text) as { status: number; detail: string };
    expect(problem.status).toBe(response.status);
    expect(JSON.stringify(problem)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('names every field at fault', async () => {
    const response = await call('POST', '/medications', token, {
      name: '',
      dose: -1,
      unit: 'mg',
      schedule: { times: ['25:00'] },
    });
    expect(response.status).toBe(400);
    const fields = (response.json.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['dose', 'name', 'schedule.times.0']);
  });
});

describe('errors name each field as the client sent it, whichever side found it', () => {
  let token = '';
  beforeAll(async () => {
    token = (await register('names')).token;
  });

  const fieldsOf = (response: { json: { errors?: { field: string }[] } }) =>
    (response.json.errors ?? []).map((error) => error.field);

  it('medications: a unit outside the list is `unit`, an end before the start `endDate`', async () => {
    const badUnit = await call('POST', '/medications', token, {
      name: 'Aspirin',
      dose: 100,
      unit: 'kg',
      schedule: { times: ['08:00'] },
    });
    expect(badUnit.status).toBe(400);
    expect(fieldsOf(badUnit)).toEqual(['unit']);
    const created = await call('POST', '/medications', token, {
      name: 'Aspirin',
      dose: 100,
      unit: 'mg',
      schedule: { times: ['08:00'] },
      startDate: '2030-01-10',
    });
    expect(created.status).toBe(201);
    const backwards = await call('PATCH', `/medications/${created.json.id}`, token, { endDate: '2030-01-01' });
    expect(backwards.status).toBe(400);
    expect(fieldsOf(backwards)).toEqual(['endDate']);
    expect(backwards.text).not.toMatch(/end_date|dose_unit/);
  });

  it.each(['/vitals', '/medications', '/caregivers', '/appointments'])(
    'lists (%s): a cursor the list did not hand out is `cursor`, not page.cursor',
    async (path) => {
      const response = await call('GET', `${path}?cursor=not-a-cursor`, token);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual(['cursor']);
    },
  );

  it('vitals: a reading from the future is `measuredAt`', async () => {
    const response = await call('POST', '/vitals', token, {
      kind: 'heart_rate',
      value: 70,
      measuredAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['measuredAt']);
  });

  it('vitals: the fields of another kind are refused by name', async () => {
    const response = await call('POST', '/vitals', token, { kind: 'spo2', value: 97, systolic: 120 });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['systolic']);
  });

  it.each([
    ['POST', '/vitals', { kind: 'heart_rate', value: 70, note: 'x'.repeat(1001) }, ['note']],
    [
      'POST',
      '/appointments',
      { title: 't'.repeat(201), start: '2030-01-10T10:00', notes: 'n'.repeat(2001), location: 'l'.repeat(301) },
      ['location', 'notes', 'title'],
    ],
    ['PUT', '/notification-preferences', { language: 'fr', followUpMinutes: 241 }, ['followUpMinutes', 'language']],
    ['POST', `/devices/${crypto.randomUUID()}/verify`, { code: '12345' }, ['code']],
    ['PUT', '/me/place', { location: 'x'.repeat(121) }, ['location']],
    ['PUT', '/calendar/caldav', { url: 'https://dav.example.test/', username: 'ada', password: '' }, ['password']],
  ])('the contract’s limits: %s %s names the fields as sent, in a problem', async (method, path, body, fields) => {
    const response = await call(method, path, token, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(response).sort()).toEqual(fields);
  });

  it('account: a time zone that is not one is `timezone`, not time_zone', async () => {
    const response = await call('PATCH', '/me', token, { timezone: 'Mars/Olympus_Mons' });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['timezone']);
  });
});

describe('methods', () => {
  it('answers a method a path does not serve with 405 and the methods it does', async () => {
    const response = await call('PUT', '/me', undefined, {});
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('DELETE, GET, PATCH');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await call('GET', '/no-such-thing')).status).toBe(404);
  });

  it('answers a method the router would give a templated route by the path item the path is', async () => {
    const response = await call('DELETE', '/vitals/summary');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect((await call('PATCH', '/appointments/import', undefined, {})).headers.get('allow')).toBe('POST');
  });

  it('refuses an over-long path parameter by its schema (400), not with the router’s own 414', async () => {
    const response = await call('GET', `/calendar/feed/${'0'.repeat(200)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('deleting an account', () => {
  it('ends its sessions and its data, and frees its e-mail address', async () => {
    const person = (await register('leaving')) as Persona & { email: string };
    expect((await call('POST', '/vitals', person.token, { kind: 'heart_rate', value: 64 })).status).toBe(201);
    expect((await call('DELETE', '/me', person.token)).status).toBe(204);
    expect((await call('GET', '/vitals', person.token)).status).toBe(401);
    const login = await call('POST', '/auth/login', undefined, {
      email: person.email,
      password: 'correct horse battery staple',
    });
    expect(login.status).toBe(401);
    const again = await call('POST', '/auth/register', undefined, {
      email: person.email,
      password: 'correct horse battery staple',
      displayName: 'Back',
    });
    expect(again.status).toBe(201);
    expect((await call('GET', '/vitals', again.json.accessToken)).json.items).toEqual([]);
  });
});

describe('the API document', () => {
  it('lists every route of the API', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, object>;
    };
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/vitals',
      '/api/v1/vitals/{id}',
      '/api/v1/medications/{id}/doses',
      '/api/v1/auth/refresh',
      '/api/v1/admin/status',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect((await fetch(`${base}/docs`)).status).toBeLessThan(400);
  });

  it('describes every route of the access table with every status it can answer', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
      components: { responses: Record<string, unknown> };
    };
    const hidden = new Set(['GET /api/v1/actions/:token']);
    for (const [route, access] of Object.entries(routeAccess)) {
      if (hidden.has(route)) continue;
      const [method, url] = route.split(' ') as [string, string];
      const operation = document.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(operation, route).toBeDefined();
      const statuses = Object.keys(operation!.responses);
      if (url.startsWith('/api/')) expect(statuses, route).toEqual(expect.arrayContaining(['429', '503']));
      if (access === 'anyone') expect(operation!.security, route).toEqual([]);
      else expect(statuses, route).toEqual(expect.arrayContaining(['401', '403', '404']));
      if (!['GET', 'HEAD'].includes(method)) expect(statuses, route).toEqual(expect.arrayContaining(['413', '415']));
    }
    expect(Object.keys(document.components.responses)).toContain('BadRequest');
  });

  it('states what the server enforces: units, password length, a reading per kind', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody: { content: { 'application/json': { schema: JsonSchema } } } }>
      >;
    };
    const body = (path: string, method: string) =>
      document.paths[path]![method]!.requestBody.content['application/json'].schema;
    expect(body('/api/v1/medications', 'post').properties!.unit!.enum).toContain('mg');
    expect(body('/api/v1/auth/register', 'post').properties!.password!.minLength).toBe(10);
    const kinds = body('/api/v1/vitals', 'post').oneOf!;
    const bloodPressure = kinds.find((option) => option.properties!.kind!.enum?.includes('blood_pressure'))!;
    expect(bloodPressure.required).toEqual(expect.arrayContaining(['systolic', 'diastolic']));
    expect(
      kinds.filter((option) => option !== bloodPressure).every((option) => option.required!.includes('value')),
    ).toBe(true);
  });

  it('documents Tend-Break-Glass where an admin may reach another person’s health data, and the 403 without it', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string; schema: JsonSchema }[]; responses: object }>
      >;
    };
    for (const path of ['/api/v1/patients/{id}/vitals', '/api/v1/patients/{id}/medications']) {
      const operation = document.paths[path]!.get!;
      const header = operation.parameters?.find((p) => p.in === 'header' && p.name === 'tend-break-glass');
      expect(header, path).toBeDefined();
      expect(header!.schema).toMatchObject({ minLength: 10, maxLength: 500 });
      expect(JSON.stringify(operation.responses['403' as keyof object])).toContain('Tend-Break-Glass');
    }
  });
});

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  required?: string[];
  oneOf?: JsonSchema[];
}

describe('Connect and gRPC-Web under /rpc', () => {
  let owner: Persona;
  let other: Persona;
  beforeAll(async () => {
    owner = await register('rpc-owner');
    other = await register('rpc-other');
    expect((await call('POST', '/vitals', owner.token, { kind: 'heart_rate', value: 64 })).status).toBe(201);
  });

  it.each(['connect', 'grpcWeb'] as const)(
    'serves %s with the token’s caller, whatever caller the request names',
    async (protocol) => {
      const mine = await clients(owner.token)[protocol].listVitals({});
      expect(mine.vitals.map((v) => v.value)).toEqual([64]);
      // Another person naming the owner as caller still gets only their own (empty) list.
      const spoofed = await clients(other.token)[protocol].listVitals({
        caller: { userId: owner.id, role: Role.ADMIN },
      });
      expect(spoofed.vitals).toEqual([]);
    },
  );

  it('refuses calls without a token, and internal-only methods', async () => {
    await expect(clients().connect.listVitals({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(
      clients(owner.token).connect.verifyCredentials({ email: 'x@example.test', password: 'y' }),
    ).rejects.toMatchObject({ code: Code.Unimplemented });
    await expect(
      clients(owner.token).connect.setUserRole({ userId: owner.id, role: Role.ADMIN }),
    ).rejects.toMatchObject({ code: Code.Unimplemented });
  });
});
