import type { FastifyInstance } from 'fastify';
import type { Metrics } from '@tend/core';
import type { Readiness } from './readiness.js';

/** Paths that are probes and scrapes, not traffic: kept out of request metrics and access logs. */
export const opsPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * `/healthz` (liveness: the event loop answers), `/readyz` (readiness: started, not stopping,
 * dependencies reachable) and `/metrics` (Prometheus text). Served on the admin port, and by
 * the gateway on its public port too unless `livenessOnly` (`OPS_ROUTES=admin`): then the
 * public port keeps only `/healthz` for uptime checks, and dependency state and metrics stay
 * inside the network whatever the edge in front forwards.
 */
export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { metrics: Metrics; readiness: Readiness; livenessOnly?: boolean },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  if (deps.livenessOnly) return;
  app.get('/readyz', async (_request, reply) => {
    const report = await deps.readiness.report();
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', ...report });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.text();
    return reply.type(deps.metrics.contentType).send(text);
  });
}

/** Counts every HTTP request in `tend_requests_total` and its latency, by route pattern. */
export function registerRequestMetrics(app: FastifyInstance, deps: { metrics: Metrics; service: string }): void {
  app.addHook('onResponse', async (request, reply) => {
    if (opsPaths.has(request.url)) return;
    // The route pattern, never the raw URL, so ids do not explode the label set.
    const method = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
    deps.metrics.requests.inc({ service: deps.service, method, code: String(reply.statusCode) });
    deps.metrics.requestDuration.observe({ service: deps.service, method }, reply.elapsedTime / 1000);
  });
}
