import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { Logger } from '@tend/core';
import type { RateLimitStore } from '@tend/cache';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendProblem } from './problems.js';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** A request id: the client's `x-request-id` when it is a sane token, otherwise a new one. */
export function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
}

/** The security headers of every response: a CSP that allows nothing, no sniffing, no framing, HSTS. */
const securityHeaderOptions: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-site' },
};

/**
 * The headers helmet sets with `options`, computed once. They depend on nothing in the request
 * (no CSP nonces are used), yet helmet rebuilt them for every response, ~4 % of a busy gateway's
 * CPU. Routes that serve HTML still replace the CSP with their own.
 */
export function staticSecurityHeaders(options: HelmetOptions = securityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined || Object.keys(headers).length === 0)
    throw new Error('the security headers could not be computed', { cause: failure });
  return headers;
}

/**
 * Security headers (computed once by `staticSecurityHeaders`), CORS for the configured origins only, the request id echoed back, and an access
 * log line per request with what an operator needs and nothing a token or a health record holds.
 */
export async function registerEdgeHardening(
  app: FastifyInstance,
  options: { corsOrigins: readonly string[]; logger: Logger },
): Promise<void> {
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'traceparent'],
    exposedHeaders: ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id'],
    maxAge: 600,
  });
  const security = staticSecurityHeaders();
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(security);
    reply.header('x-request-id', request.id);
    // Tokens and health records must not stay in a browser's or a proxy's cache.
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
  const access = options.logger.child({ component: 'access' });
  app.addHook('onResponse', async (request, reply) => {
    access.info(
      {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        userId: request.principal?.userId,
      },
      'request',
    );
  });
}

/**
 * 100 requests a minute per person (per address when anonymous) across every API route, counted
 * in the shared store so replicas behind a balancer enforce one limit together. Answers carry the
 * IETF `RateLimit-*` headers; a refused request gets 429 with `Retry-After`.
 */
export function registerApiRateLimit(
  app: FastifyInstance,
  options: { store: RateLimitStore; perMinute: number },
): void {
  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined || !url.startsWith('/api/')) return;
    const decision = await options.store.consume(rateLimitKey(request), options.perMinute, 60_000);
    const resetS = Math.max(1, Math.ceil(decision.resetMs / 1000));
    reply.header('ratelimit-limit', String(decision.limit));
    reply.header('ratelimit-remaining', String(decision.remaining));
    reply.header('ratelimit-reset', String(resetS));
    if (!decision.allowed) {
      reply.header('retry-after', String(resetS));
      return sendProblem(request, reply, 429, `more than ${options.perMinute} requests a minute; retry in ${resetS} s`);
    }
  });
}

function rateLimitKey(request: FastifyRequest): string {
  return request.principal ? `api:user:${request.principal.userId}` : `api:ip:${request.ip}`;
}
