import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTraceparent } from '@tend/events';
import { registerRequestTrace, runInRequestTrace } from './request-trace.js';

const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const callerTraceparent = `00-${callerTraceId}-${callerSpanId}-00`;

/** The trace id and parent span id a `traceparent` names. */
function parts(traceparent: string | undefined): { traceId: string; spanId: string } {
  const [, traceId = '', spanId = ''] = (traceparent ?? '').split('-');
  return { traceId, spanId };
}

// Over a real loopback socket: a request body arrives in socket events, outside the context the
// request began in, which injected requests would not show.
describe('the trace of an HTTP request without the HTTP instrumentation', () => {
  // As the binary runs without an exporter: spans unrecorded, ids made and passed on.
  const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) });
  const seen = new Map<string, { handler?: string; afterResponse?: string }>();
  let app: FastifyInstance;
  let base = '';

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    app = Fastify();
    registerRequestTrace(app);
    app.addHook('onResponse', async (request) => {
      seen.set(String(request.headers['x-probe']), {
        ...seen.get(String(request.headers['x-probe'])),
        afterResponse: currentTraceparent(),
      });
    });
    const probe = async (request: { headers: Record<string, unknown> }) => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.set(String(request.headers['x-probe']), { handler: currentTraceparent() });
      return { ok: true };
    };
    app.get('/probe', probe);
    app.post('/probe', probe);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await provider.shutdown();
    context.disable();
    propagation.disable();
    trace.disable();
  });

  it('continues the caller’s trace in the handler, as a child of the caller’s span', async () => {
    await fetch(`${base}/probe`, { headers: { 'x-probe': 'continued', traceparent: callerTraceparent } });
    const handler = parts(seen.get('continued')?.handler);
    expect(handler.traceId).toBe(callerTraceId);
    expect(handler.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(handler.spanId).not.toBe(callerSpanId);
  });

  it('starts a new trace for a request that brings none, one per request', async () => {
    await fetch(`${base}/probe`, { headers: { 'x-probe': 'first' } });
    await fetch(`${base}/probe`, { headers: { 'x-probe': 'second' } });
    const first = parts(seen.get('first')?.handler);
    const second = parts(seen.get('second')?.handler);
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.traceId).not.toMatch(/^0+$/);
    expect(second.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second.traceId).not.toBe(first.traceId);
  });

  it('keeps the trace in a handler that runs after its body was read', async () => {
    await post('posted', { reading: 72 }, { traceparent: callerTraceparent });
    expect(parts(seen.get('posted')?.handler).traceId).toBe(callerTraceId);
  });

  it('keeps the trace when the body arrives in later packets than the headers', async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('{"reading":'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.enqueue(encoder.encode('72}'));
        controller.close();
      },
    });
    const response = await fetch(`${base}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-probe': 'streamed', traceparent: callerTraceparent },
      body,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    expect(parts(seen.get('streamed')?.handler).traceId).toBe(callerTraceId);
  });

  it('keeps the request’s trace for what runs once the response has gone (access log, metrics)', async () => {
    await post('logged', {});
    // The onResponse hooks run once the response is written, maybe after the client has it.
    for (let i = 0; i < 100 && seen.get('logged')?.afterResponse === undefined; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const entry = seen.get('logged');
    expect(entry?.afterResponse).toBeDefined();
    expect(entry?.afterResponse).toBe(entry?.handler);
  });

  async function post(probe: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    const response = await fetch(`${base}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-probe': probe, ...headers },
      body: JSON.stringify(body),
    });
    await response.text();
  }

  it('runs a request served outside Fastify in its caller’s trace', async () => {
    const traceparent = await runInRequestTrace('POST', { traceparent: callerTraceparent }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return currentTraceparent();
    });
    expect(parts(traceparent).traceId).toBe(callerTraceId);
  });
});
