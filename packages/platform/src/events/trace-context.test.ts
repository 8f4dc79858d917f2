import { ROOT_CONTEXT, context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from './cloud-event.js';
import { currentTraceparent, withEventTrace } from './trace-context.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';

describe('trace context through events', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  it('stamps the producing request’s traceparent on an event', () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    expect(context.with(active, currentTraceparent)).toBe(`00-${traceId}-${spanId}-01`);
    expect(currentTraceparent()).toBeUndefined();
  });

  it('runs the consumer inside the producer’s trace', async () => {
    const event = { traceparent: `00-${traceId}-${spanId}-01` } as CloudEvent;
    const seen = await withEventTrace(event, async () => trace.getSpanContext(context.active())?.traceId);
    expect(seen).toBe(traceId);
  });
});
