import http2 from 'node:http2';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import { HealthStatus, ServingStatus, registerHealthService } from './health-checks.js';
import { requestValidationInterceptor, serverInterceptor } from './interceptors.js';
import { serviceAuthInterceptor, type ServiceIdentity } from './service-identity.js';
import { defaultMaxMessageBytes, grpcUnaryHandler } from './grpc-unary-handler.js';
import { UnaryRegistry } from './unary-registry.js';
import { listen } from './http/listen.js';

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
  /**
   * Whether the service can take traffic right now: its database reachable, the process started
   * and not draining. Probed every `readinessIntervalMs`; while false, health says NOT_SERVING
   * and balancers route around this instance. @default always
   */
  ready?: () => Promise<boolean>;
  /** How often `ready` is probed. @default 1000 */
  readinessIntervalMs?: number;
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
 * the standard health checking protocol from what it can do now, not from having started: a
 * service name with no implementation is never SERVING, and the others are SERVING only while
 * `serving` and `ready` hold. On stop it reports NOT_SERVING for good, refuses new streams and
 * lets in-flight ones finish within the deadline.
 */
export class GrpcServer extends BaseService {
  readonly health: HealthStatus;
  readonly #options: GrpcServerOptions;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  #server: http2.Http2Server | undefined;
  #port = 0;
  /** The service names that have an implementation (known once the routes are registered). */
  #implemented = new Set<string>();
  #probeTimer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;
  #stopping = false;

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
    // After the caller is known: an unauthenticated call learns nothing about the contract's rules.
    interceptors.push(requestValidationInterceptor());
    const unary = new UnaryRegistry(interceptors);
    const connectHandler = connectNodeAdapter({
      routes: (router) => {
        const recorded = unary.recording(router);
        registerHealthService(recorded, health);
        routes(recorded);
        this.#implemented = new Set(recorded.handlers.map((handler) => handler.service.typeName));
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
    const unimplemented = this.#options.serviceNames.filter((service) => !this.#implemented.has(service));
    if (unimplemented.length > 0)
      logger.warn({ component: 'grpc', target: name, unimplemented }, 'services without implementation: NOT_SERVING');
    this.#stopping = false;
    await this.probe();
    this.#scheduleProbe();
    logger.info({ component: 'grpc', target: name, port: this.#port }, 'gRPC server listening');
  }

  /**
   * Probes at whole multiples of the interval on the wall clock, not at intervals from each
   * server's start: the servers of one process then probe at the same moments, and `Readiness`
   * runs their shared checks (the database) once for all of them.
   */
  #scheduleProbe(): void {
    const intervalMs = this.#options.readinessIntervalMs ?? 1000;
    this.#probeTimer = setTimeout(
      () => {
        void this.probe();
        if (!this.#stopping) this.#scheduleProbe();
      },
      intervalMs - (Date.now() % intervalMs),
    );
    this.#probeTimer.unref();
  }

  /**
   * Sets each service's health from what holds now (the timer calls it; tests may call it to
   * skip the wait). Never SERVING once stopping.
   */
  probe(): Promise<void> {
    this.#probing ??= this.#probeOnce().finally(() => (this.#probing = undefined));
    return this.#probing;
  }

  async #probeOnce(): Promise<void> {
    const able = this.#options.serving?.() ?? true;
    const ready = able && (await (this.#options.ready?.() ?? Promise.resolve(true)).catch(() => false));
    if (this.#stopping) return;
    for (const service of this.#options.serviceNames) {
      const status = ready && this.#implemented.has(service) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      if (this.health.get(service) !== status) this.health.set(service, status);
    }
  }

  protected async doStop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#probeTimer);
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
