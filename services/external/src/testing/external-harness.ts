import { randomBytes } from 'node:crypto';
import { createClient, createRouterTransport, type Client } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  CompositeService,
  MemoryEventBus,
  Metrics,
  createCache,
  createDatabase,
  createLogger,
  errorMappingInterceptor,
  type Clock,
  type Database,
  type Lifecycle,
} from '@tend/platform';
import { CallerSchema, Role, type Caller } from '@tend/proto/tend/common/v1/common';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { startHealthHarness, type HealthHarness } from '@tend/health/testing';
import { testDatabaseOptions, uniqueSchemaName, type DatabaseTarget } from '@tend/testing';
import { SingleKeyNotesCipher } from '../appointments/notes-cipher.js';
import { createExternalService, type ExternalSettings } from '../external-service.js';
import type { WeatherSource } from '../weather/weather-source.js';
import { FakeOpenMeteo } from './fake-open-meteo.js';

/** A running external service on a fresh schema, its fake provider, and a client of it. */
export interface ExternalHarness {
  client: Client<typeof ExternalService>;
  fake: FakeOpenMeteo;
  /** The real health service the external one reads conditions and medications from. */
  health: HealthHarness;
  source: WeatherSource;
  metrics: Metrics;
  bus: MemoryEventBus;
  database: Database;
  schema: string;
  stop(): Promise<void>;
}

export interface ExternalHarnessOptions {
  /** Real Redis for the cache; in-memory when absent. */
  redisUrl?: string;
  clock?: Clock;
  settings?: ExternalSettings;
}

/**
 * Starts the external service as the binary would (migrations, outbox relay) against a fake
 * Open-Meteo on loopback, with short timeouts so fault tests are quick. The client goes through
 * Connect's router transport: every call is serialised to protobuf and back.
 */
export async function startExternalHarness(
  target: DatabaseTarget,
  options: ExternalHarnessOptions = {},
): Promise<ExternalHarness> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const fake = await new FakeOpenMeteo(options.clock ? () => options.clock!.now() : undefined).start();
  const health = await startHealthHarness(target, { redisUrl: options.redisUrl, clock: options.clock });
  const fixture = await testDatabaseOptions(target);
  const database = createDatabase({ ...fixture.options, logger });
  const cache = createCache({ url: options.redisUrl, logger });
  const bus = new MemoryEventBus({ logger });
  const schema = uniqueSchemaName('external');
  const started: Lifecycle[] = [database, cache, bus];
  for (const part of started) await part.start();
  const service = createExternalService({
    database,
    bus,
    cache,
    logger,
    metrics,
    schema,
    clock: options.clock,
    cipher: new SingleKeyNotesCipher(randomBytes(32)),
    health: createRouterTransport((router) => health.routes(router), {
      router: { interceptors: [errorMappingInterceptor()] },
    }),
    settings: {
      weatherBaseUrl: fake.url,
      geocodingBaseUrl: fake.url,
      airQualityBaseUrl: fake.url,
      timeoutMs: 300,
      retries: 1,
      initialBackoffMs: 10,
      cacheNamespace: schema,
      ...options.settings,
    },
  });
  const parts = new CompositeService('external-parts', service.parts ?? []);
  await parts.start();
  const client = createClient(
    ExternalService,
    createRouterTransport((router) => service.routes(router), {
      router: { interceptors: [errorMappingInterceptor()] },
    }),
  );
  return {
    client,
    fake,
    health,
    source: service.source,
    metrics,
    bus,
    database,
    schema,
    async stop() {
      await parts.stop();
      for (const part of started.reverse()) await part.stop();
      await fixture.cleanup();
      await health.stop();
      await fake.stop();
    },
  };
}

/** A caller acting as a person. */
export function personCaller(userId: string): Caller {
  return create(CallerSchema, { userId, role: Role.USER });
}

/** A caller acting as an internal service. */
export function serviceCaller(service = 'test'): Caller {
  return create(CallerSchema, { role: Role.SERVICE, service });
}
