import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { breakGlassHeader } from '../auth/principal.js';
import { isApiRoute, routeAccess, type RouteAccess } from './access-policy.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Error statuses the route's own handler answers beyond those its access rule and schemas
     * imply (say 409 for an e-mail already taken, 401 for a refresh token that is not valid).
     */
    answers?: readonly ErrorStatus[];
  }
}

/** The error statuses the public API answers with a problem document. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 503 | 504;

/** What describing a route needs to know about it. */
export interface RouteFacts {
  method: string;
  /** The Fastify URL (`/api/v1/medications/:id`). */
  url: string;
  access: RouteAccess | undefined;
  /** Which parts of the request the route validates. */
  validates: { body: boolean; querystring: boolean; params: boolean; headers: boolean };
  answers: readonly ErrorStatus[];
  /** An admin reaches another person's health data here only with `Tend-Break-Glass`. */
  breakGlass?: boolean;
}

const problemRef = { $ref: '#/components/schemas/Problem' };

/** The RFC 9457 problem document every error of the API is (see problems.ts). */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request id, to find the request in the logs' },
    errors: {
      type: 'array',
      description: 'For invalid input: every field at fault, named as the client sent it',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Each error status: its shared response in the document's components, and what it means. */
const errorResponses: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'Invalid input: `errors` names each field at fault' },
  401: { name: 'Unauthorized', description: 'No valid access token' },
  403: { name: 'Forbidden', description: 'The account may not do this' },
  404: { name: 'NotFound', description: 'No such record, or not one the caller may see' },
  409: {
    name: 'Conflict',
    description: 'Conflicts with the current state (a duplicate, or a reused idempotency key with other content)',
  },
  410: { name: 'Gone', description: 'It existed and was replaced or revoked for good: stop asking for it' },
  413: { name: 'ContentTooLarge', description: 'The request body is too large' },
  415: { name: 'UnsupportedMediaType', description: 'The request body is not of a media type the route reads' },
  429: { name: 'TooManyRequests', description: 'Too many requests: wait for `Retry-After` seconds' },
  503: { name: 'ServiceUnavailable', description: 'A service is unavailable; retry later' },
  504: { name: 'GatewayTimeout', description: 'A service did not answer in time' },
};

/** The shared error responses, as `components.responses`. */
function errorResponseComponents(): Record<string, Response> {
  return Object.fromEntries(
    Object.entries(errorResponses).map(([status, { name, description }]) => [
      name,
      {
        description,
        ...(status === '429' && {
          headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait' } },
        }),
        content: { 'application/problem+json': { schema: problemRef } },
      },
    ]),
  );
}

/**
 * The error statuses a route can answer, derived from what the gateway does to every request
 * rather than written per route: a rate limit on every API route (429), a service behind every
 * route but the JWKS (503, 504), the access table (401, 403 and 404 for a person's own record
 * unless public), schemas (400 when the route validates anything; 404 when its path names a record), a body parser on every method
 * that takes a body (413, 415, and 409 for writes that may collide), plus what the route declares.
 */
export function errorStatusesOf(route: RouteFacts): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>(route.answers);
  const { validates } = route;
  if (validates.body || validates.querystring || validates.params || validates.headers) statuses.add(400);
  if (route.access !== 'anyone') {
    statuses.add(401);
    statuses.add(403);
    // The signed-in person's own record may be gone (an account deleted while a token lives on).
    statuses.add(404);
  }
  if (validates.params) statuses.add(404);
  if (!['GET', 'HEAD'].includes(route.method)) {
    statuses.add(413);
    statuses.add(415);
  }
  if (['POST', 'PUT', 'PATCH'].includes(route.method) && route.access !== 'anyone') statuses.add(409);
  if (route.url.startsWith('/api/')) {
    statuses.add(429);
    statuses.add(503);
    statuses.add(504);
  }
  return [...statuses].sort((a, b) => a - b);
}

/** The facts of a route as Fastify registers it. */
export function routeFactsOf(route: RouteOptions, method: string): RouteFacts {
  const schema: FastifySchema | undefined = route.schema;
  return {
    method,
    url: route.url,
    access: routeAccess[`${method} ${route.url}`],
    validates: {
      body: schema?.body !== undefined,
      querystring: schema?.querystring !== undefined,
      params: schema?.params !== undefined,
      headers: schema?.headers !== undefined,
    },
    answers: route.config?.answers ?? [],
    breakGlass: acceptsHeader(schema?.headers, breakGlassHeader),
  };
}

/** Whether a route's header schema (zod, or JSON Schema) names `header`. */
function acceptsHeader(headers: unknown, header: string): boolean {
  if (typeof headers !== 'object' || headers === null) return false;
  const fields = 'shape' in headers ? headers.shape : 'properties' in headers ? headers.properties : undefined;
  return typeof fields === 'object' && fields !== null && header in fields;
}

/** Records the facts of every API route as it is registered, for `describeContract`. */
export function collectRouteFacts(app: FastifyInstance): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  app.addHook('onRoute', (route) => {
    if (!isApiRoute(route.url)) return;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      facts.set(operationKey(method, route.url), routeFactsOf(route, method));
    }
  });
  return facts;
}

/** `GET /api/v1/things/{id}` for Fastify's `GET /api/v1/things/:id`. */
export function operationKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

interface Operation {
  responses?: Record<string, Response>;
  security?: unknown[];
  [key: string]: unknown;
}

interface Response {
  description?: string;
  content?: Record<string, unknown>;
  [key: string]: unknown;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * The API document as the gateway behaves: only the API's routes (probes and metrics are not
 * part of it), each with every error status it can answer as a problem document, public routes
 * with `security: []`, and success answers without a body (204, 302) described as such.
 */
export function describeContract<T extends object>(document: T, facts: ReadonlyMap<string, RouteFacts>): T {
  const doc = structuredClone(document) as OpenApiDocument;
  const paths: Record<string, Record<string, Operation>> = {};
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const route = facts.get(operationKey(method, path));
      if (!route) continue;
      (paths[path] ??= {})[method] = describeOperation(operation, route);
    }
  }
  doc.paths = paths;
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, Problem: problemSchema },
    responses: { ...(doc.components?.responses as object | undefined), ...errorResponseComponents() },
  };
  return doc as T;
}

function describeOperation(operation: Operation, route: RouteFacts): Operation {
  const responses: Record<string, Response> = {};
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    responses[status] = status === '204' || status === '302' ? withoutBody(status, response) : response;
  }
  for (const status of errorStatusesOf(route)) {
    responses[String(status)] = { $ref: `#/components/responses/${errorResponses[status].name}` };
  }
  if (route.breakGlass) responses['403'] = breakGlassRefusal;
  return { ...operation, responses, ...(route.access === 'anyone' && { security: [] }) };
}

/** The 403 of a route an admin may use in break-glass mode: what the refusal means there. */
const breakGlassRefusal: Response = {
  description:
    "The account may not do this; an admin gets another person's health data only in break-glass mode, with a `Tend-Break-Glass` reason",
  content: { 'application/problem+json': { schema: problemRef } },
};

function withoutBody(status: string, response: Response): Response {
  const description = status === '204' ? 'Done; nothing to return' : 'Redirected to `Location`';
  return {
    description:
      response.description && response.description !== 'Default Response' ? response.description : description,
    ...(status === '302' && { headers: { Location: { schema: { type: 'string' } } } }),
  };
}
