import type { Admin, MessageToProduce, Producer } from '@platformatic/kafka';
import { ConfigError, UnavailableError } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import { checkBackoff, outageProbeBackoff, type RetryBackoff } from './backoff.js';
import { seedTopics, type TopicSpec } from './cloud-event.js';
import { deliveryCounter, watchConsumerLag, type DeliveryCounter } from './event-bus-metrics.js';
import type { EventBus, OutgoingEvent, SubscribeOptions, Subscription } from './event-bus.js';
import type { KafkaConnectionOptions } from '@tend/core';
import { loadKafkaClient, type KafkaClient } from './kafka-client.js';
import { KafkaSubscription } from './kafka-subscription.js';

export interface KafkaEventBusOptions {
  /** Bootstrap brokers, `host:port` each (see `parseKafkaBrokers`). */
  brokers: readonly string[];
  logger: Logger;
  /** Counts deliveries (`tend_events_delivered_total`). @default none */
  metrics?: Metrics;
  /** TLS and SASL of every connection (`kafkaConnectionOptions`). @default plaintext */
  connection?: KafkaConnectionOptions;
  /** Prefix of the client ids the broker sees in its logs and quotas. @default 'tend' */
  clientId?: string;
  /** Topics created at start when missing, with their partitions and retention. @default the seed's topics */
  topics?: readonly TopicSpec[];
  /** Partitions and retention of a topic that is used but not declared in `topics`. @default { partitions: 1, retentionDays: 7 } */
  undeclaredTopic?: Omit<TopicSpec, 'name'>;
  /** Copies of each partition: 1 on one broker, 3 in production. @default 1 */
  replicationFactor?: number;
  /**
   * Attempts the producer makes within one publish before it rejects (then the outbox relay
   * backs off and tries again). Bounded on purpose: the client retries an idempotent producer
   * forever by default, which would hang a publish for the whole of an outage.
   * @default 3
   */
  producerRetries?: number;
  /** How long a consumer may go silent before the group hands its partitions to another member. @default 10_000 */
  sessionTimeoutMs?: number;
  /** @default 1_000 */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits on the broker for new messages. @default 500 */
  maxWaitTimeMs?: number;
  /** Messages a subscription holds in memory at most; reading pauses beyond. @default 1000 */
  maxBufferedMessages?: number;
  /** Between redeliveries of a message whose handler threw. @default { initialDelayMs: 100, maxDelayMs: 30_000 } */
  retry?: RetryBackoff;
  /**
   * Between a dropped consumer's attempts to rejoin; its ceiling bounds how long after the
   * broker's return a subscription resumes. @default outageProbeBackoff ({ initialDelayMs: 100, maxDelayMs: 2_000 })
   */
  reconnect?: RetryBackoff;
}

/** How long a producer or admin request may go unanswered (see `doStart`). */
const producerRequestTimeoutMs = 5_000;

const brokerPattern = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/**
 * Reads `KAFKA_BROKERS` (`host:port,host:port`); a malformed value is a `ConfigError` naming the
 * variable, so the process refuses to start instead of failing at its first publish.
 */
export function parseKafkaBrokers(value: string | readonly string[], variable = 'KAFKA_BROKERS'): string[] {
  const entries = (typeof value === 'string' ? value.split(',') : [...value]).map((entry) => entry.trim());
  const brokers = entries.filter((entry) => entry !== '');
  if (brokers.length === 0) throw new ConfigError(variable, 'no broker given; expected host:port[,host:port...]');
  for (const broker of brokers) {
    const match = brokerPattern.exec(broker);
    const port = match ? Number(match[1]) : 0;
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError(variable, `"${broker}" is not host:port (e.g. kafka-0.kafka:9092 or 127.0.0.1:9092)`);
    }
  }
  return brokers;
}

/** A broker that cannot be reached (as opposed to one that refuses a request). */
function isUnreachable(kafka: KafkaClient, error: unknown): boolean {
  const err = error instanceof Error ? error : undefined;
  return Boolean(
    kafka.findErrorBy(err, 'code', 'PLT_KFK_NETWORK') || kafka.findErrorBy(err, 'code', 'PLT_KFK_TIMEOUT'),
  );
}

