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
export { watchFilesystems } from './metrics/filesystem-metrics.js';
export { ModelCallTelemetry, type ModelCallOutcome } from './tracing/model-calls.js';
export { BaseService, type Lifecycle, type ServiceState } from './lifecycle/service.js';
export { resolveModules, ModuleRunner, type ModuleDefinition } from './lifecycle/modules.js';
export { CompositeService, TaskService } from './lifecycle/composite.js';
export { createResiliencePolicy, type ResilienceOptions, type ResiliencePolicy } from './resilience/policies.js';
export { localSecretFile, type LocalSecretOptions } from './secrets/local-secret-file.js';
export type { FieldCipher, SealContext } from './secrets/field-cipher.js';
export { AesGcmCipher, parseEncryptionKeys, type EncryptionKey } from './secrets/aes-gcm-cipher.js';
export { createFieldCipher, type CipherSettings } from './secrets/create-field-cipher.js';
export {
  kafkaConnectionOptions,
  kafkaSaslMechanisms,
  kafkaSecurityProtocols,
  type KafkaConnectionOptions,
  type KafkaSecurity,
} from './config/kafka-security.js';
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
export {
  boundedText,
  codePointLength,
  idempotencyKeyChars,
  isTextWithin,
  nulTextMessage,
  textLimitMessage,
} from './limits/text-length.js';
export { doseUnits, medicationLimits } from './limits/medication-limits.js';
