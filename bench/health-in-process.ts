// The health service hosted in-process by a GrpcServer on embedded or real PostgreSQL, for the
// benchmarks that call it over real gRPC (h2c) from the same process.
import { startHealthHarness } from '@tend/health/testing';
import { GrpcServer } from '@tend/rpc';
import { Metrics, createLogger } from '@tend/core';
import type { DatabaseTarget } from '@tend/testing';

export { insertTestUser } from '@tend/health/testing';

/** A benchmark's person: in a zone with daylight saving time, so local days are not UTC days. */
export const bench = { displayName: 'Bench', timeZone: 'Europe/Berlin' } as const;

export interface HealthInProcess {
  context: Awaited<ReturnType<typeof startHealthHarness>>['context'];
  server: GrpcServer;
  stop(): Promise<void>;
}

/** The database a benchmark's mode names: embedded, or the real servers `scripts/infra.sh env` exports. */
export function databaseTarget(mode: string): DatabaseTarget {
  if (mode !== 'real') return { kind: 'embedded' };
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('run `eval "$(bash scripts/infra.sh env)"` first');
  const replicaUrls = (process.env.TEST_DATABASE_REPLICA_URLS ?? '').split(',').filter(Boolean);
  return { kind: 'real', url, replicaUrls };
}

/** Starts the health service as the test harness does (a fresh schema), served on a real gRPC port. */
export async function startHealthInProcess(target: DatabaseTarget): Promise<HealthInProcess> {
  const health = await startHealthHarness(target);
  const server = new GrpcServer({
    name: 'health',
    host: '127.0.0.1',
    port: 0,
    serviceNames: health.serviceNames,
    routes: health.routes,
    logger: createLogger({ level: 'warn' }),
    metrics: new Metrics({ defaultMetrics: false }),
  });
  await server.start();
  return {
    context: health.context,
    server,
    async stop() {
      await server.stop();
      await health.stop();
    },
  };
}
