import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson } from './real-cluster.js';
import { TendProcess, grpcHealth, testPorts, testServiceIdentity } from './tend-process.js';

// SIGTERM with a drain grace (`SHUTDOWN_GRACE_MS`): health turns NOT_SERVING at once, so
// balancers and Kubernetes endpoints stop sending, while the process still serves every request
// that reaches it; only after the grace does it stop accepting. The grace is far longer than the
// checks need, so nothing here races it; the process then exits 0 on its own.
const graceMs = 30_000;
const base = `http://127.0.0.1:${testPorts.gateway}`;

describe('the drain grace after SIGTERM', () => {
  let tend: TendProcess;
  let identity: Awaited<ReturnType<typeof testServiceIdentity>>;

  beforeAll(async () => {
    identity = await testServiceIdentity();
    tend = await TendProcess.start(['serve', '--target=all'], {
      SHUTDOWN_GRACE_MS: String(graceMs),
      ...identity.env,
    });
    await tend.waitForHttp(`${base}/readyz`, 120_000);
  }, 150_000);

  afterAll(async () => {
    await tend?.stop();
  });

  it('says NOT_SERVING and keeps serving new calls until the grace ends, then exits 0', async () => {
    expect(await grpcHealth(testPorts.health)).toBe('SERVING');
    const signalledAt = Date.now();
    tend.child.kill('SIGTERM');
    await expect.poll(() => grpcHealth(testPorts.health), { timeout: 15_000, interval: 100 }).toBe('NOT_SERVING');
    expect(await grpcHealth(testPorts.external)).toBe('NOT_SERVING');
    expect((await fetch(`${base}/readyz`)).status).toBe(503);

    // New requests through the gateway, and a new gRPC call on the health port, all served.
    const token = await registerPerson(base, 'Drained');
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const user = (await me.json()) as { id: string };
    const health = createClient(
      HealthService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${testPorts.health}`, interceptors: [identity.interceptor] }),
    );
    const found = await health.getUser({
      caller: create(CallerSchema, { role: Role.SERVICE, service: 'gateway' }),
      userId: user.id,
    });
    expect(found.user?.displayName).toBe('Drained');
    // Still inside the grace when those were served: they were not let through by luck.
    expect(tend.child.exitCode).toBeNull();

    expect(await tend.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(graceMs);
    expect(tend.output).toContain('draining: NOT_SERVING, still serving');
  }, 90_000);
});
