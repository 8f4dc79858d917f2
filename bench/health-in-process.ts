// The health service hosted in-process by a GrpcServer on embedded or real PostgreSQL, for the
// benchmarks that call it over real gRPC (h2c) from the same process.
import { randomBytes } from 'node:crypto';
import { AesGcmCipher, createHealthService } from '@tend/health';
import {
  CompositeService,
  GrpcServer,
  MemoryEventBus,
  Metrics,
  createCache,
  createDatabase,
  createLogger,
} from '@tend/platform';
import { testDatabaseOptions, uniqueSchemaName, type DatabaseTarget } from '@tend/testing';

export interface HealthInProcess {
  service: ReturnType<typeof createHealthService>;
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

/** Starts the health service with its parts in a fresh schema named after `schemaPrefix`. */
export async function startHealthInProcess(target: DatabaseTarget, schemaPrefix: string): Promise<HealthInProcess> {
  const logger = createLogger({ level: 'warn' });
  const metrics = new Metrics({ defaultMetrics: false });
  const fixture = await testDatabaseOptions(target);
  const database = createDatabase({ ...fixture.options, logger });
  const cache = createCache({ logger });
  const bus = new MemoryEventBus({ logger });
  for (const part of [database, cache, bus]) await part.start();
  const service = createHealthService({
    database,
    bus,
    cache,
    cipher: new AesGcmCipher([{ id: 'bench', key: randomBytes(32) }], randomBytes(32)),
    logger,
    metrics,
    schema: uniqueSchemaName(schemaPrefix),
  });
  const parts = new CompositeService('health-parts', service.parts ?? []);
  await parts.start();
  const server = new GrpcServer({
    name: 'health',
    host: '127.0.0.1',
    port: 0,
    serviceNames: service.serviceNames,
    routes: (router) => service.routes(router),
    logger,
    metrics,
  });
  await server.start();
  return {
    service,
    server,
    async stop() {
      await server.stop();
      await parts.stop();
      for (const part of [bus, cache, database]) await part.stop();
      await fixture.cleanup();
    },
  };
}

/** A person in a zone with daylight saving time (so local days are not UTC days), straight into the table. */
export async function insertPerson(context: HealthInProcess['service']['context']): Promise<string> {
  const id = context.ids.uuid();
  const email = `bench-${id}@example.test`;
  await context.db.primary
    .insertInto('users')
    .values({
      id,
      email_hash: context.cipher.blindIndex(email),
      email_encrypted: context.cipher.encrypt(email),
      password_hash: null,
      display_name: 'Bench',
      role: 'user',
      locale: 'en',
      time_zone: 'Europe/Berlin',
    })
    .execute();
  return id;
}
