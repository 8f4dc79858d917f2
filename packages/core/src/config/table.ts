import { z } from 'zod';
import {
  hostPort,
  httpUrl,
  integer,
  ipAddress,
  ipOrCidr,
  json,
  list,
  oneOf,
  originUrl,
  port,
  postgresUrl,
  redactUrl,
  redisUrl,
  smtpUrl,
  text,
} from './parsers.js';
import { kafkaSaslMechanisms, kafkaSecurityProtocols } from './kafka-security.js';
import { balancingPolicies, opsRoutePlacements, type OidcProviderConfig, type UpstreamInstance } from './types.js';
import { optional, perService, variable, type GrpcServiceName } from './variable.js';

const defaultGrpcPorts: Record<GrpcServiceName, number> = {
  voice: 50051,
  conversation: 50052,
  health: 50053,
  notification: 50054,
  external: 50055,
};

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every variable Tend reads, in the order the README lists them. This table is the only place a
 * variable is declared: the loader reads and checks exactly these (and `TEND_CONFIG_FILE` keys
 * against them), `npm run config:docs` writes the README's table from them, and
 * `tend config --print` shows them.
 *
 * To add a variable, add a row here (next to its kin), then map it into `TendConfig` in
 * `config.ts` and run `npm run config:docs`. A row says: how to parse it (`parsers.ts`), its
 * default, whether it is secret, one line of documentation, and which modules read it (a
 * process reads a variable only if it runs one of them, so `--target=voice` never needs the
 * gateway's keys). Rows to copy, one per kind:
 * - number with a range: `DATABASE_STATEMENT_TIMEOUT_MS` (`integer({ min, max })`), a port: `GATEWAY_PORT`;
 * - URL: `OTEL_EXPORTER_OTLP_ENDPOINT` (optional), `LLM_BASE_URL`;
 * - list: `CORS_ORIGINS`, `KAFKA_BROKERS`;
 * - one of a set of words: `LOG_LEVEL`;
 * - secret: `LLM_API_KEY`, and `TEND_JWT_KEYS` (required once `DATABASE_URL` is set);
 * - JSON checked by a zod schema: `OIDC_PROVIDERS`;
 * - one per gRPC service: `perService('PORT', …)`.
 */
export const configTable = {
  TEND_CONFIG_FILE: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'a JSON file of these variables (`{"GATEWAY_PORT": 8080}`); the environment wins over it',
    targets: 'every',
  }),
  TEND_HOST: variable({
    parse: ipAddress,
    default: '127.0.0.1',
    doc: 'address every server binds (`0.0.0.0` in containers)',
    targets: 'every',
  }),
  GATEWAY_PORT: variable({ parse: port, default: 8080, doc: 'gateway HTTP', targets: ['gateway'] }),
  ADMIN_PORT: variable({
    parse: port,
    default: 9400,
    doc: '`/healthz`, `/readyz`, `/metrics` when the gateway is not in the process, or when `OPS_ROUTES=admin`',
    targets: 'every',
  }),
  OPS_ROUTES: variable({
    parse: oneOf(opsRoutePlacements),
    default: 'public',
    doc: '`public`: the gateway port serves `/readyz` and `/metrics` too (all-in-one); `admin`: only `ADMIN_PORT` does (image, chart)',
    targets: ['gateway'],
  }),
  ...perService('PORT', (service) =>
    variable({
      parse: port,
      default: defaultGrpcPorts[service],
      doc: `gRPC port of the ${service} service (others find it there when \`${service.toUpperCase()}_URLS\` is unset)`,
      targets: 'every',
    }),
  ),
  ...perService('URLS', (service) =>
    variable<UpstreamInstance[]>({
      parse: list(upstreamInstance),
      default: [],
      defaultDoc: `\`http://127.0.0.1:<${service.toUpperCase()}_PORT>\``,
      doc: `where the ${service} service runs when not in this process; comma-separated instances, each \`url[;weight=N][;backup]\``,
      targets: 'every',
      show: (instances) => instances.map(showInstance).join(','),
    }),
  ),
  UPSTREAM_POLICY: variable({
    parse: oneOf(balancingPolicies),
    default: 'round-robin',
    doc: `how calls spread over a service's instances: ${balancingPolicies.map((p) => `\`${p}\``).join(' ')}`,
    targets: 'every',
  }),
  ...perService('POLICY', (service) =>
    optional({
      parse: oneOf(balancingPolicies),
      defaultDoc: '`UPSTREAM_POLICY`',
      doc: `balancing policy for the ${service} service only`,
      targets: 'every',
    }),
  ),
  TEND_DATA_DIR: variable({
    parse: text,
    default: './.tend',
    doc: 'embedded PostgreSQL data and local state',
    targets: 'every',
  }),
  TEND_KEYS_DIR: optional({
    parse: text,
    defaultDoc: '`<TEND_DATA_DIR>/keys`',
    doc: 'where all-in-one mode keeps the keys it generates (0700), apart from the database; another volume is better',
    targets: 'every',
  }),
  DATABASE_URL: optional({
    parse: postgresUrl,
    defaultDoc: 'embedded',
    doc: 'PostgreSQL primary, `postgres://user:pass@host:5432/db`',
    targets: ['database'],
    show: redactUrl,
  }),
  DATABASE_REPLICA_URLS: variable<string[]>({
    parse: list(postgresUrl),
    default: [],
    defaultDoc: 'none',
    doc: 'read replicas, comma-separated',
    targets: ['database'],
    show: (urls) => urls.map(redactUrl).join(','),
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: variable({
    parse: integer({ min: 1 }),
    default: 5000,
    doc: 'bound on any one query',
    targets: ['database'],
  }),
  REDIS_URL: optional({
    parse: redisUrl,
    defaultDoc: 'in-memory',
    doc: 'cache, shared rate limits; required in distributed mode by every process but voice and notification',
    targets: ['cache', 'rate-limit'],
    show: redactUrl,
  }),
  KAFKA_BROKERS: variable({
    parse: list(hostPort),
    default: [],
    defaultDoc: 'in-process bus',
    doc: '`host:port,host:port`',
    targets: ['event-bus'],
  }),
  KAFKA_SECURITY_PROTOCOL: variable({
    parse: oneOf(kafkaSecurityProtocols),
    default: 'plaintext',
    doc: '`plaintext` `ssl` `sasl_plaintext` `sasl_ssl`: events carry health data, so `ssl` or `sasl_ssl` off a private host',
    targets: ['event-bus'],
  }),
  KAFKA_SSL_CA_FILE: optional({
    parse: text,
    defaultDoc: "the system's CAs",
    doc: "PEM file of the CA of the brokers' certificates (TLS protocols; the certificate is always verified)",
    targets: ['event-bus'],
  }),
  KAFKA_SASL_MECHANISM: variable({
    parse: oneOf(kafkaSaslMechanisms),
    default: 'scram-sha-512',
    doc: '`plain` `scram-sha-256` `scram-sha-512` (SASL protocols)',
    targets: ['event-bus'],
  }),
  KAFKA_SASL_USERNAME: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'SASL user; required with `sasl_ssl` and `sasl_plaintext`',
    targets: ['event-bus'],
  }),
  KAFKA_SASL_PASSWORD: optional({
    parse: text,
    secret: true,
    defaultDoc: 'none',
    doc: 'SASL password; required with `sasl_ssl` and `sasl_plaintext`',
    targets: ['event-bus'],
  }),
  KAFKA_REPLICATION_FACTOR: variable({
    parse: integer({ min: 1 }),
    default: 1,
    doc: 'replication of the topics Tend creates when missing (3 in production)',
    targets: ['event-bus'],
  }),
  LOG_LEVEL: variable({
    parse: oneOf(logLevels),
    default: 'info',
    doc: logLevels.map((l) => `\`${l}\``).join(' '),
    targets: 'every',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional({
    parse: httpUrl,
    defaultDoc: 'none',
    doc: 'OTLP/HTTP endpoint for traces, e.g. `http://jaeger:4318`',
    targets: 'every',
  }),
  SHUTDOWN_GRACE_MS: variable({
    parse: integer({ min: 0 }),
    default: 0,
    doc: 'after SIGTERM, how long health says NOT_SERVING (`/readyz` 503) while all is still served, so balancers stop sending first',
    targets: 'every',
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    parse: integer({ min: 1 }),
    default: 10_000,
    doc: 'how long in-flight work may take after SIGTERM',
    targets: 'every',
  }),
  TEND_ENCRYPTION_KEYS: optional({
    parse: text,
    secret: true,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'AES-256-GCM keys for sensitive fields, `id:base64key,...`; the first seals, all open (rotation)',
    targets: ['health', 'conversation', 'external'],
    requiredWith: 'DATABASE_URL',
  }),
  TEND_BLIND_INDEX_KEY: optional({
    parse: text,
    secret: true,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'base64 key (32 bytes) of the keyed hashes that find encrypted values; never rotates',
    targets: ['health', 'conversation', 'external'],
    requiredWith: 'DATABASE_URL',
  }),
  CONVERSATION_RETENTION_DAYS: variable({
    parse: integer({ min: 1, max: 36_500 }),
    default: 365,
    doc: 'days a chat message is kept; older ones, and conversations idle as long, are deleted hourly',
    targets: ['conversation'],
  }),
  VITAL_HISTORY_DAYS: variable({
    parse: integer({ min: 30, max: 54_000 }),
    default: 3660,
    doc: 'how far back a reading may be dated (older ones are refused and create no partition)',
    targets: ['health'],
  }),
  MEDICATIONS_PER_PERSON_MAX: variable({
    parse: integer({ min: 1, max: 10_000 }),
    default: 200,
    doc: 'medications one person may have',
    targets: ['health'],
  }),
  SCHEDULE_VERSIONS_PER_MEDICATION_MAX: variable({
    parse: integer({ min: 2, max: 10_000 }),
    default: 100,
    doc: 'schedule changes one medication may accumulate (then add a new medication)',
    targets: ['health'],
  }),
  SCHEDULED_DOSES_PER_READ_MAX: variable({
    parse: integer({ min: 100, max: 10_000_000 }),
    default: 50_000,
    doc: 'scheduled doses one read (dose list, adherence) may expand in memory; a longer period is refused',
    targets: ['health'],
  }),
  FHIR_EXPORT_MAX_DAYS: variable({
    parse: integer({ min: 1, max: 54_000 }),
    default: 3660,
    doc: 'longest period of one FHIR export (without one, the last 366 days)',
    targets: ['health'],
  }),
  PASSWORD_HASH_TEST_LOG2N: optional({
    parse: integer({ min: 10, max: 17 }),
    defaultDoc: '17 (scrypt N 2^17, r 8, p 1)',
    doc: 'tests only: log2 of scrypt N for new password hashes; refused in distributed mode (`DATABASE_URL` set)',
    targets: ['health'],
  }),
  TEND_JWT_KEYS: optional({
    parse: text,
    secret: true,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'access-token signing keys: JSON array of private JWKs (Ed25519 or P-256) with `kid`; the first signs, all verify',
    targets: ['gateway'],
    requiredWith: 'DATABASE_URL',
  }),
  TEND_SERVICE_KEYS: optional({
    parse: text,
    secret: true,
    defaultDoc: 'made in memory',
    doc: 'service identity: JSON array of private Ed25519 JWKs, `kid` = the service; the first signs its calls; set in distributed mode',
    targets: 'every',
  }),
  TEND_SERVICE_PUBLIC_KEYS: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'public Ed25519 JWKs (JSON array, `kid` = the service) of the services whose calls this process accepts',
    targets: 'every',
  }),
  TEND_JWT_ISSUER: variable({ parse: text, default: 'tend', doc: '`iss` of access tokens', targets: ['gateway'] }),
  TEND_JWT_AUDIENCE: variable({
    parse: text,
    default: 'tend-api',
    doc: '`aud` of access tokens',
    targets: ['gateway'],
  }),
  ACCESS_TOKEN_TTL_S: variable({
    parse: integer({ min: 1 }),
    default: 1800,
    doc: 'access-token lifetime',
    targets: ['gateway'],
  }),
  REFRESH_TOKEN_TTL_S: variable({
    parse: integer({ min: 1 }),
    default: 30 * 24 * 3600,
    doc: 'login-session (refresh-token family) lifetime',
    targets: ['gateway'],
  }),
  RATE_LIMIT_PER_MINUTE: variable({
    parse: integer({ min: 1 }),
    default: 100,
    doc: 'API requests per person (per address when anonymous) per minute',
    targets: ['gateway'],
  }),
  WS_SOCKETS_PER_PERSON: variable({
    parse: integer({ min: 1 }),
    default: 5,
    doc: 'open /ws sockets one person may hold on one gateway; one more is closed with 1008',
    targets: ['gateway'],
  }),
  CORS_ORIGINS: variable({
    parse: list(httpUrl),
    default: [],
    defaultDoc: 'none',
    doc: 'browser origins allowed to call the API, comma-separated',
    targets: ['gateway'],
  }),
  TRUSTED_PROXIES: optional({
    parse: list(ipOrCidr),
    defaultDoc: 'loopback',
    doc: 'proxies (IPs, CIDRs) whose `X-Forwarded-For` is believed; required in distributed mode off loopback',
    targets: ['gateway'],
  }),
  OIDC_PROVIDERS: variable<Record<string, OidcProviderConfig>>({
    parse: json(oidcProvidersSchema(), 'a JSON object of providers by name'),
    default: {},
    defaultDoc: 'none',
    secret: true,
    doc: 'OpenID Connect sign-in: `{"<name>": {"issuer", "clientId", "clientSecret", "redirectUri", "scope"?}}`',
    targets: ['gateway'],
  }),
  LLM_BASE_URL: optional({
    parse: httpUrl,
    defaultDoc: 'none (embedded brain)',
    doc: 'OpenAI-compatible endpoint of the language model; unset, the embedded brain answers',
    targets: ['conversation'],
  }),
  LLM_MODEL: variable({
    parse: text,
    default: 'gpt-4o-mini',
    doc: 'model name sent to `LLM_BASE_URL`',
    targets: ['conversation'],
  }),
  LLM_API_KEY: optional({
    parse: text,
    secret: true,
    defaultDoc: 'none',
    doc: 'bearer key for `LLM_BASE_URL`',
    targets: ['conversation'],
  }),
  LLM_FIRST_TOKEN_TIMEOUT_MS: variable({
    parse: integer({ min: 1 }),
    default: 3000,
    doc: 'the model must start answering within this, or the embedded brain answers',
    targets: ['conversation'],
  }),
  LLM_TIMEOUT_MS: variable({
    parse: integer({ min: 1 }),
    default: 15_000,
    doc: 'bound on a whole model turn, tools included',
    targets: ['conversation'],
  }),
  LLM_MAX_STEPS: variable({
    parse: integer({ min: 1 }),
    default: 5,
    doc: 'model steps (tool calls and answers) per turn',
    targets: ['conversation'],
  }),
  VOICE_PROVIDER_URL: optional({
    parse: httpUrl,
    defaultDoc: 'none (local engines)',
    doc: 'OpenAI-compatible audio endpoint up to `/v1` (`/audio/transcriptions`, `/audio/speech`), preferred over the local engines, which answer when it fails',
    targets: ['voice'],
  }),
  VOICE_PROVIDER_API_KEY: optional({
    parse: text,
    secret: true,
    defaultDoc: 'none',
    doc: 'bearer key for `VOICE_PROVIDER_URL`',
    targets: ['voice'],
  }),
  VOICE_CONCURRENCY: optional({
    parse: integer({ min: 1, max: 64 }),
    defaultDoc: 'CPU cores',
    doc: 'speech jobs at once; four times as many may wait, more are refused (503 with `Retry-After`)',
    targets: ['voice'],
  }),
  WEATHER_BASE_URL: variable({
    parse: originUrl,
    default: 'https://api.open-meteo.com',
    doc: 'scheme and host of the Open-Meteo forecast API (`/v1/forecast` is appended); a self-hosted Open-Meteo or a proxy',
    targets: ['external'],
  }),
  GEOCODING_BASE_URL: variable({
    parse: originUrl,
    default: 'https://geocoding-api.open-meteo.com',
    doc: 'scheme and host of the Open-Meteo geocoding API (`/v1/search` is appended)',
    targets: ['external'],
  }),
  AIR_QUALITY_BASE_URL: variable({
    parse: originUrl,
    default: 'https://air-quality-api.open-meteo.com',
    doc: 'scheme and host of the Open-Meteo air-quality API (`/v1/air-quality` is appended)',
    targets: ['external'],
  }),
  CALENDAR_SYNC_INTERVAL_MS: variable({
    parse: integer({ min: 10_000 }),
    default: 900_000,
    doc: 'how often each connected CalDAV calendar is synced both ways (a sync can also be asked for at `POST /api/v1/calendar/caldav/sync`)',
    targets: ['external'],
  }),
  SMTP_URL: optional({
    parse: smtpUrl,
    secret: true,
    defaultDoc: 'none (e-mail off)',
    doc: 'SMTP server for e-mail notifications, `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`',
    targets: ['notification'],
  }),
  SMTP_FROM: variable({
    parse: text,
    default: 'Tend <notifications@tend.local>',
    doc: 'the From of notification e-mails',
    targets: ['notification'],
  }),
  SMS_PROVIDER: variable({
    parse: list(oneOf(['twilio', 'signalwire'] as const)),
    default: [],
    defaultDoc: 'none (SMS off)',
    doc: 'SMS providers in failover order, `twilio`, `signalwire` or `twilio,signalwire`; each needs its variables below',
    targets: ['notification'],
  }),
  TWILIO_ACCOUNT_SID: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'Twilio account SID (`AC…`)',
    targets: ['notification'],
  }),
  TWILIO_AUTH_TOKEN: optional({
    parse: text,
    secret: true,
    defaultDoc: 'none',
    doc: 'Twilio auth token: API basic auth, and the key of inbound webhook signatures',
    targets: ['notification'],
    requiredWith: 'TWILIO_ACCOUNT_SID',
  }),
  TWILIO_FROM: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'sending number (E.164) or Messaging Service SID (`MG…`)',
    targets: ['notification'],
    requiredWith: 'TWILIO_ACCOUNT_SID',
  }),
  TWILIO_BASE_URL: variable({
    parse: httpUrl,
    default: 'https://api.twilio.com',
    doc: "root of Twilio's REST API",
    targets: ['notification'],
  }),
  SIGNALWIRE_URL: optional({
    parse: httpUrl,
    defaultDoc: 'none',
    doc: "SignalWire's Twilio-compatible API root, `https://<space>.signalwire.com/api/laml`",
    targets: ['notification'],
  }),
  SIGNALWIRE_PROJECT_ID: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'SignalWire project id',
    targets: ['notification'],
    requiredWith: 'SIGNALWIRE_URL',
  }),
  SIGNALWIRE_TOKEN: optional({
    parse: text,
    secret: true,
    defaultDoc: 'none',
    doc: 'SignalWire API token',
    targets: ['notification'],
    requiredWith: 'SIGNALWIRE_URL',
  }),
  SIGNALWIRE_FROM: optional({
    parse: text,
    defaultDoc: 'none',
    doc: 'SignalWire sending number (E.164)',
    targets: ['notification'],
    requiredWith: 'SIGNALWIRE_URL',
  }),
  VAPID_PUBLIC_KEY: optional({
    parse: text,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'Web Push application server key (base64url P-256 public key)',
    targets: ['notification'],
  }),
  VAPID_PRIVATE_KEY: optional({
    parse: text,
    secret: true,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'its private key (base64url)',
    targets: ['notification'],
    requiredWith: 'VAPID_PUBLIC_KEY',
  }),
  VAPID_SUBJECT: variable({
    parse: text,
    default: 'mailto:notifications@tend.local',
    doc: '`mailto:` or `https:` contact given to push services',
    targets: ['notification'],
  }),
  REMINDER_RECONCILE_INTERVAL_MS: variable({
    parse: integer({ min: 10_000 }),
    default: 600_000,
    doc: "how often every person's reminders are reconciled with the health service (and at start): the safety net for lost events; a changed person's are at once",
    targets: ['notification'],
  }),
  NOTIFICATION_ACTION_KEY: optional({
    parse: text,
    secret: true,
    defaultDoc: 'generated in `TEND_DATA_DIR`',
    doc: 'base64 key (32 bytes) signing the Taken/Skip/Snooze links of push messages and e-mails; the same on every replica',
    targets: ['notification'],
  }),
  TEND_PUBLIC_URL: variable({
    parse: httpUrl,
    default: 'http://127.0.0.1:8080',
    doc: 'the gateway as people reach it, for links in e-mails and SMS webhooks',
    targets: ['notification'],
  }),
};

