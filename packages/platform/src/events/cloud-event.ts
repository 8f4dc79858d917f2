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

/** Topics from the seed, with partitions and retention. */
export const topics = {
  conversationEvents: { name: 'conversation_events', partitions: 10, retentionDays: 7 },
  voiceProcessing: { name: 'voice_processing', partitions: 5, retentionDays: 3 },
  notificationQueue: { name: 'notification_queue', partitions: 15, retentionDays: 1 },
  analyticsEvents: { name: 'analytics_events', partitions: 30, retentionDays: 90 },
} as const;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];
