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

/**
 * Handles several delivered events of one partition at once, in their order, as `handler` would
 * one by one but with one round of work (one transaction, one lookup per person) for all of them.
 * Throwing means none counts as handled; each is then handled again, alone, by `handler`.
 */
export type EventBatchHandler = (events: readonly CloudEvent[], topic: string) => Promise<void>;

export interface SubscribeOptions {
  topic: string;
  /**
   * Consumers in one group share the work; each group sees every event. A group new to a topic
   * starts from the oldest event still kept (Kafka: the topic's retention; in-process: the most
   * recent ones), so nothing published before its first subscriber is missed.
   */
  group: string;
  handler: EventHandler;
  /**
   * Optional: a bus may hand the events waiting in one partition (a backlog) to this instead, up
   * to 100 at a time. Kafka does; the in-process bus delivers one by one.
   */
  batchHandler?: EventBatchHandler;
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
