import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { CloudEvent } from './cloud-event.js';

/** The W3C traceparent of the active span, if a trace is being recorded. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Runs a consumer's handler inside the trace of the request that produced the event (its
 * `traceparent` extension), so a trace continues from the producer through the bus.
 */
export function withEventTrace<T>(event: CloudEvent, handle: () => Promise<T>): Promise<T> {
  if (!event.traceparent) return handle();
  const parent = propagation.extract(ROOT_CONTEXT, { traceparent: event.traceparent });
  return context.with(parent, handle);
}
