import type { DescMessage } from '@bufbuild/protobuf';
import type { Path } from '@bufbuild/protobuf/reflect';
import { createValidator, type Validator } from '@bufbuild/protovalidate';
import { Code, ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from '@connectrpc/connect';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { ValidationError, toConnectError, type FieldViolation } from '../errors/errors.js';

const tracer = trace.getTracer('tend-rpc');

/** The name of a code as gRPC spells it in metrics, e.g. `invalid_argument`. */
function codeName(code: Code | 'ok'): string {
  return code === 'ok' ? 'ok' : Code[code].replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase());
}

/**
 * The server side of every Tend gRPC method: continues the caller's trace, counts the request
 * and its duration, logs failures, and turns any thrown value into a proper gRPC error so no
 * internal detail leaks to the caller.
 */
export function serverInterceptor(deps: { service: string; metrics: Metrics; logger: Logger }): Interceptor {
  return (next) => async (req) => {
    const method = req.method.name;
    const stopTimer = deps.metrics.requestDuration.startTimer({ service: deps.service, method });
    const carrier: Record<string, string> = {};
    req.header.forEach((value, key) => (carrier[key] = value));
    const parent = propagation.extract(context.active(), carrier);
    const span = tracer.startSpan(
      `${req.service.typeName}/${method}`,
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': req.service.typeName } },
      parent,
    );
    try {
      const res = withMappedStreamErrors(await context.with(trace.setSpan(parent, span), () => next(req)));
      deps.metrics.requests.inc({ service: deps.service, method, code: 'ok' });
      return res;
    } catch (error) {
      const edge = toConnectError(error);
      deps.metrics.requests.inc({ service: deps.service, method, code: codeName(edge.code) });
      span.setStatus({ code: SpanStatusCode.ERROR, message: edge.rawMessage });
      if (edge.code === Code.Internal || edge.code === Code.Unknown) {
        deps.logger.error({ err: error, method }, 'request failed');
      }
      throw edge;
    } finally {
      span.end();
      stopTimer();
    }
  };
}

/**
 * Maps domain errors to gRPC errors and nothing else: for in-process routers (a service calling
 * its own contract) that need the same error codes as the network path without its metrics.
 */
export function errorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return withMappedStreamErrors(await next(req));
    } catch (error) {
      throw toConnectError(error);
    }
  };
}

/**
 * A server stream's handler runs, and may throw (a refused access check included), only while
 * its response is iterated, after the interceptor has returned: map those errors too.
 */
function withMappedStreamErrors<R extends UnaryResponse | StreamResponse>(res: R): R {
  if (!res.stream) return res;
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      try {
        yield* messages;
      } catch (error) {
        throw toConnectError(error);
      }
    })(),
  };
}

/**
 * Checks every request message against the field rules its contract declares
 * (`buf.validate` options in proto/, read from the generated descriptors by
 * @bufbuild/protovalidate) before the implementation runs, so a limit is written once, on the
 * field, and holds whoever calls. A request that breaks one is InvalidArgument naming each field
 * by its JSON (camelCase) path, as API clients spell it (`vitals[3].systolic`), with nothing
 * done. Messages of a client stream are checked as they arrive.
 */
export function requestValidationInterceptor(validator: Validator = createValidator()): Interceptor {
  const check = (schema: DescMessage, message: unknown): void => {
    const result = validator.validate(schema, message as never);
    if (result.kind === 'invalid')
      throw new ValidationError(
        result.error.violations.map((violation): FieldViolation => ({
          field: jsonPathOf(violation.field),
          message: violation.message,
        })),
      );
    // 'error' is a rule that cannot be evaluated: a contract bug, never the caller's fault.
    if (result.kind === 'error') throw result.error;
  };
  return (next) => async (req) => {
    if (!req.stream) {
      check(req.method.input, req.message);
      return await next(req);
    }
    const messages = req.message;
    return await next({
      ...req,
      message: (async function* () {
        for await (const message of messages) {
          check(req.method.input, message);
          yield message;
        }
      })(),
    });
  };
}

/** A field path in JSON names: `vitals[3].systolic`, `labels["a"]`. */
export function jsonPathOf(path: Path): string {
  let text = '';
  for (const item of path) {
    switch (item.kind) {
      case 'list_sub':
        text += `[${item.index}]`;
        break;
      case 'map_sub':
        text += `[${JSON.stringify(typeof item.key === 'bigint' ? String(item.key) : item.key)}]`;
        break;
      case 'field':
        text += (text === '' ? '' : '.') + item.jsonName;
        break;
      case 'extension':
      case 'oneof':
        text += (text === '' ? '' : '.') + item.name;
    }
  }
  return text;
}

/** The client side: carries the current trace to the callee in `traceparent`. */
export function tracePropagationInterceptor(): Interceptor {
  return (next) => (req) => {
    propagation.inject(context.active(), req.header, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    return next(req);
  };
}

export { ConnectError };
