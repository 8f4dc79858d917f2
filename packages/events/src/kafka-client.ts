import type * as KafkaClientModule from '@platformatic/kafka';

/** The Kafka client library (`@platformatic/kafka`) as `loadKafkaClient` returns it. */
export type KafkaClient = typeof KafkaClientModule;

/**
 * Imports the Kafka client when a Kafka bus starts, not with the program: importing it compiles
 * its option schemas with ajv, about 0.6 s of CPU at start with ajv's own loading, which a process
 * on the in-process bus (all-in-one, no `KAFKA_BROKERS`) never needs. Node's module cache makes
 * later calls return the same module.
 */
export function loadKafkaClient(): Promise<KafkaClient> {
  return import('@platformatic/kafka');
}
