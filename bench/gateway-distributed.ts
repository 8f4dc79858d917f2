// The same authenticated cached read with the gateway and the health service as separate
// processes on the real servers of scripts/infra.sh: PostgreSQL primary + streaming replica and
// Redis (sessions, rate limits and the health cache shared through it), the call over gRPC.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledTendArgs } from '@tend/testing';
import { deploymentKeys } from '../e2e/real-cluster.js';
import { stopChild } from './baselines.js';
import { measureAgainstBare, seedPerson } from './gateway-wrk.js';
import { waitForReady } from './load.js';
import type { BenchEntry } from './run.js';

/**
 * `tend serve --target=<target>` in its own process, with `env` over this one's.
 * `TEND_BENCH_PROFILE=<dir>` writes a CPU profile of each process there.
 */
function serve(target: string, env: Record<string, string>) {
  const profile = process.env.TEND_BENCH_PROFILE;
  const cpuProf = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${target}.cpuprofile`] : [];
  return spawn(process.execPath, [...cpuProf, ...compiledTendArgs(), 'serve', `--target=${target}`], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Gateway and health as two processes on real PostgreSQL + replica and Redis: issue 15's second target. */
export const gatewayDistributed: BenchEntry = {
  name: 'gateway-distributed',
  async run(context) {
    const databaseUrl = process.env.TEST_DATABASE_URL;
    const replicaUrls = process.env.TEST_DATABASE_REPLICA_URLS;
    const redisUrl = process.env.TEST_REDIS_URL;
    if (!databaseUrl || !replicaUrls || !redisUrl)
      throw new Error('needs the real servers: bash scripts/infra.sh up && eval "$(bash scripts/infra.sh env)"');
    const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-dist-'));
    const shared = {
      ...(await deploymentKeys()),
      LOG_LEVEL: 'warn',
      TEND_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      DATABASE_REPLICA_URLS: replicaUrls,
      REDIS_URL: redisUrl,
      RATE_LIMIT_PER_MINUTE: '100000000',
    };
    const [healthPort, healthAdmin, gatewayPort, gatewayAdmin] = [10, 11, 12, 13].map((n) => context.port(n));
    const health = serve('health', { ...shared, HEALTH_PORT: String(healthPort), ADMIN_PORT: String(healthAdmin) });
    const gateway = serve('gateway', {
      ...shared,
      GATEWAY_PORT: String(gatewayPort),
      ADMIN_PORT: String(gatewayAdmin),
      HEALTH_URLS: `http://127.0.0.1:${healthPort}`,
    });
    try {
      const base = `http://127.0.0.1:${gatewayPort}`;
      await waitForReady(`http://127.0.0.1:${healthAdmin}/readyz`);
      await waitForReady(`${base}/healthz`);
      const { token, bodyBytes } = await seedPerson(base, 'dist');
      const { rows } = await measureAgainstBare(context, {
        url: `${base}/api/v1/medications`,
        token,
        bodyBytes,
        pids: [gateway.pid!, health.pid!],
        label: 'distributed, GET /api/v1/medications (cached)',
        minRps: 3000,
        maxP99Ms: 30,
      });
      return {
        name: 'Gateway, distributed: gateway and health processes on real PostgreSQL + replica and Redis',
        command:
          'bash scripts/infra.sh up && eval "$(bash scripts/infra.sh env)" && npm run bench -- --only gateway-distributed',
        rows,
        notes: [
          'Two Tend processes, PostgreSQL primary and replica, Redis, wrk and the bare server all share the same two cores.',
          'The read is a Redis cache hit in the health service, reached from the gateway over gRPC (HTTP/2, service token).',
        ],
      };
    } finally {
      await stopChild(gateway);
      await stopChild(health);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
