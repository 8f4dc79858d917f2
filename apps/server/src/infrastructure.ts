import { createClient, type Transport } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '@tend/proto/grpc/health/v1/health';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  createCache,
  createDatabase,
  createEventBus,
  createInProcessTransport,
  createRateLimitStore,
  grpcServiceNames,
  serverInterceptor,
  tracePropagationInterceptor,
  type Cache,
  type Database,
  type EventBus,
  type GrpcServiceModule,
  type GrpcServiceName,
  type Logger,
  type Metrics,
  type ModuleDefinition,
  type RateLimitStore,
  type Readiness,
  type TendConfig,
} from '@tend/platform';
import { roundRobinTransport } from './round-robin-transport.js';

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

  constructor(
    readonly config: TendConfig,
    readonly logger: Logger,
    readonly metrics: Metrics,
    readonly readiness: Readiness,
  ) {}

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
   * when it runs here, otherwise gRPC over HTTP/2 to its configured instances,
   * round-robin. The choice is made at the first call, so a client may be built before the
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
    const services = await Promise.all(
      grpcServiceNames.map(async (name) => {
        if (this.#local.has(name)) return { service: name, mode: 'in-process', instances: [] };
        const instances = await Promise.all(
          this.config.upstreams[name].map(async (url) => ({ url, healthy: await answersHealthCheck(url) })),
        );
        return { service: name, mode: 'remote', policy: 'round-robin', instances };
      }),
    );
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
        serverInterceptors: [serverInterceptor({ service: name, metrics: this.metrics, logger: this.logger })],
        clientInterceptors: interceptors,
      });
    }
    const transports = this.config.upstreams[name].map((baseUrl) => createGrpcTransport({ baseUrl, interceptors }));
    return roundRobinTransport(transports);
  }
}

/** Whether the gRPC server at `baseUrl` reports SERVING within a second. */
async function answersHealthCheck(baseUrl: string): Promise<boolean> {
  try {
    const client = createClient(Health, createGrpcTransport({ baseUrl }));
    const { status } = await client.check({}, { timeoutMs: 1_000 });
    return status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}

function required<T>(value: T | undefined, module: string): T {
  if (value === undefined) throw new Error(`the ${module} module is used before it started`);
  return value;
}
