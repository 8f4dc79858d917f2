import { createRouterTransport, type ConnectRouter, type Interceptor, type Transport } from '@connectrpc/connect';
import { MemoryEventBus } from '@tend/events';
import { Metrics, createLogger, type Lifecycle, type Logger } from '@tend/core';
import { createCache, type Cache } from '@tend/cache';
import { createDatabase, type Database } from '@tend/db';
import { errorMappingInterceptor, requestValidationInterceptor } from '@tend/rpc';
import { testDatabaseOptions, uniqueSchemaName, type DatabaseTarget } from './database-fixtures.js';

/** What a service's test harness runs it on, started, and how to take it all down again. */
export interface ServiceParts {
  logger: Logger;
  metrics: Metrics;
  database: Database;
  cache: Cache;
  bus: MemoryEventBus;
  /** A schema of its own, so suites never see each other's rows. */
  schema: string;
  /** Stops the parts in reverse order and drops the test database. */
  stop(): Promise<void>;
}

/**
 * The infrastructure a service harness starts before its service: a database on embedded or real
 * PostgreSQL, a cache (real Redis when `redisUrl` is given, else in memory) and an in-memory bus.
 */
export async function startServiceParts(
  target: DatabaseTarget,
  options: { schemaPrefix: string; redisUrl?: string },
): Promise<ServiceParts> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const fixture = await testDatabaseOptions(target);
  const database = createDatabase({ ...fixture.options, logger });
  const cache = createCache({ url: options.redisUrl, logger });
  const bus = new MemoryEventBus({ logger });
  const started: Lifecycle[] = [database, cache, bus];
  for (const part of started) await part.start();
  return {
    logger,
    metrics,
    database,
    cache,
    bus,
    schema: uniqueSchemaName(options.schemaPrefix),
    async stop() {
      for (const part of started.reverse()) await part.stop();
      await fixture.cleanup();
    },
  };
}

/**
 * A transport into a service's routes within the test, answering as its real server would:
 * every call serialised to protobuf and back, checked against its contract's field rules, domain
 * errors as gRPC codes. `interceptors` run on the caller's side (a suite can hold a call back to
 * order a race).
 */
export function inProcessTransport(
  routes: (router: ConnectRouter) => void,
  interceptors: Interceptor[] = [],
): Transport {
  return createRouterTransport(routes, {
    router: { interceptors: [errorMappingInterceptor(), requestValidationInterceptor()] },
    transport: { interceptors },
  });
}