/** The table's type: each variable's name and row. */
export type ConfigTable = typeof configTable;
/** Every variable's name. */
export type ConfigName = keyof ConfigTable;
/** The parsed value of every variable, as the loader gives it. */
export type ConfigValues = { -readonly [K in ConfigName]: ConfigTable[K]['default'] };

function upstreamInstance(entry: string): UpstreamInstance {
  const [url = '', ...options] = entry.split(';').map((part) => part.trim());
  const instance: UpstreamInstance = { url: httpUrl(url), weight: 1, backup: false };
  for (const option of options) {
    if (option === 'backup') instance.backup = true;
    else if (option.startsWith('weight=')) instance.weight = integer({ min: 1 })(option.slice('weight='.length));
    else throw new Error(`unknown option "${option}" of ${url} (use weight=N or backup)`);
  }
  return instance;
}

function showInstance(instance: UpstreamInstance): string {
  return [
    instance.url,
    ...(instance.weight !== 1 ? [`weight=${instance.weight}`] : []),
    ...(instance.backup ? ['backup'] : []),
  ].join(';');
}

function oidcProvidersSchema() {
  const url = z.string().transform((value, ctx) => {
    try {
      return httpUrl(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
  const required = z.string({ error: 'is required' }).min(1, { error: 'is required' });
  return z.record(
    z.string().regex(/^[a-z0-9-]{1,32}$/, { error: 'a provider name must be [a-z0-9-]' }),
    z.object({
      issuer: url,
      clientId: required,
      clientSecret: required,
      redirectUri: url,
      scope: z
        .string()
        .optional()
        .transform((scope) => (scope ? scope : 'openid email profile')),
    }),
  );
}
