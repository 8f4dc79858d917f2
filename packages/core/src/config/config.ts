import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/errors.js';
import { configTable, type ConfigName, type ConfigValues } from './table.js';
import type { TendConfig, UpstreamInstance, BalancingPolicy, NotificationConfig } from './types.js';

// Where these lived before the table; kept so importers of this module need not change.
export { redactUrl } from './parsers.js';
export { serviceNames, grpcServiceNames, type ServiceName, type GrpcServiceName } from './variable.js';
export {
  balancingPolicies,
  type TendConfig,
  type GatewayConfig,
  type HealthLimits,
  type LlmConfig,
  type ExternalConfig,
  type OidcProviderConfig,
  type UpstreamInstance,
  type BalancingPolicy,
} from './types.js';
import { grpcServiceNames, serviceVariable, type ConfigVariable, type GrpcServiceName } from './variable.js';

/** Every variable name in the table, in README order. */
export const configVariables = Object.keys(configTable) as ConfigName[];

/** The table's rows with their names, for code that walks all of them. */
export function configRows(): [ConfigName, ConfigVariable<unknown>][] {
  return Object.entries(configTable) as [ConfigName, ConfigVariable<unknown>][];
}

/** Which process is reading: the modules it runs (services and shared parts). */
export interface ConfigScope {
  /**
   * Module names this process runs (`health`, `database`, …): only variables of these (and
   * those of every process) are read and required; the rest keep their defaults, unread.
   * @default every module, as `--target=all` runs
   */
  modules?: readonly string[] | undefined;
}

/** What the loader found: each value, and which variables were given and which read. */
export interface ConfigReading {
  values: ConfigValues;
  /** Variables this process reads. */
  read: ReadonlySet<ConfigName>;
  /** Variables read and set (environment or file). */
  given: ReadonlySet<ConfigName>;
}

type Source = Record<string, string | undefined>;

/**
 * Reads and checks every variable of the table that this process reads, from the environment
 * over the JSON file named by `TEND_CONFIG_FILE`. A bad value throws a `ConfigError` naming the
 * variable (a secret's value never appears in it).
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, scope: ConfigScope = {}): ConfigReading {
  const source: Source = { ...readConfigFile(env.TEND_CONFIG_FILE?.trim()), ...definedOnly(env) };
  const modules = scope.modules === undefined ? undefined : new Set(scope.modules);
  const values: Record<string, unknown> = {};
  const read = new Set<ConfigName>();
  const given = new Set<ConfigName>();
  for (const [name, row] of configRows()) {
    values[name] = row.default;
    if (row.targets !== 'every' && modules !== undefined && !row.targets.some((t) => modules.has(t))) continue;
    read.add(name);
    const raw = source[name]?.trim();
    if (!raw) continue;
    try {
      values[name] = row.parse(raw);
    } catch (error) {
      const problem = (error as Error).message;
      // A secret's parts may be quoted in the problem too (a bad field of a JSON secret).
      const safe = row.secret ? problem.replaceAll(raw, '***').replace(/"[^"]*"/g, '"***"') : problem;
      throw new ConfigError(name, safe);
    }
    given.add(name);
  }
  for (const [name, row] of configRows()) {
    const other = row.requiredWith as ConfigName | undefined;
    if (other !== undefined && read.has(name) && !given.has(name) && given.has(other)) {
      throw new ConfigError(name, `is required when ${other} is set`);
    }
  }
  return { values: values as ConfigValues, read, given };
}

/**
 * The configuration of a process running `scope.modules`, validated and with defaults filled
 * in; see `configTable` for each variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, scope: ConfigScope = {}): TendConfig {
  return toTendConfig(readConfig(env, scope).values);
}

/** The shape service code uses, made from the table's values. */
export function toTendConfig(v: ConfigValues): TendConfig {
  const perService = <T>(of: (service: GrpcServiceName) => T) =>
    Object.fromEntries(grpcServiceNames.map((s) => [s, of(s)])) as Record<GrpcServiceName, T>;
  const grpcPorts = perService((s) => v[serviceVariable(s, 'PORT')]);
  const upstreams = perService((s): UpstreamInstance[] => {
    const instances = v[serviceVariable(s, 'URLS')];
    return instances.length > 0 ? instances : [{ url: `http://127.0.0.1:${grpcPorts[s]}`, weight: 1, backup: false }];
  });
  const upstreamPolicies = perService((s): BalancingPolicy => v[serviceVariable(s, 'POLICY')] ?? v.UPSTREAM_POLICY);
  return {
    host: v.TEND_HOST,
    gatewayPort: v.GATEWAY_PORT,
    adminPort: v.ADMIN_PORT,
    opsRoutes: v.OPS_ROUTES,
    grpcPorts,
    upstreams,
    upstreamPolicies,
    dataDir: v.TEND_DATA_DIR,
    keysDir: v.TEND_KEYS_DIR,
    databaseUrl: v.DATABASE_URL,
    databaseReplicaUrls: v.DATABASE_REPLICA_URLS,
    databaseStatementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
    redisUrl: v.REDIS_URL,
    kafkaBrokers: v.KAFKA_BROKERS,
    kafkaReplicationFactor: v.KAFKA_REPLICATION_FACTOR,
    kafkaSecurity: {
      protocol: v.KAFKA_SECURITY_PROTOCOL,
      caFile: v.KAFKA_SSL_CA_FILE,
      saslMechanism: v.KAFKA_SASL_MECHANISM,
      username: v.KAFKA_SASL_USERNAME,
      password: v.KAFKA_SASL_PASSWORD,
    },
    logLevel: v.LOG_LEVEL,
    otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    encryptionKeys: v.TEND_ENCRYPTION_KEYS,
    serviceKeys: v.TEND_SERVICE_KEYS,
    servicePublicKeys: v.TEND_SERVICE_PUBLIC_KEYS,
    blindIndexKey: v.TEND_BLIND_INDEX_KEY,
    gateway: {
      jwtKeys: v.TEND_JWT_KEYS,
      jwtIssuer: v.TEND_JWT_ISSUER,
      jwtAudience: v.TEND_JWT_AUDIENCE,
      accessTokenTtlS: v.ACCESS_TOKEN_TTL_S,
      refreshTokenTtlS: v.REFRESH_TOKEN_TTL_S,
      rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
      socketsPerPerson: v.WS_SOCKETS_PER_PERSON,
      corsOrigins: v.CORS_ORIGINS,
      trustedProxies: v.TRUSTED_PROXIES,
      oidcProviders: v.OIDC_PROVIDERS,
    },
    voice: {
      providerUrl: v.VOICE_PROVIDER_URL,
      providerApiKey: v.VOICE_PROVIDER_API_KEY,
      concurrency: v.VOICE_CONCURRENCY,
    },
    llm:
      v.LLM_BASE_URL === undefined
        ? undefined
        : {
            baseUrl: v.LLM_BASE_URL,
            model: v.LLM_MODEL,
            apiKey: v.LLM_API_KEY,
            firstTokenTimeoutMs: v.LLM_FIRST_TOKEN_TIMEOUT_MS,
            totalTimeoutMs: v.LLM_TIMEOUT_MS,
            maxSteps: v.LLM_MAX_STEPS,
          },
    external: {
      weatherBaseUrl: v.WEATHER_BASE_URL,
      geocodingBaseUrl: v.GEOCODING_BASE_URL,
      airQualityBaseUrl: v.AIR_QUALITY_BASE_URL,
      calendarSyncEveryMs: v.CALENDAR_SYNC_INTERVAL_MS,
    },
    notification: notificationConfig(v),
    passwordHashTestLog2N: testPasswordCost(v),
    conversationRetentionDays: v.CONVERSATION_RETENTION_DAYS,
    healthLimits: {
      vitalHistoryDays: v.VITAL_HISTORY_DAYS,
      medicationsPerPerson: v.MEDICATIONS_PER_PERSON_MAX,
      scheduleVersionsPerMedication: v.SCHEDULE_VERSIONS_PER_MEDICATION_MAX,
      scheduledDosesPerRead: v.SCHEDULED_DOSES_PER_READ_MAX,
      fhirExportMaxDays: v.FHIR_EXPORT_MAX_DAYS,
    },
  };
}

