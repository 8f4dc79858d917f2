import { freePort, realInfra, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, sharedClusterEnv, statusesAcross } from './real-cluster.js';
import { TendProcess } from './tend-process.js';

// Real nginx (the infra script's, configured like deploy/nginx: least_conn, max_fails=3
// fail_timeout=30s, keepalive, failover of requests that did not reach a gateway) in front of two
// gateway processes on the ports it expects; one gateway dies under traffic.
const infra = realInfra();
const ready = requireInfra(
  'nginx, PostgreSQL and Redis (TEST_NGINX_URL, TEST_DATABASE_URL, TEST_REDIS_URL)',
  infra.nginxUrl && infra.databaseUrl && infra.redisUrl,
);
const gatewayPorts = (process.env.TEND_INFRA_GATEWAY_PORTS ?? '18081,18082').split(',').map(Number);

describe.runIf(ready)('the nginx edge in front of two gateways', () => {
  let health: TendProcess;
  const gateways: TendProcess[] = [];

  beforeAll(async () => {
    const shared = await sharedClusterEnv(infra, { RATE_LIMIT_PER_MINUTE: '100000' });
    const healthPort = await freePort();
    const healthAdmin = await freePort();
    health = await TendProcess.start(['serve', '--target=health'], {
      ...shared,
      HEALTH_PORT: String(healthPort),
      ADMIN_PORT: String(healthAdmin),
    });
    await health.waitForHttp(`http://127.0.0.1:${healthAdmin}/readyz`);
    for (const port of gatewayPorts) {
      const gateway = await TendProcess.start(['serve', '--target=gateway'], {
        ...shared,
        GATEWAY_PORT: String(port),
        HEALTH_URLS: `http://127.0.0.1:${healthPort}`,
      });
      await gateway.waitForHttp(`http://127.0.0.1:${port}/readyz`);
      gateways.push(gateway);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await health?.stop();
  });

  it('keeps answering every request when one gateway is killed', async () => {
    const edge = infra.nginxUrl!;
    const token = await registerPerson(edge, 'edge');
    const statuses = await statusesAcross(
      () => fetch(`${edge}/api/v1/medications`, { headers: { authorization: `Bearer ${token}` } }),
      () => gateways[0]!.child.kill('SIGKILL'),
    );
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
