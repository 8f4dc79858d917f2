import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { CacheAside, type Cache } from '@tend/cache';
import { OutboxRelay, type EventBus } from '@tend/events';
import { RetentionTask, loadMigrations, type Database } from '@tend/db';
import {
  TaskService,
  randomIds,
  systemClock,
  type Clock,
  type HealthLimits,
  type Ids,
  type Logger,
  type Metrics,
} from '@tend/core';
import {
  createInProcessTransport,
  errorMappingInterceptor,
  requestValidationInterceptor,
  type GrpcServiceModule,
} from '@tend/rpc';
import { HealthInternalService } from '@tend/proto/tend/health/v1/health_internal_service';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { AccessControl } from './access/access-control.js';
import { defaultHealthLimits, type HealthContext } from './context.js';
import type { FieldCipher } from './crypto/field-cipher.js';
import type { HealthTables } from './db/tables.js';
import { resealLegacyValues } from './crypto/reseal.js';
import { HealthEvents } from './events.js';
import { fhirHandlers } from './fhir/fhir-handlers.js';
import { medicationHandlers } from './medications/medication-handlers.js';
import { peopleHandlers } from './people/people-handlers.js';
import { vitalHandlers } from './vitals/vital-handlers.js';
import { VitalPartitions } from './vitals/vital-partitions.js';
import { idempotencyWindowMs } from './vitals/vital-repository.js';
import { PasswordHasher, type ScryptCost } from './people/password-hashing.js';

/**
 * The gRPC services the health port serves, each reported by its health check: the public half
 * (what a person's clients may reach through the gateway), the internal half (services only) and
 * the whole contract they were split from.
 */
export const healthServiceNames = [
  HealthPublicService.typeName,
  HealthInternalService.typeName,
  HealthService.typeName,
] as const;

/** The health service's PostgreSQL schema. */
export const healthSchema = 'health';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

export interface HealthServiceDeps {
  database: Database;
  bus: EventBus;
  cache: Cache;
  cipher: FieldCipher;
  logger: Logger;
  metrics: Metrics;
  /** Tests give each suite its own schema. @default 'health' */
  schema?: string;
  /** @default systemClock */
  clock?: Clock;
  /** @default randomIds */
  ids?: Ids;
  /** Per-person caps (configuration's `VITAL_HISTORY_DAYS` and kin). @default defaultHealthLimits */
  limits?: Partial<HealthLimits>;
  /**
   * scrypt cost of new password hashes. Only tests lower it (harnesses, and
   * `PASSWORD_HASH_TEST_LOG2N` outside distributed mode). @default scryptCost (N 2^17, r 8, p 1)
   */
  passwordCost?: ScryptCost;
}

/**
 * The health service as the binary hosts it: its schema migrated before the port opens, its
 * outbox relayed to the event bus for as long as it runs, and every method of its contract
 * served from the areas that implement them.
 */
export function createHealthService(deps: HealthServiceDeps): GrpcServiceModule & { context: HealthContext } {
  const schema = deps.schema ?? healthSchema;
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const db = deps.database.schema<HealthTables>(schema);
  const context: HealthContext = {
    db,
    access: new AccessControl(db, ids, clock, { metrics: deps.metrics, logger: deps.logger }),
    cache: new CacheAside({ cache: deps.cache, metrics: deps.metrics, logger: deps.logger, name: schema }),
    cipher: deps.cipher,
    events: new HealthEvents(schema, ids, clock),
    ids,
    clock,
    logger: deps.logger.child({ component: 'health' }),
    metrics: deps.metrics,
    limits: { ...defaultHealthLimits, ...deps.limits },
    passwords: new PasswordHasher(deps.passwordCost),
  };
  const migrate = new TaskService(`${schema}-migrations`, async () => {
    await db.migrate(await loadMigrations(migrationsDir));
    // Values sealed before they were bound to their place are bound before the first request.
    await resealLegacyValues(db, deps.cipher, deps.logger);
    // Month partitions of vitals for the window around now exist before the first request.
    await new VitalPartitions(db, clock, context.limits.vitalHistoryDays).ensureFor([]);
  });
  const relay = new OutboxRelay({
    schema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const retention = new RetentionTask({
    db,
    logger: deps.logger,
    rules: [
      // Redelivered events arrive within minutes; a week of remembered ids is ample.
      { table: 'processed_events', timeColumn: 'processed_at', keepMs: 7 * 24 * 3_600_000 },
      { table: 'vital_idempotency_keys', timeColumn: 'created_at', keepMs: idempotencyWindowMs },
    ],
  });
  const areas = { ...peopleHandlers(context), ...medicationHandlers(context), ...vitalHandlers(context) };
  // FHIR is built on the other methods, called in-process through the same contract and held to
  // its field rules: an imported reading with too long a note is set aside like any other.
  const self = createClient(
    HealthService,
    createInProcessTransport({
      routes: (router) => router.service(HealthService, areas),
      serverInterceptors: [errorMappingInterceptor(), requestValidationInterceptor()],
    }),
  );
  const handlers = { ...areas, ...fhirHandlers(context, self) };
  return {
    name: 'health',
    serviceNames: healthServiceNames,
    context,
    // One set of handlers behind the three contracts: the public and internal halves, and the
    // whole HealthService that callers not yet moved to the halves still use.
    routes: (router) => {
      router.service(HealthPublicService, handlers);
      router.service(HealthInternalService, handlers);
      router.service(HealthService, handlers);
    },
    parts: [migrate, relay, retention],
  };
}
