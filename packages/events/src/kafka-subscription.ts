import { randomUUID } from 'node:crypto';
import { withBatchTrace, withEventTrace } from './trace-context.js';
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import type { Logger } from '@tend/core';
import { backoffDelay, sleep, type RetryBackoff } from './backoff.js';
import { parseCloudEvent, type CloudEvent } from './cloud-event.js';
import type { EventBatchHandler, EventHandler, Subscription } from './event-bus.js';
import type { DeliveryCounter } from './event-bus-metrics.js';
import type { KafkaClient } from './kafka-client.js';
import type { KafkaConnectionOptions } from '@tend/core';

type KafkaMessage = Message<string, Buffer, Buffer, Buffer>;
type KafkaStream = MessagesStream<string, Buffer, Buffer, Buffer>;

/** A consumer that lasted this long before failing counts as having recovered from any earlier outage. */
const healthyRunMs = 30_000;

/** Most events of one partition handed to a batch handler at once. */
const maxBatchEvents = 100;

/** Settings of one subscription, filled in by `KafkaEventBus`. */
export interface KafkaSubscriptionSettings {
  /** The client library the bus loaded when it started. */
  kafka: KafkaClient;
  brokers: string[];
  /** TLS and SASL of the consumer's connections. */
  connection: KafkaConnectionOptions;
  clientId: string;
  topic: string;
  group: string;
  handler: EventHandler;
  /** Takes the messages waiting in a partition together, when set (see `EventBatchHandler`). */
  batchHandler?: EventBatchHandler;
  logger: Logger;
  delivered: DeliveryCounter;
  /** Creates the topic if missing; called before every (re)connect. */
  ensureTopic: () => Promise<void>;
  /** Between redeliveries of a failed event. */
  retry: Required<RetryBackoff>;
  /** Between attempts to reconnect a consumer the broker dropped (see `outageProbeBackoff`). */
  reconnect: Required<RetryBackoff>;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  maxBufferedMessages: number;
}

/** One partition's messages for this member, handled one at a time, in offset order. */
interface Lane {
  partition: number;
  queue: KafkaMessage[];
  /** Offset after the last message queued: anything lower arriving again (a re-fetch after a rebalance) is a duplicate. */
  nextOffset: bigint;
  revoked: boolean;
  worker?: Promise<void>;
}

/** One consumer instance's life: from joining the group to closing it. */
interface Run {
  consumer: Consumer<string, Buffer, Buffer, Buffer>;
  stream?: KafkaStream;
  lanes: Map<number, Lane>;
  /** Every lane worker still running, including those of revoked partitions. */
  workers: Set<Promise<void>>;
  pumping?: Promise<void>;
  /** Why the client gave up on this consumer, when it did so outside the stream. */
  failure?: Error;
  buffered: number;
  drained?: () => void;
  stop: AbortController;
}

/**
 * A consumer-group member that commits an offset only after the handler succeeded with the
 * message (at-least-once), handles partitions in parallel and each partition in order, and
 * retries a failing message with backoff without advancing its partition. Anything that breaks
 * the consumer (broker gone, group fenced) closes it and a new one resumes from the committed
 * offsets after a backoff; a subscription never gives up until closed.
 */
export class KafkaSubscription implements Subscription {
  readonly #settings: KafkaSubscriptionSettings;
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  /** This subscription's static membership in its group, the same for every consumer it makes. */
  readonly #instanceId = `${randomUUID()}`;
  #loop: Promise<void> | undefined;
  #run: Run | undefined;

  constructor(settings: KafkaSubscriptionSettings) {
    this.#settings = settings;
    this.#logger = settings.logger.child({ topic: settings.topic, group: settings.group });
  }

  /** Starts consuming; resolves after the first attempt to join the group, whatever its outcome. */
  start(): Promise<void> {
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    this.#loop = this.#supervise(firstAttempt);
    return attempted;
  }

