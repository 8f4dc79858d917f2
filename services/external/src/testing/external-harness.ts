import { randomBytes } from 'node:crypto';
import { createClient, type Client, type Transport } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  AesGcmCipher,
  CompositeService,
  type Clock,
  type Database,
  type MemoryEventBus,
  type Metrics,
} from '@tend/platform';
import { CallerSchema, Role, type Caller } from '@tend/proto/tend/common/v1/common';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { startHealthHarness, type HealthHarness } from '@tend/health/testing';
import { inProcessTransport, startServiceParts, type DatabaseTarget } from '@tend/testing';
import type { AdvisoryNotices } from '../advisories/advisory-notices.js';
import type { AppointmentReminders } from '../appointments/appointment-reminders.js';
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
  /** Present when a notification service was given. */
  reminders: AppointmentReminders | undefined;
  /** Present when a notification service was given (driven by hand with `advisoryNotices.tick()`). */
  advisoryNotices: AdvisoryNotices | undefined;
  metrics: Metrics;
  /** The field cipher that seals notes and calendar passwords (a second instance shares it). */
  cipher: AesGcmCipher;
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
  /** The notification service, for appointment reminders (driven by hand with `reminders.tick()`). */
  notification?: Transport;
  /**
   * Another instance of the service on the same database schema, key and health service, as a
   * second replica would run; stopping it leaves the first one's parts running.
   */
  alongside?: ExternalHarness;
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
  const fake = await new FakeOpenMeteo(options.clock ? () => options.clock!.now() : undefined).start();
  const shared = options.alongside;
  const health =
    shared?.health ?? (await startHealthHarness(target, { redisUrl: options.redisUrl, clock: options.clock }));
  const parts0 = await startServiceParts(target, { schemaPrefix: 'external', redisUrl: options.redisUrl });
  const { cache, logger, metrics } = parts0;
  const database = shared?.database ?? parts0.database;
  const bus = shared?.bus ?? parts0.bus;
  const schema = shared?.schema ?? parts0.schema;
  const cipher = shared?.cipher ?? new AesGcmCipher([{ id: 'k1', key: randomBytes(32) }], randomBytes(32));
  const service = createExternalService({
    database,
    bus,
    cache,
    logger,
    metrics,
    schema,
    clock: options.clock,
    cipher,
    notification: options.notification,
    // Suites call tick() themselves.
    reminderEveryMs: 3_600_000,
    advisoryEveryMs: 3_600_000,
    health: inProcessTransport((router) => health.routes(router)),
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
    inProcessTransport((router) => service.routes(router)),
  );
  return {
    client,
    fake,
    health,
    source: service.source,
    reminders: service.reminders,
    advisoryNotices: service.advisoryNotices,
    metrics,
    cipher,
    bus,
    database,
    schema,
    async stop() {
      await parts.stop();
      await parts0.stop();
      if (!shared) await health.stop();
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
