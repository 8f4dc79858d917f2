import type { Transport } from '@connectrpc/connect';
import { createCache, createRateLimitStore, type Cache, type RateLimitStore } from '@tend/cache';
import { createDatabase, type Database, watchDatabase } from '@tend/db';
import { createEventBus, type EventBus } from '@tend/events';
import {
  BalancedTransport,
  createGrpcClientTransport,
  createInProcessTransport,
  requestValidationInterceptor,
  serverInterceptor,
  ServiceIdentity,
  serviceTokenInterceptor,
  tracePropagationInterceptor,
  type GrpcServiceModule,
  type Readiness,
  type UpstreamStatus,
} from '@tend/rpc';
import {
  grpcServiceNames,
  type GrpcServiceName,
  type Logger,
  type Metrics,
  type ModuleDefinition,
  type TendConfig,
} from '@tend/core';

/**
 * The shared parts of a process (database, cache, event bus, rate-limit store) and the one
 * place that decides, from configuration, whether each is embedded or real, and whether a
 * service is called in-process or over the network.
 */
export class Infrastructure {
  #database: Database | undefined;
  #cache: Cache | undefined;
  #bus: EventBus | undefined;
  #rateLimits: RateLimitStore | undefined;
  readonly #local = new Map<GrpcServiceName, GrpcServiceModule>();
  readonly #balancers = new Map<GrpcServiceName, BalancedTransport>();

  /**
   * Who this process is to the services it calls, and whose calls its gRPC servers accept. Calls
   * that stay in the process cross no trust boundary and carry no token.
   */
  readonly identity: ServiceIdentity;

  constructor(
    readonly config: TendConfig,
    readonly logger: Logger,
    readonly metrics: Metrics,
    readonly readiness: Readiness,
  ) {
    this.identity = new ServiceIdentity({ keys: config.serviceKeys, publicKeys: config.servicePublicKeys });
  }

  /** Infrastructure modules: never targets, only dependencies of the services. */
  modules(): ModuleDefinition[] {
    const { config, logger, metrics, readiness } = this;
    return [
      {
        name: 'database',
        deps: [],
        target: false,
        init: async () => {
          this.#database = createDatabase({
            url: config.databaseUrl,
            replicaUrls: config.databaseReplicaUrls,
            dataDir: config.dataDir,
            statementTimeoutMs: config.databaseStatementTimeoutMs,
            logger,
          });
          const database = this.#database;
          readiness.add({ name: 'database', check: () => database.ping() });
          watchDatabase(metrics, database);
          return database;
        },
      },
      {
        name: 'cache',
        deps: [],
        target: false,
        init: async () => (this.#cache = createCache({ url: config.redisUrl, logger })),
      },
      {
        name: 'event-bus',
        deps: [],
        target: false,
        init: async () =>
          (this.#bus = createEventBus({
            brokers: config.kafkaBrokers,
            replicationFactor: config.kafkaReplicationFactor,
            kafkaSecurity: config.kafkaSecurity,
            logger,
            metrics,
          })),
      },
      {
        name: 'rate-limit',
        deps: [],
        target: false,
        init: async () => (this.#rateLimits = createRateLimitStore({ url: config.redisUrl, logger })),
      },
    ];
  }

  get database(): Database {
    return required(this.#database, 'database');
  }

  get cache(): Cache {
    return required(this.#cache, 'cache');
  }

  get bus(): EventBus {
    return required(this.#bus, 'event-bus');
  }

  get rateLimits(): RateLimitStore {
    return required(this.#rateLimits, 'rate-limit');
  }

  /** Records a service running in this process, so clients of it call it in-process. */
  registerLocal(name: GrpcServiceName, service: GrpcServiceModule): void {
    this.#local.set(name, service);
  }

  /**
   * How to reach a service: in-process (still protobuf bytes, with the server's interceptors)
   * when it runs here, otherwise gRPC over HTTP/2 to its configured instances through a
   * balancer (policy, health checks, per-instance breakers, retries of idempotent calls). The choice is made at the first call, so a client may be built before the
   * service it calls has started in this process.
   */
  transportTo(name: GrpcServiceName): Transport {
    let chosen: Transport | undefined;
    const resolve = (): Transport => (chosen ??= this.#chooseTransport(name));
    return {
      unary: (...args) => resolve().unary(...args),
      stream: (...args) => resolve().stream(...args),
    };
  }

  /**
   * What the admin status page shows: each service, whether it runs here or where its instances
   * are and whether each answers its gRPC health check now, and the stores in use.
   */
  async systemStatus(): Promise<Record<string, unknown>> {
    const services = grpcServiceNames.map((name): UpstreamStatus => {
      if (this.#local.has(name)) return { service: name, mode: 'in-process', policy: 'none', instances: [] };
      return this.#balancer(name).status();
    });
    return {
      services,
      database: this.#database ? await this.#database.status() : undefined,
      cache: this.#cache?.kind,
      rateLimits: this.#rateLimits?.kind,
      eventBus: this.#bus?.kind,
    };
  }

  #chooseTransport(name: GrpcServiceName): Transport {
    const local = this.#local.get(name);
    const interceptors = [tracePropagationInterceptor()];
    if (local) {
      return createInProcessTransport({
        routes: (router) => local.routes(router),
        serverInterceptors: [
          serverInterceptor({ service: name, metrics: this.metrics, logger: this.logger }),
          requestValidationInterceptor(),
        ],
        clientInterceptors: interceptors,
      });
    }
    return this.#balancer(name);
  }

  /** The balancer over `name`'s instances in other processes, made once, checking their health from then on. */
  #balancer(name: GrpcServiceName): BalancedTransport {
    let balancer = this.#balancers.get(name);
    if (!balancer) {
      // Every call to another process carries this process's service token.
      const interceptors = [tracePropagationInterceptor(), serviceTokenInterceptor(this.identity)];
      balancer = new BalancedTransport({
        service: name,
        instances: this.config.upstreams[name],
        policy: this.config.upstreamPolicies[name],
        transportOf: (baseUrl) => createGrpcClientTransport({ baseUrl, interceptors }),
        logger: this.logger,
      });
      this.#balancers.set(name, balancer);
      // Its health-check timer does not hold the process open; a failed first check is logged by it.
      void balancer.start();
    }
    return balancer;
  }
}

function required<T>(value: T | undefined, module: string): T {
  if (value === undefined) throw new Error(`the ${module} module is used before it started`);
  return value;
}
