import http2 from 'node:http2';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { BaseService } from '../lifecycle/service.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { HealthStatus, ServingStatus, registerHealthService } from './health-checks.js';
import { serverInterceptor } from './interceptors.js';
import { serviceAuthInterceptor, type ServiceIdentity } from './service-identity.js';
import { defaultMaxMessageBytes, grpcUnaryHandler } from './grpc-unary-handler.js';
import { UnaryRegistry } from './unary-registry.js';
import { listen } from '../http/listen.js';

export interface GrpcServerOptions {
  /** The Tend service this server hosts, e.g. `health`; labels metrics and logs. */
  name: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Fully-qualified gRPC service names it serves, for health checks, e.g. `tend.health.v1.HealthService`. */
  serviceNames: readonly string[];
  /** Registers the service implementations. */
  routes: (router: ConnectRouter) => void;
  logger: Logger;
  metrics: Metrics;
  /** Whether to report SERVING once listening: false for a service that cannot work here. @default always */
  serving?: () => boolean;
  /** In-flight requests get this long to finish on stop. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Checks the service token of every call (health checks excepted). Without it the port is
   * open to anyone who reaches it: tests of the server itself only.
   */
  identity?: ServiceIdentity;
}

/**
 * One gRPC server on its own port, over HTTP/2 without TLS (h2c) as gRPC does inside a cluster.
 * Connect-ES serves gRPC, gRPC-Web and the Connect protocol from the same handler, with plain
 * unary gRPC calls taken by a leaner path (`grpcUnaryHandler`) first. It answers
 * the standard health checking protocol; on stop it reports NOT_SERVING, refuses new streams
 * and lets in-flight ones finish within the deadline.
 */
export class GrpcServer extends BaseService {
  readonly health: HealthStatus;
  readonly #options: GrpcServerOptions;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  #server: http2.Http2Server | undefined;
  #port = 0;

  constructor(options: GrpcServerOptions) {
    super(`grpc-${options.name}`);
    this.#options = options;
    this.health = new HealthStatus(options.serviceNames);
  }

  /** The port actually bound (useful when 0 was asked). */
  get port(): number {
    return this.#port;
  }

  protected async doStart(): Promise<void> {
    const { routes, health, logger, metrics, name } = { ...this.#options, health: this.health };
    const interceptors = [serverInterceptor({ service: name, metrics, logger })];
    if (this.#options.identity) interceptors.push(serviceAuthInterceptor(this.#options.identity));
    const unary = new UnaryRegistry(interceptors);
    const connectHandler = connectNodeAdapter({
      routes: (router) => {
        const recorded = unary.recording(router);
        registerHealthService(recorded, health);
        routes(recorded);
      },
      interceptors,
      readMaxBytes: defaultMaxMessageBytes,
    });
    const unaryHandler = grpcUnaryHandler(unary, { maxMessageBytes: defaultMaxMessageBytes });
    const server = http2.createServer((req, res) => {
      if (!unaryHandler(req, res)) connectHandler(req, res);
    });
    server.on('session', (session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
    });
    this.#server = server;
    this.#port = await listen(server, this.#options.host, this.#options.port, `${name.toUpperCase()}_PORT`);
    health.setAll((this.#options.serving?.() ?? true) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    logger.info({ component: 'grpc', target: name, port: this.#port }, 'gRPC server listening');
  }

  protected async doStop(): Promise<void> {
    this.health.setAll(ServingStatus.NOT_SERVING);
    const server = this.#server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // GOAWAY: no new streams; streams in flight run to completion.
    for (const session of this.#sessions) session.close();
    const deadline = this.#options.shutdownTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), deadline);
    });
    if ((await Promise.race([closed, expired])) === 'expired') {
      this.#options.logger.warn(
        { component: 'grpc', target: this.#options.name },
        'in-flight requests cut off at shutdown deadline',
      );
      for (const session of this.#sessions) session.destroy();
      await closed;
    }
    clearTimeout(timer);
  }
}
