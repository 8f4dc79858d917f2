export { systemClock, randomIds, type Clock, type Ids } from './clock.js';
export {
  loadConfig,
  readConfig,
  toTendConfig,
  configVariables,
  configRows,
  type ConfigScope,
  type ConfigReading,
} from './config/config.js';
export { configTable, type ConfigName, type ConfigValues } from './config/table.js';
export { configMarkdownTable, describeConfig } from './config/describe.js';
export { redactUrl } from './config/parsers.js';
export {
  serviceNames,
  grpcServiceNames,
  infrastructureModules,
  type ConfigTarget,
  type ConfigVariable,
  type InfrastructureModule,
  type ServiceName,
  type GrpcServiceName,
} from './config/variable.js';
export {
  balancingPolicies,
  opsRoutePlacements,
  type OpsRoutePlacement,
  type TendConfig,
  type GatewayConfig,
  type HealthLimits,
  type LlmConfig,
  type ExternalConfig,
  type OidcProviderConfig,
  type UpstreamInstance,
  type BalancingPolicy,
} from './config/types.js';
export {
  ValidationError,
  NotFoundError,
  ConflictError,
  UnauthenticatedError,
  ForbiddenError,
  RateLimitedError,
  UnavailableError,
  TimeoutError,
  ConfigError,
  toConnectError,
  httpStatusOf,
  httpStatusOfError,
  GoneError,
  fieldViolationsOf,
  type FieldViolation,
} from './errors/errors.js';
export {
  createLogger,
  redactedKeys,
  safeError,
  type Logger,
  type LoggerConfig,
  type SafeError,
} from './logging/logger.js';
export { Metrics } from './metrics/metrics.js';
export { watchDatabase } from './metrics/database-metrics.js';
export { watchFilesystems } from './metrics/filesystem-metrics.js';
export { ModelCallTelemetry, type ModelCallOutcome } from './tracing/model-calls.js';
export { registerRequestTrace, requestTraceContext, runInRequestTrace } from './tracing/request-trace.js';
export { BaseService, type Lifecycle, type ServiceState } from './lifecycle/service.js';
export { resolveModules, ModuleRunner, type ModuleDefinition } from './lifecycle/modules.js';
export { CompositeService, TaskService } from './lifecycle/composite.js';
export { createResiliencePolicy, type ResilienceOptions, type ResiliencePolicy } from './resilience/policies.js';
export { GrpcServer, type GrpcServerOptions } from './rpc/grpc-server.js';
export { HealthStatus, ServingStatus, registerHealthService } from './rpc/health-checks.js';
export {
  serverInterceptor,
  tracePropagationInterceptor,
  errorMappingInterceptor,
  requestValidationInterceptor,
  jsonPathOf,
} from './rpc/interceptors.js';
export type { GrpcServiceModule } from './rpc/service-module.js';
export { createInProcessTransport, type InProcessTransportOptions } from './rpc/in-process-transport.js';
export { withDefaultDeadline } from './rpc/default-deadline.js';
export {
  ServiceIdentity,
  serviceAuthInterceptor,
  serviceIdentityKey,
  serviceTokenHeader,
  serviceTokenInterceptor,
  type ServiceIdentityOptions,
} from './rpc/service-identity.js';
export {
  BalancedTransport,
  isIdempotent,
  type BalancedTransportOptions,
  type UpstreamStatus,
  type InstanceStatus,
} from './rpc/balancer/balanced-transport.js';
export { AdminServer, type AdminServerOptions } from './http/admin-server.js';
export { Readiness, type ReadinessCheck, type ReadinessReport } from './http/readiness.js';
export { registerOpsRoutes, registerRequestMetrics, opsPaths } from './http/ops-routes.js';
export { listen } from './http/listen.js';
export type { Cache } from './cache/cache.js';
export type { RateLimitStore, RateLimitDecision } from './ratelimit/rate-limit-store.js';
export { topics, type CloudEvent, type TopicName } from './events/cloud-event.js';
export type { EventBus, OutgoingEvent, EventHandler, SubscribeOptions, Subscription } from './events/event-bus.js';
export type { SchemaDatabase, Migration, TransactionOptions } from './db/database.js';
export { MemoryCache, type MemoryCacheOptions } from './cache/memory-cache.js';
export { RedisCache, type RedisCacheOptions } from './cache/redis-cache.js';
export { RedisConnection, validateRedisUrl, type RedisConnectionOptions } from './cache/redis-connection.js';
export { createCache, type CreateCacheOptions } from './cache/create-cache.js';
export { CacheAside, type CacheAsideOptions, type CacheAsideRead } from './cache/cache-aside.js';
export { HotKeyCounter, SpaceSaving, type HotKey, type HotKeyCounterOptions } from './cache/hot-keys.js';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './ratelimit/memory-rate-limit-store.js';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './ratelimit/redis-rate-limit-store.js';
export { FallbackRateLimitStore, type FallbackRateLimitStoreOptions } from './ratelimit/fallback-rate-limit-store.js';
export { createRateLimitStore, type CreateRateLimitStoreOptions } from './ratelimit/create-rate-limit-store.js';
export { createDatabase, type CreateDatabaseOptions } from './db/create-database.js';
export type { Database, DatabaseStatus, ReplicaStatus } from './db/database.js';
export {
  PostgresDatabase,
  type PostgresDatabaseOptions,
  type DatabaseTuning,
  type PostgresServer,
} from './db/postgres-database.js';
export {
  EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresTimings,
} from './db/embedded-postgres.js';
export { loadMigrations, MigrationError, platformMigrations } from './db/migrations.js';
export {
  MonthlyPartitions,
  monthlyPartitionOf,
  monthOf,
  monthsAround,
  PartitionRangeError,
  type PartitionRange,
  type PartitionWindow,
} from './db/monthly-partitions.js';
export { localSecretFile, type LocalSecretOptions } from './secrets/local-secret-file.js';
export type { FieldCipher, SealContext } from './secrets/field-cipher.js';
export { AesGcmCipher, parseEncryptionKeys, type EncryptionKey } from './secrets/aes-gcm-cipher.js';
export { createFieldCipher, type CipherSettings } from './secrets/create-field-cipher.js';
export { RetentionTask, type RetentionRule, type RetentionTaskOptions } from './db/retention.js';
export { createEventBus, type CreateEventBusOptions } from './events/create-event-bus.js';
export { seedTopics, parseCloudEvent, InvalidEventError, type TopicSpec } from './events/cloud-event.js';
export {
  enqueueEvent,
  outboxChannel,
  writeWithEvents,
  type OutboxEventInput,
  type OutboxContext,
} from './events/outbox.js';
export { OutboxRelay, type OutboxRelayOptions, type RelayRole } from './events/outbox-relay.js';
export { idempotentHandler, type TransactionalEventHandler } from './events/idempotent-consumer.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './events/memory-event-bus.js';
export { KafkaEventBus, parseKafkaBrokers, type KafkaEventBusOptions } from './events/kafka-event-bus.js';
export {
  kafkaConnectionOptions,
  kafkaSaslMechanisms,
  kafkaSecurityProtocols,
  type KafkaConnectionOptions,
  type KafkaSecurity,
} from './events/kafka-security.js';
export type { RetryBackoff } from './events/backoff.js';
export {
  addDays,
  formatLocalDate,
  formatMinuteOfDay,
  instantOfLocal,
  isKnownTimeZone,
  isoWeekday,
  localDateFormatter,
  localDateOf,
  parseLocalDate,
  parseMinuteOfDay,
  wallClockOf,
  zoneOffsetMs,
  type LocalDate,
} from './time/local-time.js';
export { pageSizes, pageLimitOf, decodeCursor, encodeCursor, pageResponse } from './rpc/pagination.js';
export {
  boundedText,
  codePointLength,
  idempotencyKeyChars,
  isTextWithin,
  nulTextMessage,
  textLimitMessage,
} from './limits/text-length.js';
export { doseUnits, medicationLimits } from './limits/medication-limits.js';
