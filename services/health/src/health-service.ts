import { fileURLToPath } from 'node:url';
import {
  OutboxRelay,
  TaskService,
  loadMigrations,
  type Database,
  type EventBus,
  type GrpcServiceModule,
  type Logger,
  type Metrics,
} from '@tend/platform';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';

/** The health service's PostgreSQL schema. */
export const healthSchema = 'health';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

export interface HealthServiceDeps {
  database: Database;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The health service as the binary hosts it: its schema migrated before the port opens, and its
 * outbox relayed to the event bus for as long as it runs. The contract is served on its port;
 * methods without an implementation yet answer gRPC UNIMPLEMENTED.
 */
export function createHealthService(deps: HealthServiceDeps): GrpcServiceModule {
  const db = deps.database.schema(healthSchema);
  const migrate = new TaskService('health-migrations', async () => db.migrate(await loadMigrations(migrationsDir)));
  const relay = new OutboxRelay({
    schema: healthSchema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  return {
    name: 'health',
    serviceNames: [HealthService.typeName],
    routes: (router) => router.service(HealthService, {}),
    parts: [migrate, relay],
  };
}
