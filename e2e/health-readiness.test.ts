import { freePort, realInfra, requireInfra, tcpProxy, type TcpProxy } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, sharedClusterEnv } from './real-cluster.js';
import { TendProcess, grpcHealth, testPorts } from './tend-process.js';

// Two health instances behind one gateway; one loses its database (a proxy in front of the real
// PostgreSQL is cut) but keeps running. Its gRPC health must say so, and the gateway's balancer
// must send even calls it never retries (recording a reading) to the other instance.
const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)',
  infra.databaseUrl && infra.redisUrl,
);

/** The balancer asks each instance for its health every 5 s (BalancedTransport's default). */
const balancerHealthCheckMs = 5_000;

describe.runIf(ready)('a health instance that loses its database', () => {
  const healthPorts: number[] = [];
  const healths: TendProcess[] = [];
  let proxy: TcpProxy;
  let gateway: TendProcess;
  const base = `http://127.0.0.1:${testPorts.gateway}`;

  beforeAll(async () => {
    const shared = await sharedClusterEnv(infra, { RATE_LIMIT_PER_MINUTE: '100000' });
    const database = new URL(infra.databaseUrl!);
    proxy = await tcpProxy({ host: database.hostname, port: Number(database.port) });
    const throughProxy = new URL(infra.databaseUrl!);
    throughProxy.port = String(proxy.port);
    // Both at once: each process takes a while to start on a busy machine.
    await Promise.all(
      [throughProxy.toString(), infra.databaseUrl!].map(async (databaseUrl, i) => {
        const port = await freePort();
        const adminPort = await freePort();
        healthPorts[i] = port;
        healths[i] = await TendProcess.start(['serve', '--target=health'], {
          ...shared,
          DATABASE_URL: databaseUrl,
          HEALTH_PORT: String(port),
          ADMIN_PORT: String(adminPort),
        });
        await healths[i].waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, 120_000);
      }),
    );
    gateway = await TendProcess.start(['serve', '--target=gateway'], {
      ...shared,
      HEALTH_URLS: healthPorts.map((p) => `http://127.0.0.1:${p}`).join(','),
    });
    await gateway.waitForHttp(`${base}/readyz`, 120_000);
  }, 300_000);
  afterAll(async () => {
    await proxy?.restore();
    // Every process is stopped before anything is asserted, so a failure leaves none behind.
    const [gatewayExit] = await Promise.all([gateway?.stop(), ...healths.map((h) => h.stop())]);
    await proxy?.close();
    expect(gatewayExit).toBe(0);
  });

  it('says NOT_SERVING while cut off, is routed around, and serves again once its database is back', async () => {
    const headers = {
      authorization: `Bearer ${await registerPerson(base, 'readiness')}`,
      'content-type': 'application/json',
    };
    expect(await grpcHealth(healthPorts[0]!)).toBe('SERVING');
    expect(await grpcHealth(healthPorts[1]!)).toBe('SERVING');

    // Reads keep flowing from before the cut until after the balancer has seen it.
    const readStatuses: number[] = [];
    let reading = true;
    const reads = (async () => {
      while (reading) {
        const response = await fetch(`${base}/api/v1/me`, { headers });
        readStatuses.push(response.status);
        await response.arrayBuffer();
      }
    })();

    await proxy.cut();
    await expect.poll(() => grpcHealth(healthPorts[0]!), { timeout: 15_000, interval: 200 }).toBe('NOT_SERVING');
    expect(healths[0]!.child.exitCode, 'the cut-off instance is still running').toBeNull();
    expect(await grpcHealth(healthPorts[1]!)).toBe('SERVING');

    // Once the balancer has asked again, a call it never retries goes only to the healthy one.
    await new Promise((resolve) => setTimeout(resolve, balancerHealthCheckMs + 1_000));
    const writes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${base}/api/v1/vitals`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ kind: 'heart_rate', value: 60 + i }),
      });
      writes.push(response.status);
      await response.arrayBuffer();
    }
    reading = false;
    await reads;
    expect(writes.filter((s) => s !== 201)).toEqual([]);
    expect(readStatuses.length).toBeGreaterThan(10);
    expect(readStatuses.filter((s) => s !== 200)).toEqual([]);

    const listed = await fetch(`${base}/api/v1/vitals?kind=heart_rate&limit=100`, { headers });
    expect(listed.status).toBe(200);
    const values = ((await listed.json()) as { items: { value: number }[] }).items.map((v) => v.value);
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 60 + i));

    await proxy.restore();
    await expect.poll(() => grpcHealth(healthPorts[0]!), { timeout: 15_000, interval: 200 }).toBe('SERVING');
  });
});
