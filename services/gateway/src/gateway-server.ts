import Fastify, { type FastifyInstance } from 'fastify';
import {
  BaseService,
  listen,
  registerOpsRoutes,
  registerRequestMetrics,
  type Logger,
  type Metrics,
  type Readiness,
} from '@tend/platform';
import { landingPage } from './landing-page.js';

export interface GatewayOptions {
  host: string;
  /** @default 8080 */
  port: number;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  /** Largest request body accepted. @default 1 MiB */
  bodyLimitBytes?: number;
}

/**
 * The single HTTP entry point. For now it serves the probes, the metrics and a landing page;
 * the public API mounts here.
 */
export class GatewayServer extends BaseService {
  #app: FastifyInstance | undefined;
  #port = 0;

  constructor(private readonly options: GatewayOptions) {
    super('gateway-http');
  }

  get port(): number {
    return this.#port;
  }

  protected async doStart(): Promise<void> {
    const app = Fastify({
      logger: false,
      bodyLimit: this.options.bodyLimitBytes ?? 1024 * 1024,
      requestIdHeader: 'x-request-id',
      // Keep-alive sockets must not hold a stopping process open past its deadline.
      forceCloseConnections: 'idle',
    });
    registerRequestMetrics(app, { metrics: this.options.metrics, service: 'gateway' });
    registerOpsRoutes(app, this.options);
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(landingPage));
    await app.ready();
    this.#app = app;
    this.#port = await listen(app.server, this.options.host, this.options.port, 'GATEWAY_PORT');
    this.options.logger.info({ port: this.#port }, 'gateway listening');
  }

  protected async doStop(): Promise<void> {
    // Fastify's close stops accepting, lets in-flight requests finish, then resolves.
    await this.#app?.close();
  }
}
