import type { Lifecycle } from '@tend/core';
import type { CloudEvent } from './cloud-event.js';

/** One event on its way to a topic. */
export interface OutgoingEvent {
  topic: string;
  event: CloudEvent;
}

/**
 * Handles one delivered event. Throwing means "not handled": the same event is delivered again
 * after a backoff, and later events with the same partition key wait for it. Handlers must be
 * idempotent (delivery is at least once); `idempotentHandler` makes database work so.
 */
export type EventHandler = (event: CloudEvent, topic: string) => Promise<void>;

export interface SubscribeOptions {
  topic: string;
  /**
   * Consumers in one group share the work; each group sees every event. A group new to a topic
   * starts from the oldest event still kept (Kafka: the topic's retention; in-process: the most
   * recent ones), so nothing published before its first subscriber is missed.
   */
  group: string;
  handler: EventHandler;
}

export interface Subscription {
  /** Stops deliveries to this handler; resolves once its running calls have settled. */
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
  /**
   * Resolves once the bus has accepted every event (Kafka: acknowledged by all in-sync replicas).
   * Rejects when it cannot (broker down, in-process queues full): the outbox relay then keeps the
   * events and tries again. Only the outbox relay calls this.
   */
  publish(events: OutgoingEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
}
