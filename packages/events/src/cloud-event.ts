import { z } from 'zod';

/**
 * A CloudEvents 1.0 envelope in JSON structured mode. Every event Tend publishes, on Kafka or
 * in-process, has this shape; `partitionkey` (the person's id) keeps one person's events in
 * order.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  /** Unique per event; consumers de-duplicate by it. */
  id: string;
  /** The producing service, e.g. `/tend/health`. */
  source: string;
  /** Reverse-DNS type, e.g. `tend.health.vital.recorded`. */
  type: string;
  /** What the event is about, e.g. a vital's id. */
  subject?: string;
  /** RFC 3339 time the event happened. */
  time: string;
  datacontenttype: 'application/json';
  data: T;
  /** Partitioning extension: the ordering key, the person's id. */
  partitionkey: string;
  /** Distributed tracing extension: the W3C traceparent of the producing request. */
  traceparent?: string;
}

/** A topic as the bus creates it: partition count (the unit of ordering and parallelism) and retention. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly retentionDays: number;
}

/** Topics from the seed, with partitions and retention. */
export const topics = {
  conversationEvents: { name: 'conversation_events', partitions: 10, retentionDays: 7 },
  voiceProcessing: { name: 'voice_processing', partitions: 5, retentionDays: 3 },
  notificationQueue: { name: 'notification_queue', partitions: 15, retentionDays: 1 },
  analyticsEvents: { name: 'analytics_events', partitions: 30, retentionDays: 90 },
  // What a person is told live about their own record, values included: read only by the
  // gateways' live feeds, from the newest offset, so a day bounds an idle broker's copy.
  liveEvents: { name: 'live_events', partitions: 10, retentionDays: 1 },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];

/** The seed's topics as a list, the default set a bus creates at start. */
export function seedTopics(): TopicSpec[] {
  return Object.values(topics);
}

/** W3C trace context `traceparent`: version-traceid-parentid-flags, lower-case hex. */
export const traceparentPattern = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/**
 * The envelope as it must look when it arrives from a broker: events cross a trust boundary
 * there (another process, maybe another version of Tend wrote them), so they are checked at run
 * time. `data` stays `unknown`; each handler validates its own payload.
 */
export const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: z.string().min(1),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
  partitionkey: z.string().min(1),
  traceparent: z.string().regex(traceparentPattern).optional(),
});

/** An envelope that is not a valid Tend CloudEvent: it can never be handled, so it is not retried. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
  constructor(
    readonly problems: string[],
    opts?: ErrorOptions,
  ) {
    super(`invalid event: ${problems.join('; ')}`, opts);
  }
}

/** Checks a decoded JSON value against the envelope; throws `InvalidEventError` naming every problem. */
export function parseCloudEvent(value: unknown): CloudEvent {
  const result = cloudEventSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidEventError(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`),
    );
  }
  return result.data;
}
