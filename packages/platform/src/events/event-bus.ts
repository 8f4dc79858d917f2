import type { Lifecycle } from '../lifecycle/service.js';
import type { CloudEvent } from './cloud-event.js';

/** One event on its way to a topic. */
export interface OutgoingEvent {
  topic: string;
  event: CloudEvent;
}

/** Handles one delivered event. Throwing means "not handled": it is delivered again. */
export type EventHandler = (event: CloudEvent, topic: string) => Promise<void>;

export interface SubscribeOptions {
  topic: string;
  /** Consumers in one group share the work; each group sees every event. */
  group: string;
  handler: EventHandler;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * Moves events from producers to consumers: Kafka when `KAFKA_BROKERS` is set, in-process
 * otherwise. Delivery is at least once and in order per `partitionkey`; producers write through
 * the outbox, never straight to the bus, so an event exists if and only if its transaction
 * committed.
 */
export interface EventBus extends Lifecycle {
  readonly kind: 'kafka' | 'memory';
  /** Resolves once the bus has durably accepted every event (Kafka: acknowledged by the broker). */
  publish(events: OutgoingEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
}
