import Fastify, { type FastifyInstance } from 'fastify';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import { listen } from './listen.js';
import { registerOpsRoutes } from './ops-routes.js';
import type { Readiness } from './readiness.js';

export interface AdminServerOptions {
  host: string;
  /** @default 9400 */
  port: number;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
}

/** Health, readiness and metrics over HTTP for a process that does not run the gateway. */
export class AdminServer extends BaseService {
  #app: FastifyInstance | undefined;
  #port = 0;

  constructor(private readonly options: AdminServerOptions) {
    super('admin-http');
  }

  get port(): number {
    return this.#port;
  }

  protected async doStart(): Promise<void> {
    const app = Fastify({ logger: false });
    registerOpsRoutes(app, this.options);
    await app.ready();
    this.#app = app;
    this.#port = await listen(app.server, this.options.host, this.options.port, 'ADMIN_PORT');
    this.options.logger.info({ port: this.#port }, 'admin HTTP listening');
  }

  protected async doStop(): Promise<void> {
    await this.#app?.close();
  }
}
