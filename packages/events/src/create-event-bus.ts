import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import type { RetryBackoff } from './backoff.js';
import type { TopicSpec } from './cloud-event.js';
import type { EventBus } from './event-bus.js';
import { KafkaEventBus, parseKafkaBrokers, type KafkaEventBusOptions } from './kafka-event-bus.js';
import { kafkaConnectionOptions, type KafkaSecurity } from '@tend/core';
import { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';

export interface CreateEventBusOptions {
  /**
   * `KAFKA_BROKERS` as given (`host:port,host:port`) or already split. Set and non-empty: Kafka;
   * unset or empty: the in-process bus of all-in-one mode.
   * @default undefined (in-process)
   */
  brokers?: string | readonly string[];
  logger: Logger;
  /** Counts deliveries to handlers (`tend_events_delivered_total`). @default none */
  metrics?: Metrics;
  /** Topics the Kafka bus creates when missing. @default the seed's topics */
  topics?: readonly TopicSpec[];
  /** TLS and SASL towards the brokers. @default plaintext */
  kafkaSecurity?: KafkaSecurity;
  /** Kafka replication factor of created topics. @default 1 */
  replicationFactor?: number;
  /** Redelivery backoff for failing handlers, both buses. @default { initialDelayMs: 100, maxDelayMs: 30_000 } */
  retry?: RetryBackoff;
  /** Further Kafka settings. @default {} */
  kafka?: Omit<
    KafkaEventBusOptions,
    'brokers' | 'logger' | 'metrics' | 'topics' | 'replicationFactor' | 'retry' | 'connection'
  >;
  /** Further in-process bus settings. @default {} */
  memory?: Omit<MemoryEventBusOptions, 'logger' | 'metrics' | 'retry'>;
}

/**
 * The one place that picks the event bus: Kafka when brokers are configured, in-process
 * otherwise. Brokers are validated here, at boot.
 */
export function createEventBus(options: CreateEventBusOptions): EventBus {
  const given = options.brokers;
  const configured = typeof given === 'string' ? given.trim() !== '' : given !== undefined && given.length > 0;
  const { logger, metrics } = options;
  if (!configured) return new MemoryEventBus({ ...options.memory, logger, metrics, retry: options.retry });
  return new KafkaEventBus({
    ...options.kafka,
    brokers: parseKafkaBrokers(given!),
    connection: kafkaConnectionOptions(options.kafkaSecurity),
    logger,
    metrics,
    topics: options.topics,
    replicationFactor: options.replicationFactor,
    retry: options.retry,
  });
}
