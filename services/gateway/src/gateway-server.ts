import { createServer } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createClient, type Transport } from '@connectrpc/connect';
import {
  BaseService,
  ConfigError,
  type GatewayConfig,
  type Logger,
  type Metrics,
  type OpsRoutePlacement,
} from '@tend/core';
import {
  listen,
  registerOpsRoutes,
  registerRequestMetrics,
  registerRequestTrace,
  runInRequestTrace,
  withDefaultDeadline,
  type Readiness,
} from '@tend/rpc';
import { type Cache, type RateLimitStore } from '@tend/cache';
import { type Database } from '@tend/db';
import { type EventBus } from '@tend/events';
import { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { VoiceService } from '@tend/proto/tend/voice/v1/voice';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import proxyAddr from '@fastify/proxy-addr';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { createAuth } from './auth/index.js';
import { connectPassthrough, rpcPathPrefix } from './connect/connect-passthrough.js';
import { registerAccessPolicy } from './http/access-policy.js';
import { checkUpstreamFieldNames } from './http/field-names.js';
import { collectRouteFacts, describeContract } from './http/openapi-contract.js';
import { pathItemsOf } from './http/path-items.js';
import { registerApiRateLimit, registerEdgeHardening, requestIdOf } from './http/edge-hardening.js';
import { registerPathItemGuard, registerProblemHandlers } from './http/problems.js';
import { responseSerializerCompiler } from './http/response-serializer.js';
import { landingPage } from './landing-page.js';
import { LiveFeed } from './realtime/live-feed.js';
import { AccountErasure } from './auth/account-erasure.js';
import { registerWebSocket } from './realtime/websocket-routes.js';
import { SocketSessions, socketSessionCheck } from './realtime/socket-sessions.js';
import { registerAppointmentRoutes } from './routes/appointment-routes.js';
import { registerCalendarSyncRoutes } from './routes/calendar-sync-routes.js';
import { registerAdminRoutes, type SystemStatus } from './routes/admin-routes.js';
import { registerCaregiverRoutes } from './routes/caregiver-routes.js';
import { registerConversationRoutes } from './routes/conversation-routes.js';
import { registerFhirRoutes } from './routes/fhir-routes.js';
import { registerMedicationRoutes } from './routes/medication-routes.js';
import { registerMeRoutes } from './routes/me-routes.js';
import { registerDeviceRoutes } from './routes/device-routes.js';
import { registerNotificationRoutes } from './routes/notification-routes.js';
import { registerVitalRoutes } from './routes/vital-routes.js';
import { registerWeatherRoutes } from './routes/weather-routes.js';
import { registerVoiceRoutes } from './routes/voice-routes.js';
import { registerWebApp } from './web-app.js';

type SchemaCompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Zod validates every route, and a writer compiled from each route's response schema serializes
 * it (zod where the writer does not apply). Given to Fastify as its compiler factories (rather
 * than with setValidatorCompiler and setSerializerCompiler), they keep it from loading its default
 * ajv and fast-json-stringify compilers, which no route uses: ~0.3 s of CPU at every start
 * (bench/README.md, "Start and stop"). Fastify types the factories after those defaults; at run
 * time its schema controller takes any compiler a factory returns, as set*Compiler does.
 */
const zodSchemaCompilers = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => responseSerializerCompiler,
} as unknown as SchemaCompilersFactory;

export interface GatewayOptions {
  host: string;
  /** @default 8080 */
  port: number;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  config: GatewayConfig;
  /** How the health service is reached (in-process or over gRPC, decided by the binary). */
  health: Transport;
  /** How the conversation service is reached. */
  conversation: Transport;
  /** How the external service (weather, places, appointments) is reached. */
  external: Transport;
  /** How the voice service is reached; without it the voice routes are not served. */
  voice?: Transport;
  /** How the notification service is reached (inbox, preferences, reminders). */
  notification: Transport;
  /** Holds login sessions (schema `gateway`). */
  database: Database;
  cache: Cache;
  rateLimits: RateLimitStore;
  /** Where the live notifications of `/ws` come from. */
  bus: EventBus;
  dataDir: string;
  /** Where generated keys are kept (`TEND_KEYS_DIR`). @default `<dataDir>/keys` */
  keysDir?: string | undefined;
  /** Signing keys must come from configuration (a real database: several gateways). */
  requireConfiguredKeys: boolean;
  /** The admin status page's content. */
  status: SystemStatus;
  /** Largest request body accepted (FHIR import has its own, larger limit). @default 1 MiB */
  bodyLimitBytes?: number;
  /** Deadline of each call to a service; it travels with the call. @default 10000 */
  upstreamDeadlineMs?: number;
  /** The built web app served at `/` (the plain landing page when it is not built). @default apps/web/dist */
  webAppDir?: string;
  /**
   * `admin`: only `/healthz` on this public port; `/readyz` and `/metrics` are the admin
   * server's (`OPS_ROUTES`). @default 'public'
   */
  opsRoutes?: OpsRoutePlacement;
}

