import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from '../errors/errors.js';

/** The services Tend is made of; each is a target of the one binary. */
export const serviceNames = ['gateway', 'voice', 'conversation', 'health', 'notification', 'external'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** gRPC services behind the gateway, with their default ports. */
export const grpcServiceNames = ['voice', 'conversation', 'health', 'notification', 'external'] as const;
export type GrpcServiceName = (typeof grpcServiceNames)[number];

/** Everything a Tend process is configured with, validated and with defaults filled in. */
export interface TendConfig {
  /** Address every server binds. @default '127.0.0.1' (set `0.0.0.0` in containers) */
  host: string;
  /** @default 8080 */
  gatewayPort: number;
  /** Port of /healthz, /readyz and /metrics for processes without the gateway. @default 9400 */
  adminPort: number;
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
  /** @default 'info' */
  logLevel: string;
  /** OTLP/HTTP endpoint for traces, e.g. `http://jaeger:4318`; unset disables export. */
  otlpEndpoint: string | undefined;
  /** How long in-flight work may take to finish after SIGTERM. @default 10000 */
  shutdownTimeoutMs: number;
  /**
   * Field-encryption keys, `id:base64key,...`, the first sealing new values. Unset in all-in-one
   * mode means keys generated once in the data directory; required with `DATABASE_URL`.
   */
  encryptionKeys: string | undefined;
  /** Key of the keyed hashes used to look up encrypted values (base64, 32 bytes). */
  blindIndexKey: string | undefined;
  /** The public API's settings. */
  gateway: GatewayConfig;
  /** The conversation service's language model; unset (no `LLM_BASE_URL`) means the embedded brain only. */
  llm: LlmConfig | undefined;
  /** Where the external service's weather provider lives. */
  external: ExternalConfig;
}

/**
 * Open-Meteo's three APIs, each as scheme and host (Tend appends `/v1/forecast`, `/v1/search`,
 * `/v1/air-quality`), for a self-hosted Open-Meteo or a proxy. Unset means the public hosts.
 */
export interface ExternalConfig {
  weatherBaseUrl: string | undefined;
  geocodingBaseUrl: string | undefined;
  airQualityBaseUrl: string | undefined;
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
  /** Origins allowed to call the API from a browser. @default [] (none) */
  corsOrigins: string[];
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

const defaultGrpcPorts: Record<GrpcServiceName, number> = {
  voice: 50051,
  conversation: 50052,
  health: 50053,
  notification: 50054,
  external: 50055,
};

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Environment variable names, each documented in the README. */
export const configVariables = [
  'TEND_CONFIG_FILE',
  'TEND_HOST',
  'GATEWAY_PORT',
  'ADMIN_PORT',
  ...grpcServiceNames.map((s) => `${s.toUpperCase()}_PORT`),
  ...grpcServiceNames.map((s) => `${s.toUpperCase()}_URLS`),
  'TEND_DATA_DIR',
  'DATABASE_URL',
  'DATABASE_REPLICA_URLS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'REDIS_URL',
  'KAFKA_BROKERS',
  'KAFKA_REPLICATION_FACTOR',
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'SHUTDOWN_TIMEOUT_MS',
  'TEND_ENCRYPTION_KEYS',
  'TEND_BLIND_INDEX_KEY',
  'TEND_JWT_KEYS',
  'TEND_JWT_ISSUER',
  'TEND_JWT_AUDIENCE',
  'ACCESS_TOKEN_TTL_S',
  'REFRESH_TOKEN_TTL_S',
  'RATE_LIMIT_PER_MINUTE',
  'CORS_ORIGINS',
  'OIDC_PROVIDERS',
  'LLM_BASE_URL',
  'LLM_MODEL',
  'LLM_API_KEY',
  'LLM_FIRST_TOKEN_TIMEOUT_MS',
  'LLM_TIMEOUT_MS',
  'LLM_MAX_STEPS',
  'WEATHER_BASE_URL',
  'GEOCODING_BASE_URL',
  'AIR_QUALITY_BASE_URL',
] as const;

type Source = Record<string, string | undefined>;

/**
 * Reads the configuration from the environment, over an optional JSON file named by
 * `TEND_CONFIG_FILE` whose keys are the same variable names. Every value is validated here, at
 * start, and a bad one throws a `ConfigError` naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TendConfig {
  const source: Source = { ...readConfigFile(env.TEND_CONFIG_FILE), ...definedOnly(env) };
  const text = (name: string): string | undefined => {
    const value = source[name]?.trim();
    return value ? value : undefined;
  };
  const grpcPorts = Object.fromEntries(
    grpcServiceNames.map((s) => [
      s,
      port(`${s.toUpperCase()}_PORT`, text(`${s.toUpperCase()}_PORT`), defaultGrpcPorts[s]),
    ]),
  ) as Record<GrpcServiceName, number>;
  const host = text('TEND_HOST') ?? '127.0.0.1';
  if (isIP(host) === 0 && host !== 'localhost') throw new ConfigError('TEND_HOST', `"${host}" is not an IP address`);
  const upstreams = Object.fromEntries(
    grpcServiceNames.map((s) => {
      const name = `${s.toUpperCase()}_URLS`;
      const instances = list(text(name)).map((entry) => upstreamInstance(name, entry));
      return [
        s,
        instances.length > 0 ? instances : [{ url: `http://127.0.0.1:${grpcPorts[s]}`, weight: 1, backup: false }],
      ];
    }),
  ) as Record<GrpcServiceName, UpstreamInstance[]>;
  const defaultPolicy = policy('UPSTREAM_POLICY', text('UPSTREAM_POLICY'), 'round-robin');
  const upstreamPolicies = Object.fromEntries(
    grpcServiceNames.map((s) => [
      s,
      policy(`${s.toUpperCase()}_POLICY`, text(`${s.toUpperCase()}_POLICY`), defaultPolicy),
    ]),
  ) as Record<GrpcServiceName, BalancingPolicy>;

  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `"${logLevel}" is not one of ${logLevels.join(', ')}`);
  }
  const databaseUrl = text('DATABASE_URL');
  if (databaseUrl !== undefined) postgresUrl('DATABASE_URL', databaseUrl);
  const databaseReplicaUrls = list(text('DATABASE_REPLICA_URLS'));
  for (const url of databaseReplicaUrls) postgresUrl('DATABASE_REPLICA_URLS', url);
  const redisUrl = text('REDIS_URL');
  if (redisUrl !== undefined) redisUrlOf(redisUrl);
  const kafkaBrokers = list(text('KAFKA_BROKERS'));
  for (const broker of kafkaBrokers) hostPort('KAFKA_BROKERS', broker);
  const otlpEndpoint = text('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otlpEndpoint !== undefined) httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', otlpEndpoint);

  return {
    host,
    gatewayPort: port('GATEWAY_PORT', text('GATEWAY_PORT'), 8080),
    adminPort: port('ADMIN_PORT', text('ADMIN_PORT'), 9400),
    grpcPorts,
    upstreams,
    upstreamPolicies,
    dataDir: text('TEND_DATA_DIR') ?? './.tend',
    databaseUrl,
    databaseReplicaUrls,
    databaseStatementTimeoutMs: positiveInt(
      'DATABASE_STATEMENT_TIMEOUT_MS',
      text('DATABASE_STATEMENT_TIMEOUT_MS'),
      5000,
    ),
    redisUrl,
    kafkaBrokers,
    kafkaReplicationFactor: positiveInt('KAFKA_REPLICATION_FACTOR', text('KAFKA_REPLICATION_FACTOR'), 1),
    logLevel,
    otlpEndpoint,
    shutdownTimeoutMs: positiveInt('SHUTDOWN_TIMEOUT_MS', text('SHUTDOWN_TIMEOUT_MS'), 10_000),
    encryptionKeys: text('TEND_ENCRYPTION_KEYS'),
    blindIndexKey: text('TEND_BLIND_INDEX_KEY'),
    gateway: {
      jwtKeys: text('TEND_JWT_KEYS'),
      jwtIssuer: text('TEND_JWT_ISSUER') ?? 'tend',
      jwtAudience: text('TEND_JWT_AUDIENCE') ?? 'tend-api',
      accessTokenTtlS: positiveInt('ACCESS_TOKEN_TTL_S', text('ACCESS_TOKEN_TTL_S'), 1800),
      refreshTokenTtlS: positiveInt('REFRESH_TOKEN_TTL_S', text('REFRESH_TOKEN_TTL_S'), 30 * 24 * 3600),
      rateLimitPerMinute: positiveInt('RATE_LIMIT_PER_MINUTE', text('RATE_LIMIT_PER_MINUTE'), 100),
      corsOrigins: list(text('CORS_ORIGINS')).map((origin) => httpUrl('CORS_ORIGINS', origin)),
      oidcProviders: oidcProviders(text('OIDC_PROVIDERS')),
    },
    llm:
      text('LLM_BASE_URL') === undefined
        ? undefined
        : {
            baseUrl: httpUrl('LLM_BASE_URL', text('LLM_BASE_URL')!),
            model: text('LLM_MODEL') ?? 'gpt-4o-mini',
            apiKey: text('LLM_API_KEY'),
            firstTokenTimeoutMs: positiveInt('LLM_FIRST_TOKEN_TIMEOUT_MS', text('LLM_FIRST_TOKEN_TIMEOUT_MS'), 3000),
            totalTimeoutMs: positiveInt('LLM_TIMEOUT_MS', text('LLM_TIMEOUT_MS'), 15_000),
            maxSteps: positiveInt('LLM_MAX_STEPS', text('LLM_MAX_STEPS'), 5),
          },
    external: {
      weatherBaseUrl: optionalHttpUrl('WEATHER_BASE_URL', text('WEATHER_BASE_URL')),
      geocodingBaseUrl: optionalHttpUrl('GEOCODING_BASE_URL', text('GEOCODING_BASE_URL')),
      airQualityBaseUrl: optionalHttpUrl('AIR_QUALITY_BASE_URL', text('AIR_QUALITY_BASE_URL')),
    },
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
    source[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return source;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `"${value}" is not a positive integer`);
  return n;
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `"${value}" is not a port (0-65535)`);
  return n;
}

function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(name, `"${redactUrl(value)}" is not a valid URL`);
  }
}

function postgresUrl(name: string, value: string): void {
  const url = parseUrl(name, value);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `"${redactUrl(value)}" must start with postgres:// or postgresql://`);
  }
  if (!url.hostname) throw new ConfigError(name, `"${redactUrl(value)}" has no host`);
  if (url.pathname.length <= 1) throw new ConfigError(name, `"${redactUrl(value)}" names no database`);
}

function redisUrlOf(value: string): void {
  const url = parseUrl('REDIS_URL', value);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `"${redactUrl(value)}" must start with redis:// or rediss://`);
  }
  if (!url.hostname) throw new ConfigError('REDIS_URL', `"${redactUrl(value)}" has no host`);
}

function httpUrl(name: string, value: string): string {
  const url = parseUrl(name, value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `"${value}" must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

/** Scheme and host only: the path is the API's own and is appended by Tend. */
function optionalHttpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const url = httpUrl(name, value);
  if (new URL(url).pathname !== '/') throw new ConfigError(name, `"${value}" must be a scheme and host without a path`);
  return url;
}

function upstreamInstance(name: string, entry: string): UpstreamInstance {
  const [url = '', ...options] = entry.split(';').map((part) => part.trim());
  const instance: UpstreamInstance = { url: httpUrl(name, url), weight: 1, backup: false };
  for (const option of options) {
    if (option === 'backup') instance.backup = true;
    else if (option.startsWith('weight=')) instance.weight = positiveInt(name, option.slice('weight='.length), 1);
    else throw new ConfigError(name, `unknown option "${option}" of ${url} (use weight=N or backup)`);
  }
  return instance;
}

function policy(name: string, value: string | undefined, fallback: BalancingPolicy): BalancingPolicy {
  if (value === undefined) return fallback;
  if (!(balancingPolicies as readonly string[]).includes(value)) {
    throw new ConfigError(name, `"${value}" is not one of ${balancingPolicies.join(', ')}`);
  }
  return value as BalancingPolicy;
}

function oidcProviders(value: string | undefined): Record<string, OidcProviderConfig> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('OIDC_PROVIDERS', 'must be a JSON object of providers by name');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('OIDC_PROVIDERS', 'must be a JSON object of providers by name');
  }
  const providers: Record<string, OidcProviderConfig> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    if (!/^[a-z0-9-]{1,32}$/.test(name))
      throw new ConfigError('OIDC_PROVIDERS', `provider name "${name}" must be [a-z0-9-]`);
    const field = (key: string): string => {
      const v = entry?.[key];
      if (typeof v !== 'string' || v === '') throw new ConfigError('OIDC_PROVIDERS', `${name}.${key} is required`);
      return v;
    };
    providers[name] = {
      issuer: httpUrl('OIDC_PROVIDERS', field('issuer')),
      clientId: field('clientId'),
      clientSecret: field('clientSecret'),
      redirectUri: httpUrl('OIDC_PROVIDERS', field('redirectUri')),
      scope: typeof entry.scope === 'string' && entry.scope !== '' ? entry.scope : 'openid email profile',
    };
  }
  return providers;
}

function hostPort(name: string, value: string): void {
  const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) throw new ConfigError(name, `"${value}" is not host:port`);
}

/** A URL with its password replaced, safe to print. */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
