import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { freePort, realInfra, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxBinary, startShippedEdge, type ShippedEdge } from '../scripts/infra/shipped-nginx.js';
import { registerPerson, sharedClusterEnv, statusesAcross } from './real-cluster.js';
import { TendProcess } from './tend-process.js';

// The nginx that ships (deploy/nginx/nginx.conf, only its addresses and paths made local by
// scripts/infra/shipped-nginx.ts) in front of two gateway processes on real PostgreSQL and Redis.
const infra = realInfra();
const ready = requireInfra(
  'nginx, PostgreSQL and Redis (an nginx binary, TEST_DATABASE_URL, TEST_REDIS_URL)',
  existsSync(nginxBinary()) && infra.databaseUrl && infra.redisUrl,
);

/** The TLS version the edge agrees to when the client offers only `version`, or the error. */
function negotiate(port: number, ca: string, version: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, minVersion: version, maxVersion: version }, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code ?? error.message}`));
  });
}

describe.runIf(ready)('the shipped nginx edge in front of two gateways', () => {
  let health: TendProcess;
  let edge: ShippedEdge;
  const gateways: TendProcess[] = [];
  const gatewayPorts: number[] = [];
  const adminPorts: number[] = [];
  const through = (path: string, init: RequestInit = {}) => edge.fetch(`${edge.httpsUrl}${path}`, init);

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
    for (let i = 0; i < 2; i += 1) {
      const port = await freePort();
      const admin = await freePort();
      // As the chart and the image run it: readiness and metrics on the admin port only.
      const gateway = await TendProcess.start(['serve', '--target=gateway'], {
        ...shared,
        GATEWAY_PORT: String(port),
        ADMIN_PORT: String(admin),
        OPS_ROUTES: 'admin',
        HEALTH_URLS: `http://127.0.0.1:${healthPort}`,
      });
      await gateway.waitForHttp(`http://127.0.0.1:${admin}/readyz`);
      gateways.push(gateway);
      gatewayPorts.push(port);
      adminPorts.push(admin);
    }
    edge = await startShippedEdge({
      gatewayPorts,
      httpPort: await freePort(),
      httpsPort: await freePort(),
      sorryPort: await freePort(),
    });
  }, 180_000);
  afterAll(async () => {
    await edge?.stop();
    await Promise.all(gateways.map((g) => g.stop()));
    await health?.stop();
  });

  it('speaks TLS 1.3 only, and redirects plain HTTP to HTTPS', async () => {
    const port = Number(new URL(edge.httpsUrl).port);
    expect(await negotiate(port, edge.certificate, 'TLSv1.3')).toBe('TLSv1.3');
    expect(await negotiate(port, edge.certificate, 'TLSv1.2')).toMatch(/^refused/);
    const plain = await fetch(`${edge.httpUrl}/api/v1/me`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toMatch(/^https:\/\//);
  });

  it('sends HSTS, nosniff and one request id on every response, errors included', async () => {
    for (const path of ['/healthz', '/api/v1/me', '/metrics']) {
      const response = await through(path, { headers: { 'x-request-id': 'edge-test-1' } });
      await response.arrayBuffer();
      expect(response.headers.get('strict-transport-security')).toBe('max-age=63072000');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-request-id')).toBe('edge-test-1');
    }
  });

  it('never serves metrics or readiness to the internet, on the edge or on the gateway port', async () => {
    for (const path of ['/metrics', '/readyz']) {
      const response = await through(path);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('tend_requests_total');
    }
    // The gateway's own public port answers liveness only; readiness and metrics are on its admin port.
    expect((await fetch(`http://127.0.0.1:${gatewayPorts[1]}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${gatewayPorts[1]}/readyz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${gatewayPorts[1]}/healthz`)).status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${adminPorts[1]}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('tend_requests_total');
    expect((await fetch(`http://127.0.0.1:${adminPorts[1]}/readyz`)).status).toBe(200);
    expect((await through('/healthz')).status).toBe(200);
  });

  it('refuses a flood from one address with 429 beyond the shipped rate and burst', async () => {
    const began = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 600 }, async () => {
        const response = await through('/healthz');
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const seconds = (Date.now() - began) / 1000;
    const passed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // deploy/nginx: rate=50r/s, burst=100 nodelay. However slow the machine, no more than that passes.
    expect(passed).toBeLessThanOrEqual(100 + 1 + Math.ceil(50 * seconds));
    if (600 > 101 + 50 * seconds) expect(statuses).toContain(429);
  });

  it('keeps answering every request when one gateway is killed', async () => {
    // The flood above used this address's budget: let the bucket refill first (50 r/s, burst 100).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const token = await registerPerson(edge.httpsUrl, 'edge', edge.fetch);
    // 4 loops pausing 100 ms stay under the shipped 50 r/s, so every refusal would be a failover gap.
    const statuses = await statusesAcross(
      () => through('/api/v1/medications', { headers: { authorization: `Bearer ${token}` } }),
      () => gateways[0]!.child.kill('SIGKILL'),
      100,
    );
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