/**
 * The single HTTP entry point: the public REST API under `/api/v1` (OpenAPI at `/openapi.json`,
 * docs at `/docs`), the services' public methods over Connect and gRPC-Web under `/rpc`, live
 * notifications on `/ws`, authentication, per-route access rules, rate limits, and the probes and
 * metrics. It holds no health data: every call goes to the service that owns the record, with
 * the caller taken from the verified token.
 */
export class GatewayServer extends BaseService {
  #app: FastifyInstance | undefined;
  #feed: LiveFeed | undefined;
  #erasure: AccountErasure | undefined;
  #sockets: SocketSessions | undefined;
  #port = 0;

  constructor(private readonly options: GatewayOptions) {
    super('gateway-http');
  }

  get port(): number {
    return this.#port;
  }

  /** The Fastify app, for tests that inject requests. */
  get app(): FastifyInstance {
    if (!this.#app) throw new Error('the gateway is not started');
    return this.#app;
  }

  protected async doStart(): Promise<void> {
    const { options } = this;
    const healthTransport = withDefaultDeadline(options.health, options.upstreamDeadlineMs ?? 10_000);
    const health = createClient(HealthService, healthTransport);
    const auth = await createAuth({
      health,
      database: options.database,
      cache: options.cache,
      rateLimits: options.rateLimits,
      config: options.config,
      dataDir: options.dataDir,
      keysDir: options.keysDir,
      requireConfiguredKeys: options.requireConfiguredKeys,
      logger: options.logger,
    });

    const trustProxy = trustedProxiesFor(options.host, options.config, options.requireConfiguredKeys);
    const trusted = proxyAddr.compile(trustProxy);
    // Connect / gRPC-Web calls under /rpc go to their own handler before Fastify parses anything.
    const rpc = connectPassthrough({
      health: createClient(HealthPublicService, healthTransport),
      verify: (token) => auth.verifier.verify(token),
      rateLimits: options.rateLimits,
      perMinute: options.config.rateLimitPerMinute,
      clientAddress: (req) => proxyAddr(req, trusted),
    });
    const app = Fastify({
      serverFactory: (handler) =>
        createServer((req, res) => {
          if (req.url?.startsWith(`${rpcPathPrefix}/`))
            runInRequestTrace(req.method ?? 'POST', req.headers, () => rpc(req, res));
          else handler(req, res);
        }),
      logger: false,
      bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
      genReqId: requestIdOf,
      requestIdHeader: false,
      // Keep-alive sockets must not hold a stopping process open past its deadline.
      forceCloseConnections: 'idle',
      // Behind a proxy: the client's address comes from X-Forwarded-For, from trusted proxies only.
      trustProxy,
      // The router's own limit (100) answered a longer path parameter 414 with a body of its own;
      // Node's 16 KiB request-line limit comes first now, and the route's schema answers 400.
      maxParamLength: 16 * 1024,
      schemaController: { compilersFactory: zodSchemaCompilers },
    });
    // First, so every later hook, the handler and the access log run in the request's trace.
    registerRequestTrace(app);
    app.addContentTypeParser(
      'application/fhir+json',
      { parseAs: 'string' },
      app.getDefaultJsonParser('error', 'error'),
    );
    const routeFacts = collectRouteFacts(app);
    const pathItemOf = pathItemsOf(() => routeFacts.values());
    registerProblemHandlers(app, options.logger, pathItemOf);
    await registerEdgeHardening(app, { corsOrigins: options.config.corsOrigins, logger: options.logger });
    registerPathItemGuard(app, pathItemOf);
    registerRequestMetrics(app, { metrics: options.metrics, service: 'gateway' });
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Tend API',
          version: '1.0.0',
          description: 'The public API of Tend, a voice-first health assistant.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
      // Only the OpenAPI form is produced (`openapi` above), never Swagger 2.
      transformObject: (document) =>
        describeContract('openapiObject' in document ? document.openapiObject : document.swaggerObject, routeFacts),
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    registerAccessPolicy(app, (request) => auth.authenticate(request));
    checkUpstreamFieldNames(app);
    registerApiRateLimit(app, { store: options.rateLimits, perMinute: options.config.rateLimitPerMinute });

    registerOpsRoutes(app, { ...options, livenessOnly: options.opsRoutes === 'admin' });
    const webApp = registerWebApp(app, {
      ...(options.webAppDir !== undefined && { dir: options.webAppDir }),
      oidcProviders: Object.keys(options.config.oidcProviders),
    });
    if (!webApp)
      app.get('/', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .type('text/html; charset=utf-8')
          .send(landingPage),
      );
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    auth.registerRoutes(app);
    const deps = { health, endSessionsOf: (userId: string) => auth.sessions.revokeAllOf(userId, 'account_deleted') };
    registerMeRoutes(app, deps);
    registerVitalRoutes(app, deps);
    registerMedicationRoutes(app, deps);
    registerCaregiverRoutes(app, deps);
    registerFhirRoutes(app, deps);
    registerAdminRoutes(app, options.status);
    const conversation = createClient(
      ConversationService,
      withDefaultDeadline(options.conversation, options.upstreamDeadlineMs ?? 10_000),
    );
    registerConversationRoutes(app, conversation);
    const external = createClient(
      ExternalService,
      withDefaultDeadline(options.external, options.upstreamDeadlineMs ?? 10_000),
    );
    registerWeatherRoutes(app, external);
    registerAppointmentRoutes(app, { external, health });
    registerCalendarSyncRoutes(app, { external, health });
    const voice =
      options.voice &&
      createClient(VoiceService, withDefaultDeadline(options.voice, options.upstreamDeadlineMs ?? 30_000));
    if (voice) {
      registerVoiceRoutes(app, { voice, conversation, health, cache: options.cache });
    }
    const notification = createClient(
      NotificationService,
      withDefaultDeadline(options.notification, options.upstreamDeadlineMs ?? 10_000),
    );
    registerNotificationRoutes(app, notification);
    registerDeviceRoutes(app, notification);
    this.#feed = new LiveFeed(options.bus, options.logger);
    await this.#feed.start();
    this.#erasure = new AccountErasure(options.bus, auth.sessions, options.logger);
    await this.#erasure.start();
    const sockets = new SocketSessions({
      check: (principal) => socketSessionCheck(principal, auth.sessions, health),
      logger: options.logger,
      maxPerPerson: options.config.socketsPerPerson,
    });
    auth.sessions.onRevoked((sessionId) => sockets.sessionEnded(sessionId));
    this.#sockets = sockets;
    await registerWebSocket(app, {
      verify: (token) => auth.verifier.verify(token),
      authenticate: (request) => auth.authenticate(request),
      cache: options.cache,
      feed: this.#feed,
      conversation,
      ...(voice && { voice: { voice, health } }),
      logger: options.logger,
      sockets,
      rateLimits: options.rateLimits,
      perMinute: options.config.rateLimitPerMinute,
    });

    await app.ready();
    this.#app = app;
    this.#port = await listen(app.server, options.host, options.port, 'GATEWAY_PORT');
    options.logger.info({ port: this.#port }, 'gateway listening');
  }

  protected async doStop(): Promise<void> {
    // Fastify's close stops accepting, lets in-flight requests finish, then resolves.
    this.#sockets?.stop();
    await this.#app?.close();
    await this.#feed?.stop();
    await this.#erasure?.stop();
  }
}

/**
 * The proxies whose `X-Forwarded-For` the gateway believes. Unset, only loopback is trusted,
 * which is right for a gateway on loopback behind a local nginx. A gateway reachable from other
 * machines in distributed mode must be told: otherwise every client behind the real proxy would
 * share the proxy's address, and with it one anonymous rate-limit bucket. Throws a
 * `ConfigError` naming `TRUSTED_PROXIES` then, so the process exits 78 before it starts anything.
 */
export function trustedProxiesFor(host: string, config: GatewayConfig, distributed: boolean): string[] {
  if (config.trustedProxies !== undefined) return [...config.trustedProxies];
  if (distributed && !isLoopback(host))
    throw new ConfigError(
      'TRUSTED_PROXIES',
      `is required when the gateway listens on ${host}: list the addresses or CIDRs of the proxies in front of it`,
    );
  return ['127.0.0.1', '::1'];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
