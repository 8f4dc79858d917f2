import type { GrpcServiceName } from './variable.js';
import type { KafkaSecurity } from './kafka-security.js';

/** Everything a Tend process is configured with, validated and with defaults filled in. */
export interface TendConfig {
  /** Address every server binds. @default '127.0.0.1' (set `0.0.0.0` in containers) */
  host: string;
  /** @default 8080 */
  gatewayPort: number;
  /** Port of /healthz, /readyz and /metrics for processes without the gateway. @default 9400 */
  adminPort: number;
  /**
   * Where a process with the gateway serves `/readyz` and `/metrics`: on the public gateway port
   * (`public`, so the all-in-one `npm start` answers `http://127.0.0.1:8080/metrics`), or only on
   * the admin port (`admin`), so an edge that forwards every path can never expose them.
   * @default 'public'
   */
  opsRoutes: OpsRoutePlacement;
  /** gRPC port of each service. @default voice 50051 … external 50055 */
  grpcPorts: Record<GrpcServiceName, number>;
  /**
   * Where each service is reached from another process, as base URLs (several = instances to
   * balance across). A service running in this process is called in-process instead.
   * @default `http://127.0.0.1:<its port>`
   */
  upstreams: Record<GrpcServiceName, UpstreamInstance[]>;
  /**
   * How calls to another process spread over a service's instances (`UPSTREAM_POLICY`, or
   * `<SERVICE>_POLICY` per service). @default 'round-robin'
   */
  upstreamPolicies: Record<GrpcServiceName, BalancingPolicy>;
  /** Embedded PostgreSQL data and other local state. @default './.tend' */
  dataDir: string;
  /** Real PostgreSQL primary; unset means embedded. */
  databaseUrl: string | undefined;
  /** Read replicas. @default [] */
  databaseReplicaUrls: string[];
  /** @default 5000 */
  databaseStatementTimeoutMs: number;
  /** Unset means the in-memory cache and rate limits. */
  redisUrl: string | undefined;
  /** Unset means the in-process event bus. */
  kafkaBrokers: string[];
  /** Replication of the topics Tend creates when missing (3 in production). @default 1 */
  kafkaReplicationFactor: number;
  /** TLS and SASL towards the brokers (`KAFKA_SECURITY_PROTOCOL` and its kin). */
  kafkaSecurity: KafkaSecurity;
  /** @default 'info' */
  logLevel: string;
  /** OTLP/HTTP endpoint for traces, e.g. `http://jaeger:4318`; unset disables export. */
  otlpEndpoint: string | undefined;
  /**
   * After SIGTERM, how long the process keeps serving while its health says NOT_SERVING, so
   * balancers and Kubernetes endpoints stop sending to it before its ports close. @default 0
   */
  shutdownGraceMs: number;
  /** How long in-flight work may take to finish after SIGTERM. @default 10000 */
  shutdownTimeoutMs: number;
  /**
   * Field-encryption keys, `id:base64key,...`, the first sealing new values. Unset in all-in-one
   * mode means keys generated once in the data directory; required with `DATABASE_URL`.
   */
  encryptionKeys: string | undefined;
  /**
   * This process's service identity: private Ed25519 JWKs (JSON), the first signing its calls to
   * other services. Unset means a key made in memory, which no other process trusts.
   */
  serviceKeys: string | undefined;
  /** Public JWKs (JSON) of the services whose calls this process accepts. */
  servicePublicKeys: string | undefined;
  /** Key of the keyed hashes used to look up encrypted values (base64, 32 bytes). */
  blindIndexKey: string | undefined;
  /** The public API's settings. */
  gateway: GatewayConfig;
  /** The conversation service's language model; unset (no `LLM_BASE_URL`) means the embedded brain only. */
  llm: LlmConfig | undefined;
  /** Where the external service's weather provider lives. */
  external: ExternalConfig;
  /** The notification service's channels beyond the app; each is off unless configured. */
  notification: NotificationConfig;
  /** The voice service's optional provider and work pool. */
  voice: VoiceConfig;
  /**
   * log2 of scrypt's N for new password hashes when a test lowers it (`PASSWORD_HASH_TEST_LOG2N`);
   * undefined means the production cost. Never set in distributed mode.
   */
  passwordHashTestLog2N: number | undefined;
  /** Where generated keys are kept (`TEND_KEYS_DIR`); undefined means `<dataDir>/keys`. */
  keysDir: string | undefined;
  /** What one person may store in the health service. */
  healthLimits: HealthLimits;
  /** `CONVERSATION_RETENTION_DAYS`: how long chat messages are kept. */
  conversationRetentionDays: number;
}

/**
 * Per-person resource caps of the health service: each bounds what one account can make the
 * service store or compute, whoever calls.
 */
