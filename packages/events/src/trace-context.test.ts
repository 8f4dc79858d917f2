import { ROOT_CONTEXT, SpanKind, context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from './cloud-event.js';
import { currentTraceparent, withEventTrace, withPublishTrace } from './trace-context.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const from = { system: 'memory', topic: 'analytics_events', group: 'health-analytics' };

describe('trace context through events', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    context.disable();
    propagation.disable();
    trace.disable();
  });

  it('stamps the producing request’s traceparent on an event', () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    expect(context.with(active, currentTraceparent)).toBe(`00-${traceId}-${spanId}-01`);
    expect(currentTraceparent()).toBeUndefined();
  });

  it('handles an event in a consumer span that is the child of, and linked to, the producing request', async () => {
    const event = {
      id: 'e-1',
      type: 'tend.health.vital.recorded',
      traceparent: `00-${traceId}-${spanId}-01`,
    } as CloudEvent;
    const seen = await withEventTrace(event, from, async () => trace.getSpanContext(context.active()));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('process analytics_events');
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(spanId);
    expect(span?.links.map((link) => link.context.spanId)).toEqual([spanId]);
    expect(span?.attributes).toMatchObject({
      'messaging.destination.name': 'analytics_events',
      'messaging.consumer.group.name': 'health-analytics',
      'messaging.message.id': 'e-1',
    });
    // The handler runs inside the consumer span: its calls and log lines carry this trace.
    expect(seen?.traceId).toBe(traceId);
    expect(seen?.spanId).toBe(span?.spanContext().spanId);
  });

  it('marks a failed handling with the error’s name only', async () => {
    const event = { id: 'e-2', type: 't', traceparent: `00-${traceId}-${spanId}-01` } as CloudEvent;
    await expect(
      withEventTrace(event, from, () => Promise.reject(new TypeError('Lin’s glucose 7.2 could not be stored'))),
    ).rejects.toThrow(TypeError);
    expect(exporter.getFinishedSpans()[0]?.status).toEqual({ code: 2, message: 'TypeError' });
  });

  it('publishes a batch in a producer span of its own, linked to every request that wrote one of its events', async () => {
    const other = 'a3ce929d0e0e47364bf92f3577b34da6';
    const events = [
      { id: 'e-1', traceparent: `00-${traceId}-${spanId}-01` },
      { id: 'e-2', traceparent: `00-${other}-${spanId}-01` },
      { id: 'e-3' },
    ] as CloudEvent[];
    const active = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    await context.with(active, () => withPublishTrace('health', events, async () => undefined));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('publish health outbox');
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.links.map((link) => link.context.traceId)).toEqual([traceId, other]);
    expect(span?.attributes['messaging.batch.message_count']).toBe(3);
  });
});