/**
 * The event bus on Apache Kafka. Publishing is idempotent with `acks=all` (a retried send does
 * not duplicate, an acknowledged one survives the leader's loss), keyed by `partitionkey` with
 * Kafka's Java-compatible murmur2 partitioner (one person's events share a partition, and other
 * Kafka clients agree on which), the CloudEvent as the JSON value and `ce_id`, `ce_type`,
 * `ce_source`, `traceparent` headers. Topics are created when missing. Subscriptions are
 * consumer groups committing after their handler succeeded (see `KafkaSubscription`).
 *
 * Kafka being down is not fatal: start logs and carries on, publish rejects (so the outbox keeps
 * the events), subscriptions reconnect on their own.
 */
export class KafkaEventBus extends BaseService implements EventBus {
  readonly kind = 'kafka' as const;
  readonly brokers: readonly string[];
  readonly #options: KafkaEventBusOptions;
  readonly #logger: Logger;
  readonly #clientId: string;
  readonly #topics = new Map<string, TopicSpec>();
  readonly #ensured = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<KafkaSubscription>();
  readonly #retry: Required<RetryBackoff>;
  readonly #reconnect: Required<RetryBackoff>;
  readonly #replicationFactor: number;
  readonly #delivered: DeliveryCounter;
  /** The client library, loaded by `doStart`. */
  #kafka: KafkaClient | undefined;
  #admin: Admin | undefined;
  #producer: Producer<string, string, string, string> | undefined;

