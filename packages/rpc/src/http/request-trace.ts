import { ROOT_CONTEXT, SpanKind, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

const tracer = trace.getTracer('tend-http');

/**
 * Runs each HTTP request of `app` inside that request's trace: the caller's `traceparent`
 * continued when it sent one, a new trace otherwise, so every call the request makes (gRPC,
 * events through the outbox) and every log line it writes, the access line included, carries one
 * trace id. This is the propagation the OpenTelemetry HTTP instrumentation gives, without its span
 * attributes and its binding of every request and response event, which are only worth paying when
 * spans are exported (`startTracing` installs the instrumentation then; its span stays the
 * request's span and this hook steps aside).
 *
 * Entering the context once, on arrival, is enough on Node 24: the body's reads, the handler and
 * the hooks after the response (tests cover a body that arrives in later packets) all continue in
 * the async context they were scheduled from. Register it before any other hook.
 */
export function registerRequestTrace(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (trace.getSpan(context.active())) return done();
    const entered = requestTraceContext(request.method, request.headers);
    // Recorded only under a sampled caller; ended when the response is done.
    if (entered.span.isRecording()) reply.raw.once('close', () => entered.span.end());
    context.with(entered.context, done);
  });
}

/**
 * The context of one incoming request: a server span (unrecorded unless the caller's trace is
 * sampled and spans are exported) under the caller's `traceparent`, or the root of a new trace.
 */
export function requestTraceContext(
  method: string,
  headers: Record<string, string | string[] | undefined>,
): { context: Context; span: Span } {
  const parent = headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
  return { context: trace.setSpan(parent, span), span };
}

/**
 * Runs `handle` in the trace of a request served outside Fastify (the Connect passthrough), which
 * reads its body by awaiting, so the context entered here lasts to the end of the call.
 */
export function runInRequestTrace<T>(
  method: string,
  headers: Record<string, string | string[] | undefined>,
  handle: () => T,
): T {
  if (trace.getSpan(context.active())) return handle();
  return context.with(requestTraceContext(method, headers).context, handle);
}
