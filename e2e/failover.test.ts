import { freePort, realInfra, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, sharedClusterEnv, statusesAcross } from './real-cluster.js';
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
    const shared = await sharedClusterEnv(infra, { RATE_LIMIT_PER_MINUTE: '100000' });
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
    const headers = { authorization: `Bearer ${await registerPerson(base, 'failover')}` };
    let turn = 0;
    const statuses = await statusesAcross(
      () => fetch(`${base}/api/v1/${turn++ % 2 === 0 ? 'me' : 'medications'}`, { headers }),
      () => healths[0]!.child.kill('SIGKILL'),
    );
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
