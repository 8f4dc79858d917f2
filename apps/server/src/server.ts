import { setTimeout as delay } from 'node:timers/promises';
import { AdminServer, GrpcServer, Readiness, type GrpcServiceModule } from '@tend/rpc';
import {
  CompositeService,
  ConfigError,
  Metrics,
  ModuleRunner,
  createLogger,
  resolveModules,
  type GrpcServiceName,
  type Logger,
  type ModuleDefinition,
  type TendConfig,
  watchFilesystems,
} from '@tend/core';
import { GatewayServer, trustedProxiesFor } from '@tend/gateway';
import { Infrastructure } from './infrastructure.js';
import { moduleGraph } from './module-graph.js';
import { createServiceModules } from './services.js';

/** A running Tend process: the modules its targets need, started in order. */
export interface TendServer {
  readonly logger: Logger;
  readonly modules: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the process for `targets`: the services asked for, the infrastructure they depend on,
 * and the HTTP endpoints for probes and metrics (on the gateway when it runs here, otherwise on
 * the admin port).
 */
export function createServer(config: TendConfig, targets: readonly string[]): TendServer {
  const logger = createLogger({ level: config.logLevel });
  const metrics = new Metrics();
  watchFilesystems(metrics, [config.dataDir]);
  const readiness = new Readiness();
  const infra = new Infrastructure(config, logger, metrics, readiness);
  const services = createServiceModules(infra);
  const grpcServers: GrpcServer[] = [];
  // Health says at once what readiness says at start and at drain, not at the next probe.
  const probeHealth = () => Promise.all(grpcServers.map((server) => server.probe()));

  const grpcModule = (name: GrpcServiceName): ModuleDefinition => ({
    name,
    deps: moduleGraph[name].deps,
    target: true,
    init: async () => {
      const service: GrpcServiceModule = await services[name]();
      for (const check of service.readiness ?? []) readiness.add(check);
      const server = new GrpcServer({
        name,
        host: config.host,
        port: config.grpcPorts[name],
        serviceNames: service.serviceNames,
        routes: (router) => service.routes(router),
        ...(service.serving && { serving: service.serving }),
        // Health follows readiness: its database and its own checks, and NOT_SERVING once draining.
        ready: () => readiness.ready(['database', ...(service.readiness ?? []).map((check) => check.name)]),
        logger,
        metrics,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        identity: infra.identity,
      });
      grpcServers.push(server);
      infra.registerLocal(name, service);
      return new CompositeService(name, [...(service.parts ?? []), server]);
    },
  });

  const definitions: ModuleDefinition[] = [
    ...infra.modules(),
    grpcModule('health'),
    grpcModule('voice'),
    grpcModule('conversation'),
    grpcModule('notification'),
    grpcModule('external'),
    {
      name: 'gateway',
      deps: moduleGraph.gateway.deps,
      target: true,
      init: async () =>
        new GatewayServer({
          host: config.host,
          port: config.gatewayPort,
          metrics,
          readiness,
          logger,
          config: config.gateway,
          health: infra.transportTo('health'),
          conversation: infra.transportTo('conversation'),
          external: infra.transportTo('external'),
          voice: infra.transportTo('voice'),
          notification: infra.transportTo('notification'),
          database: infra.database,
          cache: infra.cache,
          rateLimits: infra.rateLimits,
          bus: infra.bus,
          dataDir: config.dataDir,
          keysDir: config.keysDir,
          requireConfiguredKeys: config.databaseUrl !== undefined,
          status: () => infra.systemStatus(),
          opsRoutes: config.opsRoutes,
        }),
    },
    {
      name: 'all',
      deps: moduleGraph.all.deps,
      target: true,
      init: async () => undefined,
    },
  ];

  const resolved = resolveModules(definitions, targets);
  // A gateway open to other machines must know its proxies before anything starts.
  if (resolved.some((m) => m.name === 'gateway'))
    trustedProxiesFor(config.host, config.gateway, config.databaseUrl !== undefined);
  requireSharedCache(config, resolved);
  // With `OPS_ROUTES=admin` the gateway's process has an admin port too: readiness and metrics live there only.
  if (!resolved.some((m) => m.name === 'gateway') || config.opsRoutes === 'admin') {
    // Probes and scrapes need an HTTP port from the first moment, so the admin server goes first.
    resolved.unshift({
      name: 'admin-http',
      deps: [],
      target: false,
      init: async () => new AdminServer({ host: config.host, port: config.adminPort, metrics, readiness, logger }),
    });
  }
  const runner = new ModuleRunner(resolved, (event) => logger.debug(event, `module ${event.phase}`));
  const began = performance.now();
  // Only a process that has served has traffic to drain; a failed start stops at once.
  let started = false;
  return {
    logger,
    modules: resolved.map((m) => m.name),
    async start() {
      logger.info({ targets, modules: resolved.map((m) => m.name) }, 'starting');
      await runner.start();
      readiness.markStarted();
      started = true;
      await probeHealth();
      logger.info({ ms: Math.round(performance.now() - began) }, 'started');
    },
    async stop() {
      readiness.markStopping();
      await probeHealth();
      // The drain grace: NOT_SERVING (and /readyz 503) while every port still serves, in-flight
      // and new requests alike, until balancers and endpoint lists have stopped sending here.
      if (started && config.shutdownGraceMs > 0) {
        logger.info({ graceMs: config.shutdownGraceMs }, 'draining: NOT_SERVING, still serving');
        await delay(config.shutdownGraceMs);
      }
      await runner.stop();
      logger.info('stopped');
    },
  };
}

/**
 * Distributed processes (`DATABASE_URL` set) that use the cache or rate limits need Redis:
 * replicas with a memory cache each would keep their own rate-limit buckets (a client gets one
 * per replica) and learn of another replica's logout only from the database after their cached
 * "live" answer expires. Throws a `ConfigError` naming `REDIS_URL`, so the process exits 78.
 */
function requireSharedCache(config: TendConfig, modules: readonly { name: string }[]): void {
  if (config.databaseUrl === undefined || config.redisUrl !== undefined) return;
  if (!modules.some((m) => m.name === 'cache' || m.name === 'rate-limit')) return;
  throw new ConfigError(
    'REDIS_URL',
    'is required in distributed mode (DATABASE_URL is set): replicas share rate limits and cached state through it',
  );
}
