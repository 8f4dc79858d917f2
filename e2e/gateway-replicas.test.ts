import { freePort, realInfra, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, sharedClusterEnv } from './real-cluster.js';
import { TendProcess, testPorts } from './tend-process.js';

// Two gateway replicas in front of one set of services, sharing PostgreSQL (login sessions) and
// Redis (rate limits), as they run behind the nginx edge in production.
const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)',
  infra.databaseUrl && infra.redisUrl,
);

describe.runIf(ready)('two gateway replicas sharing PostgreSQL and Redis', () => {
  let first: TendProcess;
  let second: TendProcess;
  let secondPort = 0;
  const firstUrl = `http://127.0.0.1:${testPorts.gateway}`;

  beforeAll(async () => {
    const shared = await sharedClusterEnv(infra, { RATE_LIMIT_PER_MINUTE: '100' });
    first = await TendProcess.start(['serve', '--target=all'], shared);
    await first.waitForHttp(`${firstUrl}/readyz`);
    secondPort = await freePort();
    second = await TendProcess.start(['serve', '--target=gateway'], {
      ...shared,
      GATEWAY_PORT: String(secondPort),
      ADMIN_PORT: String(await freePort()),
      HEALTH_URLS: `http://127.0.0.1:${testPorts.health}`,
    });
    await second.waitForHttp(`http://127.0.0.1:${secondPort}/readyz`);
  }, 120_000);
  afterAll(async () => {
    expect(await second?.stop()).toBe(0);
    expect(await first?.stop()).toBe(0);
  });

  it('lets a token from one replica work on the other, and refuses the 101st request of a minute across both', async () => {
    const accessToken = await registerPerson(firstUrl, 'replica');
    const replicas = [firstUrl, `http://127.0.0.1:${secondPort}`];
    const get = (i: number) =>
      fetch(`${replicas[i % 2]}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });

    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await get(i)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);

    const refused = await get(100);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(101)).status).toBe(429);
  });
});