  /** Stops handing out messages, waits for running handlers, flushes commits and leaves the group. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#stopRun(this.#run);
    await this.#loop;
  }

  /**
   * Messages of the topic this member's partitions hold and the group has not yet committed
   * (latest offset minus committed offset, from the broker); unknown while not in the group.
   */
  async lag(): Promise<number | undefined> {
    const run = this.#run;
    if (!run?.stream || run.stop.signal.aborted) return undefined;
    const lags = await run.consumer.getLag({ topics: [this.#settings.topic] });
    // -1 marks a partition assigned to another member of the group.
    const mine = (lags.get(this.#settings.topic) ?? []).filter((lag) => lag >= 0n);
    return mine.length === 0 ? undefined : Number(mine.reduce((sum, lag) => sum + lag, 0n));
  }

  get #closed(): boolean {
    return this.#closing.signal.aborted;
  }

  async #supervise(firstAttempt: () => void): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const run = this.#newRun();
      const startedAt = Date.now();
      this.#run = run;
      try {
        await this.#settings.ensureTopic();
        run.stream = await run.consumer.consume({
          topics: [this.#settings.topic],
          mode: 'committed',
          fallbackMode: 'earliest',
          autocommit: false,
          highWaterMark: Math.min(1024, this.#settings.maxBufferedMessages),
        });
        firstAttempt();
        if (failures > 0) this.#logger.info({ failures }, 'consumer reconnected');
        run.pumping = this.#pump(run, run.stream);
        await Promise.race([run.pumping, abortion(run.stop.signal)]);
        if (run.failure) throw run.failure;
        // The stream ended without being asked to: the client gave up on it; start a new consumer.
        if (!run.stop.signal.aborted) throw new Error('consumer stream ended');
      } catch (error) {
        firstAttempt();
        if (!this.#closed) {
          // A consumer that ran for a while before failing starts a new outage (and a short backoff);
          // one that fails right after connecting keeps backing off further.
          if (Date.now() - startedAt > healthyRunMs) failures = 0;
          failures += 1;
          if (failures === 1) this.#logger.warn({ err: error }, 'consumer failed; reconnecting with backoff');
          else this.#logger.debug({ err: error, failures }, 'consumer still failing');
        }
      } finally {
        await this.#finishRun(run, this.#closed);
      }
      if (!this.#closed && failures > 0)
        await sleep(backoffDelay(failures, this.#settings.reconnect), this.#closing.signal);
    }
  }

  #newRun(): Run {
    const s = this.#settings;
    const consumer = new s.kafka.Consumer<string, Buffer, Buffer, Buffer>({
      ...s.connection,
      clientId: s.clientId,
      bootstrapBrokers: s.brokers,
      groupId: kafkaGroupId(s.group, s.topic),
      // Static membership: a consumer made again after the broker dropped the last one (an
      // outage, a broker restart) takes that one's place in the group at once. As a new member
      // it would wait for the group to give up on the old one, a session timeout after the
      // broker's return, and for every half-joined attempt made while the broker was loading.
      groupInstanceId: `${s.clientId}-${this.#instanceId}`,
      autocommit: false,
      sessionTimeout: s.sessionTimeoutMs,
      rebalanceTimeout: s.sessionTimeoutMs,
      // A join may rightly wait a rebalance out; anything unanswered longer is lost, not slow.
      requestTimeout: s.sessionTimeoutMs + 5_000,
      heartbeatInterval: s.heartbeatIntervalMs,
      maxWaitTime: s.maxWaitTimeMs,
      deserializers: { key: s.kafka.stringDeserializer },
    });
    const run: Run = { consumer, lanes: new Map(), workers: new Set(), buffered: 0, stop: new AbortController() };
    // The client emits 'error' when a background rejoin fails (broker gone for long); unheard,
    // Node would crash the process. This consumer is done: start a new one.
    consumer.on('error', (error: Error) => {
      run.failure ??= error;
      this.#stopRun(run);
    });
    // Partitions taken away by a rebalance: drop what is queued for them (the new owner starts
    // from the committed offset) and stop retrying their failed message here.
    consumer.on('consumer:group:join', () => {
      const mine = new Set(consumer.assignments?.find((a) => a.topic === s.topic)?.partitions ?? []);
      for (const lane of run.lanes.values()) {
        if (!mine.has(lane.partition)) this.#revoke(run, lane);
      }
    });
    return run;
  }

  #revoke(run: Run, lane: Lane): void {
    lane.revoked = true;
    run.buffered -= lane.queue.length;
    lane.queue = [];
    run.lanes.delete(lane.partition);
    this.#signalDrained(run);
  }

  /** Reads the stream into per-partition lanes, pausing while too many messages wait. */
  async #pump(run: Run, stream: KafkaStream): Promise<void> {
    const limit = this.#settings.maxBufferedMessages;
    // No `break`: leaving a for-await destroys the stream, losing the offsets it has yet to
    // commit. The loop ends when the stream is closed, which flushes them.
    for await (const message of stream as AsyncIterable<KafkaMessage>) {
      if (run.stop.signal.aborted) continue;
      let lane = run.lanes.get(message.partition);
      if (!lane) {
        lane = { partition: message.partition, queue: [], nextOffset: -1n, revoked: false };
        run.lanes.set(message.partition, lane);
      }
      if (message.offset < lane.nextOffset) continue;
      lane.nextOffset = message.offset + 1n;
      lane.queue.push(message);
      run.buffered += 1;
      if (!lane.worker) {
        const worker = this.#work(run, lane);
        lane.worker = worker;
        run.workers.add(worker);
        worker.finally(() => run.workers.delete(worker)).catch(() => undefined);
      }
      while (run.buffered >= limit && !run.stop.signal.aborted) {
        await new Promise<void>((resolve) => (run.drained = resolve));
      }
    }
  }

  #signalDrained(run: Run): void {
    if (run.buffered < this.#settings.maxBufferedMessages || run.stop.signal.aborted) {
      const drained = run.drained;
      run.drained = undefined;
      drained?.();
    }
  }

  async #work(run: Run, lane: Lane): Promise<void> {
    try {
      while (lane.queue.length > 0 && !run.stop.signal.aborted && !lane.revoked) {
        const taken = lane.queue.slice(0, this.#settings.batchHandler ? maxBatchEvents : 1);
        if (!(await this.#handleInOrder(run, lane, taken))) return;
        // A partition that moved away meanwhile is the new owner's to commit.
        if (lane.revoked) return;
        lane.queue.splice(0, taken.length);
        run.buffered -= taken.length;
        this.#signalDrained(run);
        // One commit for all of them: a partition's committed offset covers every message before it.
        const last = taken.at(-1)!;
        void last.commit((error?: Error) => {
          if (error) this.#logger.debug({ err: error, partition: last.partition }, 'offset commit failed');
        });
      }
    } finally {
      lane.worker = undefined;
    }
  }

  /**
   * Handles `messages` of one partition in order: together when there are several and a batch
   * handler, else (or if the batch fails) one by one until each succeeds. False if the run
   * stopped or the partition moved away first.
   */
  async #handleInOrder(run: Run, lane: Lane, messages: KafkaMessage[]): Promise<boolean> {
    const decoded = messages.flatMap((message) => {
      const event = this.#decode(message);
      return event ? [{ message, event }] : [];
    });
    if (decoded.length > 1 && (await this.#handleBatch(decoded.map((d) => d.event)))) return true;
    for (const { message, event } of decoded) {
      if (!(await this.#handle(run, lane, message, event))) return false;
    }
    return true;
  }

  /** One attempt at a batch; a failure is left to the one-by-one path, which retries and names the event. */
  async #handleBatch(events: CloudEvent[]): Promise<boolean> {
    const { topic, group, batchHandler } = this.#settings;
    try {
      await withBatchTrace(events, { system: 'kafka', topic, group }, () => batchHandler!(events, topic));
      for (let i = 0; i < events.length; i++) this.#settings.delivered(topic, group, 'handled');
      return true;
    } catch (error) {
      this.#logger.warn({ err: error, events: events.length }, 'event batch failed; handling its events one by one');
      return false;
    }
  }

  /** Runs the handler until it succeeds; false if the run stopped or the partition moved away first. */
  async #handle(run: Run, lane: Lane, message: KafkaMessage, event: CloudEvent): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await withEventTrace(event, { system: 'kafka', topic: this.#settings.topic, group: this.#settings.group }, () =>
          this.#settings.handler(event, this.#settings.topic),
        );
        this.#settings.delivered(this.#settings.topic, this.#settings.group, 'handled');
        return true;
      } catch (error) {
        this.#settings.delivered(this.#settings.topic, this.#settings.group, 'failed');
        if (run.stop.signal.aborted || lane.revoked) return false;
        const delay = backoffDelay(attempt, this.#settings.retry);
        const level = attempt === 1 || attempt % 10 === 0 ? 'warn' : 'debug';
        this.#logger[level](
          { err: error, partition: message.partition, offset: message.offset.toString(), eventId: event.id, attempt },
          'event handler failed; retrying, the partition waits',
        );
        await sleep(delay, run.stop.signal);
        if (run.stop.signal.aborted || lane.revoked) return false;
      }
    }
  }

  /** A message that is not a Tend CloudEvent can never be handled: logged and skipped, not retried forever. */
  #decode(message: KafkaMessage): CloudEvent | undefined {
    try {
      return parseCloudEvent(JSON.parse(message.value.toString('utf8')));
    } catch (error) {
      this.#settings.delivered(this.#settings.topic, this.#settings.group, 'invalid');
      this.#logger.error(
        { err: error, partition: message.partition, offset: message.offset.toString() },
        'skipping a message that is not a valid CloudEvent',
      );
      return undefined;
    }
  }

  #stopRun(run: Run | undefined): void {
    if (!run) return;
    run.stop.abort();
    this.#signalDrained(run);
    // Still joining (maybe retrying against a broker that is down): cut that short.
    if (!run.stream) run.consumer.close(true).catch(() => undefined);
  }

  /**
   * Workers first (each commits what it handled), then the stream (which flushes those
   * offsets), then the consumer (leaving the group, so partitions move to another member now
   * rather than after a session timeout). After a failure the broker may be unreachable, so
   * the waits are shorter before giving up on the goodbye.
   */
  async #finishRun(run: Run, graceful: boolean): Promise<void> {
    this.#stopRun(run);
    await Promise.all(run.workers);
    const patience = graceful ? 10_000 : 2_000;
    await withTimeout(run.stream?.close(), patience).catch(() => undefined);
    await run.pumping?.catch(() => undefined);
    await withTimeout(run.consumer.close(), patience).catch(() => run.consumer.close(true).catch(() => undefined));
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function withTimeout(work: Promise<void> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Kafka group a bus group joins on one topic. A bus group is per topic, as in the memory bus;
 * a Kafka group spans topics, and its members that subscribe to different topics are assigned
 * each other's partitions, so part of a topic would reach no handler. One Kafka group per
 * (group, topic) keeps the bus's meaning.
 */
export function kafkaGroupId(group: string, topic: string): string {
  return `${group}.${topic}`;
}