export interface HealthLimits {
  /** How far back a reading may be dated, in days; older dates are refused and get no partition. @default 3660 */
  vitalHistoryDays: number;
  /** Medications one person may have. @default 200 */
  medicationsPerPerson: number;
  /** Schedule versions (changes of schedule) one medication may accumulate. @default 100 */
  scheduleVersionsPerMedication: number;
  /**
   * Most scheduled doses one read (scheduled doses, adherence) expands in memory; a larger
   * period is refused. Twenty medications twice a day over a year are 14 640. @default 50000
   */
  scheduledDosesPerRead: number;
  /** Longest FHIR export period, in days (the default period is the last 366). @default 3660 */
  fhirExportMaxDays: number;
}

/** An OpenAI-compatible audio provider in front of the local speech engines, and the pool size. */
export interface VoiceConfig {
  providerUrl: string | undefined;
  providerApiKey: string | undefined;
  concurrency: number | undefined;
}

/**
 * Open-Meteo's three APIs, each as scheme and host (Tend appends `/v1/forecast`, `/v1/search`,
 * `/v1/air-quality`), for a self-hosted Open-Meteo or a proxy.
 */
export interface ExternalConfig {
  /** @default 'https://api.open-meteo.com' */
  weatherBaseUrl: string;
  /** @default 'https://geocoding-api.open-meteo.com' */
  geocodingBaseUrl: string;
  /** @default 'https://air-quality-api.open-meteo.com' */
  airQualityBaseUrl: string;
  /** How often each connected CalDAV calendar is synced. @default 900_000 */
  calendarSyncEveryMs: number;
}

/** How the notification service reaches people outside the app. */
export interface NotificationConfig {
  email: { smtpUrl: string; from: string } | undefined;
  /** SMS providers (Twilio's Messages API) in failover order; empty: SMS off. */
  smsProviders: { name: string; baseUrl: string; accountSid: string; authToken: string; from: string }[];
  push: { publicKey: string | undefined; privateKey: string | undefined; subject: string };
  actionKey: string | undefined;
  publicUrl: string;
  /** How often every person's reminders are reconciled, besides the changed ones at once. */
  reminderReconcileEveryMs: number;
}

/** An OpenAI-compatible chat endpoint for the conversation service. */
export interface LlmConfig {
  baseUrl: string;
  /** @default 'gpt-4o-mini' */
  model: string;
  apiKey: string | undefined;
  /** @default 3000 */
  firstTokenTimeoutMs: number;
  /** @default 15000 */
  totalTimeoutMs: number;
  /** @default 5 */
  maxSteps: number;
}

/** How calls spread over a service's instances. */
export const balancingPolicies = ['round-robin', 'weighted', 'least-connections', 'consistent-hash'] as const;
export type BalancingPolicy = (typeof balancingPolicies)[number];

/** One instance of a service in another process: `http://host:port[;weight=N][;backup]`. */
export interface UpstreamInstance {
  url: string;
  /** Share of calls relative to the others (weighted and consistent-hash policies). @default 1 */
  weight: number;
  /** Used only while no other instance is healthy. @default false */
  backup: boolean;
}

/** How the gateway authenticates, limits and shares its API. */
export interface GatewayConfig {
  /**
   * Signing keys of access tokens: a JSON array of private JWKs (Ed25519 `OKP` or P-256 `EC`),
   * each with a `kid`; the first signs, all verify, so a new key goes first and an old one stays
   * until its tokens expired. Unset in all-in-one mode means a key generated once in the data
   * directory; required with `DATABASE_URL`, where several gateways must share keys.
   */
  jwtKeys: string | undefined;
  /** `iss` of access tokens. @default 'tend' */
  jwtIssuer: string;
  /** `aud` of access tokens. @default 'tend-api' */
  jwtAudience: string;
  /** @default 1800 (30 min) */
  accessTokenTtlS: number;
  /** @default 2592000 (30 days) */
  refreshTokenTtlS: number;
  /** Requests per minute per person (per IP when anonymous). @default 100 */
  rateLimitPerMinute: number;
  /** Open `/ws` sockets per person per gateway (`WS_SOCKETS_PER_PERSON`). @default 5 */
  socketsPerPerson: number;
  /** Origins allowed to call the API from a browser. @default [] (none) */
  corsOrigins: string[];
  /**
   * Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, IPs or CIDRs). Unset means
   * loopback only; required in distributed mode when the gateway listens on another address.
   */
  trustedProxies: string[] | undefined;
  /** OpenID Connect providers people may sign in with, by the name used in the login URL. @default {} */
  oidcProviders: Record<string, OidcProviderConfig>;
}

/** One OpenID Connect provider (`OIDC_PROVIDERS`, a JSON object of these by name). */
export interface OidcProviderConfig {
  /** The issuer URL; its discovery document is read at the first login. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** This gateway's callback as registered with the provider: `…/api/v1/auth/oidc/<name>/callback`. */
  redirectUri: string;
  /** @default 'openid email profile' */
  scope: string;
}

/** Where the gateway's process serves readiness and metrics (`OPS_ROUTES`). */
export const opsRoutePlacements = ['public', 'admin'] as const;
export type OpsRoutePlacement = (typeof opsRoutePlacements)[number];