/** The test knob for the password hashing cost, which a real deployment must never lower. */
function testPasswordCost(v: ConfigValues): number | undefined {
  if (v.PASSWORD_HASH_TEST_LOG2N !== undefined && v.DATABASE_URL !== undefined) {
    throw new ConfigError(
      'PASSWORD_HASH_TEST_LOG2N',
      'lowers password hashing for tests and is refused when DATABASE_URL is set',
    );
  }
  return v.PASSWORD_HASH_TEST_LOG2N;
}

function notificationConfig(v: ConfigValues): NotificationConfig {
  const smsProviders = v.SMS_PROVIDER.map((name) => {
    if (name === 'twilio') {
      if (!v.TWILIO_ACCOUNT_SID)
        throw new ConfigError('TWILIO_ACCOUNT_SID', 'is required when SMS_PROVIDER names twilio');
      return {
        name,
        baseUrl: v.TWILIO_BASE_URL,
        accountSid: v.TWILIO_ACCOUNT_SID,
        authToken: v.TWILIO_AUTH_TOKEN ?? '',
        from: v.TWILIO_FROM ?? '',
      };
    }
    if (!v.SIGNALWIRE_URL) throw new ConfigError('SIGNALWIRE_URL', 'is required when SMS_PROVIDER names signalwire');
    return {
      name,
      baseUrl: v.SIGNALWIRE_URL,
      accountSid: v.SIGNALWIRE_PROJECT_ID ?? '',
      authToken: v.SIGNALWIRE_TOKEN ?? '',
      from: v.SIGNALWIRE_FROM ?? '',
    };
  });
  return {
    email: v.SMTP_URL === undefined ? undefined : { smtpUrl: v.SMTP_URL, from: v.SMTP_FROM },
    smsProviders,
    push: { publicKey: v.VAPID_PUBLIC_KEY, privateKey: v.VAPID_PRIVATE_KEY, subject: v.VAPID_SUBJECT },
    actionKey: v.NOTIFICATION_ACTION_KEY,
    publicUrl: v.TEND_PUBLIC_URL,
    reminderReconcileEveryMs: v.REMINDER_RECONCILE_INTERVAL_MS,
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Source {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

function readConfigFile(path: string | undefined): Source {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('TEND_CONFIG_FILE', `cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('TEND_CONFIG_FILE', `${path} must hold a JSON object of variable names to values`);
  }
  const known = new Set<string>(configVariables);
  const source: Source = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError('TEND_CONFIG_FILE', `${path}: unknown setting "${key}"`);
    source[key] = fileValue(value);
  }
  return source;
}

/** A file's value as the text the environment would hold: lists joined, objects as JSON. */
function fileValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
