import { randomBytes } from 'node:crypto';
import { freePort, realInfra, requireInfra } from '@tend/testing';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// Two health-service instances behind one gateway, as in a cluster; one dies under traffic.
const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)',
  infra.databaseUrl && infra.redisUrl,
);

describe.runIf(ready)('a health instance killed under steady traffic', () => {
  const healthPorts: number[] = [];
  const healths: TendProcess[] = [];
  let gateway: TendProcess;
  const base = `http://127.0.0.1:${testPorts.gateway}`;

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const shared = {
      LOG_LEVEL: 'warn',
      DATABASE_URL: infra.databaseUrl!,
      REDIS_URL: infra.redisUrl!,
      TEND_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      TEND_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      TEND_JWT_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'e2e' }]),
      RATE_LIMIT_PER_MINUTE: '100000',
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const adminPort = await freePort();
      healthPorts.push(port);
      const health = await TendProcess.start(['serve', '--target=health'], {
        ...shared,
        HEALTH_PORT: String(port),
        ADMIN_PORT: String(adminPort),
      });
      await health.waitForHttp(`http://127.0.0.1:${adminPort}/readyz`);
      healths.push(health);
    }
    gateway = await TendProcess.start(['serve', '--target=gateway'], {
      ...shared,
      HEALTH_URLS: healthPorts.map((p) => `http://127.0.0.1:${p}`).join(','),
    });
    await gateway.waitForHttp(`${base}/readyz`);
  }, 120_000);
  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
    await Promise.all(healths.map((h) => h.stop()));
  });

  it('fails no idempotent request', async () => {
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `failover-${Date.now()}@example.test`,
        password: 'correct horse battery staple',
        displayName: 'F',
      }),
    });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const headers = { authorization: `Bearer ${accessToken}` };

    const statuses: number[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const [me, medications] = await Promise.all([
          fetch(`${base}/api/v1/me`, { headers }),
          fetch(`${base}/api/v1/medications`, { headers }),
        ]);
        statuses.push(me.status, medications.status);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    healths[0]!.child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stop = true;
    await Promise.all(workers);

    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const admin = await fetch(`${base}/readyz`);
    expect(admin.status).toBe(200);
  });
});