  constructor(options: KafkaEventBusOptions) {
    super('event-bus:kafka');
    this.brokers = parseKafkaBrokers(options.brokers);
    this.#options = options;
    this.#logger = options.logger.child({ component: 'kafka-event-bus' });
    this.#clientId = options.clientId ?? 'tend';
    this.#replicationFactor = options.replicationFactor ?? 1;
    if (!Number.isInteger(this.#replicationFactor) || this.#replicationFactor < 1) {
      throw new ConfigError('replicationFactor', `must be a positive integer (got ${this.#replicationFactor})`);
    }
    for (const spec of options.topics ?? seedTopics()) this.#topics.set(spec.name, spec);
    this.#retry = checkBackoff('kafka event bus', options.retry);
    this.#reconnect = checkBackoff('kafka event bus reconnect', options.reconnect ?? outageProbeBackoff);
    this.#delivered = deliveryCounter(options.metrics);
  }

  protected async doStart(): Promise<void> {
    const kafka = (this.#kafka = await loadKafkaClient());
    const base = {
      ...this.#options.connection,
      bootstrapBrokers: [...this.brokers],
      connectTimeout: 5_000,
      timeout: 10_000,
      // A request the broker never answers (sent as it went down or before it was serving
      // again) is given up after this, not the client's 30 s: the relay's publish that hung
      // on one held a 60 s outage's events for 21-30 s after the broker was back.
      requestTimeout: producerRequestTimeoutMs,
      retryDelay: 250,
    };
    this.#admin = new kafka.Admin({ ...base, clientId: `${this.#clientId}-admin`, retries: 3 });
    this.#producer = new kafka.Producer({
      ...base,
      clientId: `${this.#clientId}-producer`,
      idempotent: true,
      acks: kafka.ProduceAcks.ALL,
      retries: this.#options.producerRetries ?? 3,
      partitioner: kafka.compatibilityPartitioner,
      serializers: kafka.stringSerializers,
    });
    // Neither client is known to emit 'error', but an unheard one would crash the process.
    const logError = (error: unknown) => this.#logger.warn({ err: error }, 'Kafka client error');
    this.#admin.on('error', logError);
    this.#producer.on('error', logError);
    try {
      await this.#ensureTopics([...this.#topics.keys()]);
    } catch (error) {
      // Down is survivable (topics are ensured again on first use); refused is a misconfiguration.
      if (!isUnreachable(kafka, error)) throw error;
      this.#logger.warn(
        { err: error, brokers: this.brokers },
        'Kafka unreachable at start; topics will be created once it is back',
      );
    }
  }

  protected async doStop(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#producer?.close().catch(() => undefined);
    await this.#admin?.close().catch(() => undefined);
  }

  /** Resolves once the broker acknowledged every event (all in-sync replicas); rejects otherwise, sending nothing twice. */
  async publish(events: OutgoingEvent[]): Promise<void> {
    const producer = this.#producer;
    if (!producer || this.state !== 'running')
      throw new UnavailableError('event-bus', `Kafka event bus is ${this.state}`);
    if (events.length === 0) return;
    await this.#ensureTopics([...new Set(events.map((e) => e.topic))]);
    const messages: MessageToProduce<string, string, string, string>[] = events.map(({ topic, event }) => ({
      topic,
      key: event.partitionkey,
      value: JSON.stringify(event),
      headers: {
        ce_specversion: event.specversion,
        ce_id: event.id,
        ce_type: event.type,
        ce_source: event.source,
        'content-type': 'application/cloudevents+json; charset=UTF-8',
        ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
      },
    }));
    await producer.send({ messages });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const kafka = this.#kafka;
    if (this.state !== 'running' || !kafka) throw new UnavailableError('event-bus', `Kafka event bus is ${this.state}`);
    const subscription = new KafkaSubscription({
      kafka,
      brokers: [...this.brokers],
      connection: this.#options.connection ?? {},
      clientId: `${this.#clientId}-${options.group}`,
      topic: options.topic,
      group: options.group,
      handler: options.handler,
      batchHandler: options.batchHandler,
      logger: this.#logger,
      delivered: this.#delivered,
      ensureTopic: () => this.#ensureTopics([options.topic]),
      retry: this.#retry,
      reconnect: this.#reconnect,
      sessionTimeoutMs: this.#options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeMs: this.#options.maxWaitTimeMs ?? 500,
      maxBufferedMessages: this.#options.maxBufferedMessages ?? 1000,
    });
    this.#subscriptions.add(subscription);
    const unwatch = watchConsumerLag(this.#options.metrics, options.topic, options.group, () => subscription.lag());
    await subscription.start();
    return {
      close: async () => {
        unwatch();
        this.#subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  /** Creates missing topics once per process; a failure is forgotten so the next use tries again. */
  #ensureTopics(names: string[]): Promise<void> {
    return Promise.all(
      names.map((name) => {
        let ensured = this.#ensured.get(name);
        if (!ensured) {
          ensured = this.#ensureTopic(name);
          this.#ensured.set(name, ensured);
          ensured.catch(() => this.#ensured.delete(name));
        }
        return ensured;
      }),
    ).then(() => undefined);
  }

  async #ensureTopic(name: string): Promise<void> {
    const admin = this.#admin;
    const kafka = this.#kafka;
    if (!admin || !kafka) throw new UnavailableError('event-bus', 'Kafka event bus is not started');
    const declared = this.#topics.get(name);
    const spec = declared ?? { name, partitions: 1, retentionDays: 7, ...this.#options.undeclaredTopic };
    // Existence by listing: the client turns metadata for a missing topic into a bare
    // "Unknown topic" error, and only after its retries.
    if ((await admin.listTopics()).includes(name)) {
      const found = (await admin.metadata({ topics: [name] })).topics.get(name);
      if (found && found.partitionsCount !== spec.partitions) {
        this.#logger.warn(
          { topic: name, partitions: found.partitionsCount, expected: spec.partitions },
          'topic exists with a different partition count; left as is (changing it would move keys between partitions)',
        );
      }
      return;
    }
    if (!declared)
      this.#logger.warn({ topic: name, partitions: spec.partitions }, 'creating a topic that is not declared');
    try {
      await admin.createTopics({
        topics: [{ topic: name, partitions: spec.partitions, replicas: this.#replicationFactor }],
        configs: [
          { name: 'retention.ms', value: String(spec.retentionDays * 86_400_000) },
          // Kafka deletes whole segments only, and a quiet topic's segment stays open for a week:
          // a segment of at most a day keeps an event no more than a day past its retention.
          { name: 'segment.ms', value: String(Math.min(spec.retentionDays, 1) * 86_400_000) },
        ],
      });
      this.#logger.info(
        { topic: name, partitions: spec.partitions, retentionDays: spec.retentionDays },
        'created topic',
      );
    } catch (error) {
      // Another process created it between our look and our create.
      if (!kafka.findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
    }
  }
}
