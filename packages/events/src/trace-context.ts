import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { CloudEvent } from './cloud-event.js';

const tracer = trace.getTracer('tend-events');

/** The W3C traceparent of the active span, if a trace is being recorded. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context an event's `traceparent` names: the request that wrote the event. */
function producerContext(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Where a consumed event came from and who consumes it, for the consumer's span. */
export interface ConsumedFrom {
  /** `kafka` or `memory`. */
  system: string;
  topic: string;
  group: string;
}

/**
 * Runs a consumer's handler in a `process <topic>` span (kind consumer) whose parent is the request
 * that produced the event (its `traceparent` extension), so a trace continues from the producer
 * through the outbox and the bus, and the handler's own calls and log lines join it. The span also
 * links to the producer, as OpenTelemetry's messaging conventions ask. A failure marks the span with
 * the error's name only: messages may quote the event's personal data.
 */
export function withEventTrace<T>(event: CloudEvent, from: ConsumedFrom, handle: () => Promise<T>): Promise<T> {
  const parent = producerContext(event.traceparent);
  const producer = trace.getSpanContext(parent);
  return tracer.startActiveSpan(
    `process ${from.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links: producer ? [{ context: producer }] : [],
      attributes: {
        'messaging.system': from.system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': from.topic,
        'messaging.consumer.group.name': from.group,
        'messaging.message.id': event.id,
        'cloudevents.event_type': event.type,
      },
    },
    parent,
    (span) => endingSpan(span, handle),
  );
}

/**
 * Runs a batch handler over events of one partition in a `process <topic>` span (kind consumer) of
 * its own trace, linked to each request that produced one of them: as for a publish, one run
 * serves many requests and can be the child of none.
 */
export function withBatchTrace<T>(
  events: readonly CloudEvent[],
  from: ConsumedFrom,
  handle: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    `process ${from.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links: producerLinks(events),
      attributes: {
        'messaging.system': from.system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': from.topic,
        'messaging.consumer.group.name': from.group,
        'messaging.batch.message_count': events.length,
      },
    },
    ROOT_CONTEXT,
    (span) => endingSpan(span, handle),
  );
}

/**
 * Runs a relay's publish of a batch in a `publish <schema> outbox` span (kind producer) of its own
 * trace, linked to each request that wrote one of the batch's events: one publish serves many
 * requests, so it can be the child of none of them, and a trace of a request still leads to it.
 */
export function withPublishTrace<T>(
  schema: string,
  events: readonly CloudEvent[],
  publish: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    `publish ${schema} outbox`,
    {
      kind: SpanKind.PRODUCER,
      links: producerLinks(events),
      attributes: {
        'messaging.operation.type': 'publish',
        'messaging.batch.message_count': events.length,
        'tend.outbox.schema': schema,
      },
    },
    ROOT_CONTEXT,
    (span) => endingSpan(span, publish),
  );
}

/** A link to each request that wrote one of `events`. */
function producerLinks(events: readonly CloudEvent[]): Link[] {
  const links: Link[] = [];
  for (const event of events) {
    const producer = trace.getSpanContext(producerContext(event.traceparent));
    if (producer) links.push({ context: producer, attributes: { 'messaging.message.id': event.id } });
  }
  return links;
}

/** `work`'s outcome, the span marked with the error's name only (messages may quote personal data), then ended. */
async function endingSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}
