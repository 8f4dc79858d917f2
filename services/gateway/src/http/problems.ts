import { Code, ConnectError } from '@connectrpc/connect';
import {
  RateLimitedError,
  fieldViolationsOf,
  httpStatusOfError,
  toConnectError,
  type FieldViolation,
  type Logger,
} from '@tend/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { restViolations } from './field-names.js';
import type { PathItem } from './path-items.js';

/** An RFC 9457 problem document, the body of every error the API returns. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request id, to find the request in the logs. */
  instance: string;
  /** For invalid input: every field at fault. */
  errors?: FieldViolation[];
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Sends `problem` as `application/problem+json`. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  errors?: FieldViolation[],
): FastifyReply {
  const problem: Problem = {
    type: 'about:blank',
    title: titles[status] ?? 'Error',
    status,
    detail,
    instance: request.id,
    ...(errors && errors.length > 0 && { errors }),
  };
  return reply.code(status).type('application/problem+json').send(problem);
}

/**
 * Every failure becomes a problem document with the right status, in one place: an unknown path
 * is a 404, a known one asked with a method its path item does not serve a 405 with `Allow` (also
 * when the router would hand it to a templated route the path is not: `DELETE /vitals/summary`
 * is not `DELETE /vitals/{id}`); invalid input
 * (schema or service) is a 400 naming each field; an upstream's gRPC code maps through the
 * platform's one table; Fastify's own refusals (malformed JSON, too large, wrong media type)
 * keep their 4xx; anything else is a 500 that says nothing about the inside, logged with the
 * request id.
 */
export function registerProblemHandlers(
  app: FastifyInstance,
  logger: Logger,
  pathItemOf: (path: string) => PathItem | undefined = () => undefined,
): void {
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allowed = pathItemOf(path)?.methods ?? [];
    if (allowed.length > 0 && !allowed.includes(request.method)) return methodNotAllowed(request, reply, path, allowed);
    return sendProblem(request, reply, 404, `no route for ${request.method} ${path}`);
  };
  app.setNotFoundHandler(noRoute);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A method with a body but no route (QUERY) fails parsing before it is found missing.
    if (request.is404) return noRoute(request, reply);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const errors = error.validation.flatMap(violationsOfIssue);
      return sendProblem(request, reply, 400, `invalid ${where}`, errors);
    }
    if (error instanceof RateLimitedError) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      return sendProblem(request, reply, 429, error.message);
    }
    if (error instanceof ConnectError || !isFastifyClientError(error)) {
      const edge = error instanceof ConnectError ? error : toConnectError(error);
      const status = httpStatusOfError(edge);
      if (status >= 500) {
        logger.error({ err: error, requestId: request.id, code: Code[edge.code] }, 'request failed');
        const detail = edge.code === Code.Unavailable ? 'a service is unavailable; try again' : 'internal error';
        return sendProblem(request, reply, status, edge.code === Code.DeadlineExceeded ? 'timed out' : detail);
      }
      const violations = restViolations(fieldViolationsOf(edge), request.routeOptions.config?.upstreamFields);
      // A service's message lists its own field names; the client reads the names it sent.
      const detail =
        violations.length > 0 ? violations.map((v) => `${v.field}: ${v.message}`).join('; ') : edge.rawMessage;
      return sendProblem(request, reply, status, detail, violations);
    }
    return sendProblem(request, reply, error.statusCode!, clientErrorDetail(error));
  });
}

/**
 * The router matches per method, so it hands `DELETE /vitals/summary` to `DELETE /vitals/:id`;
 * the document (and `Allow`) say `/vitals/summary` serves GET only. A request matched by a
 * templated route whose path is another, more specific path item's is answered 405 with that
 * item's methods, before authentication, as the router's own 404 and 405 are.
 */
export function registerPathItemGuard(app: FastifyInstance, pathItemOf: (path: string) => PathItem | undefined): void {
  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined || !url.includes(':')) return;
    const path = request.url.split('?')[0]!;
    const item = pathItemOf(path);
    if (item && item.url !== url) return methodNotAllowed(request, reply, path, item.methods);
  });
}

function methodNotAllowed(request: FastifyRequest, reply: FastifyReply, path: string, allowed: string[]) {
  reply.header('allow', allowed.join(', '));
  return sendProblem(request, reply, 405, `${path} answers ${allowed.join(', ')}, not ${request.method}`);
}

function isFastifyClientError(error: FastifyError): boolean {
  return typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500;
}

/** Fastify's own messages are safe to show, but say which rule was broken in plain words. */
function clientErrorDetail(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'the request body must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the request body is not valid JSON';
    default:
      return error.statusCode === 400 ? 'the request body is not valid JSON' : error.message;
  }
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * A schema issue as the field the client sent: a path into the body, or the name of a query
 * parameter, path parameter or header, without saying where (as a service's errors name it).
 */
function violationsOfIssue(issue: ValidationIssue): FieldViolation[] {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
    return (issue.params.keys as string[]).map((key) => ({
      field: `${path ? `${path}.` : ''}${key}`,
      message: 'is not a known field',
    }));
  }
  return [{ field: path || '(root)', message: issue.message ?? 'is invalid' }];
}
