import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, grpcHealth, testPorts, testServiceIdentity } from './tend-process.js';

// An internal gRPC port as someone who reached it meets it: naming a caller in the payload
// proves nothing; only a service token signed by a key the service trusts does.
const base = `http://127.0.0.1:${testPorts.gateway}`;
let tend: TendProcess;
let trusted: Awaited<ReturnType<typeof testServiceIdentity>>;
let victimId = '';

const healthAt = (interceptors: Parameters<typeof createGrpcTransport>[0]['interceptors'] = []) =>
  createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${testPorts.health}`, interceptors }));

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to be refused');
}

beforeAll(async () => {
  trusted = await testServiceIdentity();
  tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn', ...trusted.env });
  await tend.waitForHttp(`${base}/readyz`);
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `victim-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Victim',
    }),
  });
  victimId = ((await response.json()) as { user: { id: string } }).user.id;
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
});

describe('internal gRPC ports', () => {
  const forged = {
    service: create(CallerSchema, { role: Role.SERVICE, service: 'gateway' }),
    admin: () => create(CallerSchema, { role: Role.ADMIN, userId: '00000000-0000-4000-8000-00000000a001' }),
    person: () => create(CallerSchema, { role: Role.USER, userId: victimId }),
  };

  it('refuses a caller named in the payload without a service token, whatever its role', async () => {
    const health = healthAt();
    for (const caller of [forged.service, forged.admin(), forged.person()]) {
      const error = await refusal(health.getUser({ caller, userId: victimId }));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const credentials = await refusal(
      health.verifyCredentials({ caller: forged.service, email: 'x@example.test', password: 'guess' }),
    );
    expect(credentials.code).toBe(Code.Unauthenticated);
  });

  it('refuses a token signed by a key the service does not trust', async () => {
    const stranger = await testServiceIdentity('gateway');
    const error = await refusal(healthAt([stranger.interceptor]).getUser({ caller: forged.service, userId: victimId }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it('serves a service that proves who it is', async () => {
    const { user } = await healthAt([trusted.interceptor]).getUser({ caller: forged.service, userId: victimId });
    expect(user?.displayName).toBe('Victim');
  });

  it('leaves the standard health check open for probes and balancers', async () => {
    expect(await grpcHealth(testPorts.health)).toBe('SERVING');
  });
});
