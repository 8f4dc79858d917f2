import { realInfra, requireInfra } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomIds, systemClock } from '@tend/core';
import { UnavailableError } from '@tend/core';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import type { CloudEvent, TopicSpec } from './cloud-event.js';
import type { EventBus, OutgoingEvent } from './event-bus.js';
import {
  captureLog,
  closedPort,
  createTestSchema,
  deleteTopics,
  eventually,
  runId,
  type TestSchema,
} from '@tend/testing/events';
import { KafkaEventBus } from './kafka-event-bus.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { enqueueEvent } from './outbox.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';

const { databaseUrl, kafkaBrokers } = realInfra();
const hasPostgres = requireInfra('PostgreSQL (TEST_DATABASE_URL)', databaseUrl);
const hasKafka = hasPostgres && requireInfra('Kafka (TEST_KAFKA_BROKERS)', kafkaBrokers);

const quiet = createLogger({ level: 'silent' });
const retry = { initialDelayMs: 20, maxDelayMs: 500 };
const run = runId();
const createdTopics: string[] = [];

function topicSpec(name: string, partitions = 3): TopicSpec {
  const spec = { name: `relay_${run}_${name}`, partitions, retentionDays: 1 };
  createdTopics.push(spec.name);
  return spec;
}

type BusKind = 'memory' | 'kafka';
const busKinds: BusKind[] = hasKafka ? ['memory', 'kafka'] : ['memory'];

function makeBus(kind: BusKind, specs: TopicSpec[], brokers = kafkaBrokers!): EventBus {
  return kind === 'memory'
    ? new MemoryEventBus({ logger: quiet, retry })
    : new KafkaEventBus({
        brokers,
        logger: quiet,
        topics: specs,
        retry,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      });
}

/** Subscribes and records what arrives, in arrival order. */
async function collect(bus: EventBus, topic: string, group = `g_${runId()}`): Promise<CloudEvent[]> {
  const seen: CloudEvent[] = [];
  await bus.subscribe({ topic, group, handler: async (event) => void seen.push(event) });
  return seen;
}

describe.runIf(hasPostgres)('OutboxRelay (real PostgreSQL)', () => {
  let t: TestSchema;
  const stoppers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    t = await createTestSchema(databaseUrl!, 'relay');
  });

  afterEach(async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop();
    await t.drop();
  });

  afterAll(async () => {
    if (hasKafka) await deleteTopics(kafkaBrokers!, createdTopics);
  });

  async function started<T extends { start(): Promise<void>; stop(): Promise<void> }>(service: T): Promise<T> {
    await service.start();
    stoppers.push(() => service.stop());
    return service;
  }

  function relay(bus: Pick<EventBus, 'publish'>, options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
    return new OutboxRelay({
      schema: t.schema,
      connection: databaseUrl!,
      bus,
      logger: quiet,
      metrics: new Metrics({ defaultMetrics: false }),
      backoff: retry,
      standbyIntervalMs: 100,
      ...options,
    });
  }

  function enqueue(topic: string, partitionKey: string, data: unknown, trx = t.db) {
    return enqueueEvent(
      trx,
      { topic, type: 'tend.test.happened', source: '/tend/test', partitionKey, data },
      { schema: t.schema, ids: randomIds, clock: systemClock },
    );
  }

  async function unpublished(): Promise<number> {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from ${sql.table(`${t.schema}.outbox`)} where published_at is null`.execute(t.db);
    return rows[0]!.n;
  }

  describe.each(busKinds)('on the %s bus', (kind) => {
    it('never publishes events written in a transaction that rolled back', async () => {
      const spec = topicSpec(`rollback_${kind}`);
      const bus = await started(makeBus(kind, [spec]));
      const seen = await collect(bus, spec.name);
      await started(relay(bus));

      await expect(
        t.transaction(async (trx) => {
          await enqueue(spec.name, 'ann', 'rolled back', trx);
          throw new Error('the write failed after the event was enqueued');
        }),
      ).rejects.toThrow('the write failed');
      const committed = await t.transaction((trx) => enqueue(spec.name, 'ann', 'committed', trx));

      await eventually('the committed event arrives', () => seen.length === 1);
      // The rolled-back event was enqueued first; had it existed it would have arrived first.
      expect(seen.map((e) => [e.id, e.data])).toEqual([[committed.id, 'committed']]);
      await eventually('the relay marked them published', async () => (await unpublished()) === 0);
    });

    it('lets one relay per schema publish; a standby takes over and per-key order holds', async () => {
      const spec = topicSpec(`failover_${kind}`, 4);
      const bus = await started(makeBus(kind, [spec]));
      const seen = await collect(bus, spec.name);
      const first = await started(relay(bus, { batchSize: 7 }));
      const second = await started(relay(bus, { batchSize: 7 }));
      await eventually(
        'one relay leads, one stands by',
        () => [first.role, second.role].sort().join() === 'leader,standby',
      );
      const [leader, standby] = first.role === 'leader' ? [first, second] : [second, first];

      const keys = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay'];
      const writers = keys.map(async (key) => {
        for (let n = 0; n < 40; n++) {
          await enqueue(spec.name, key, n);
          if (n === 20 && key === 'ann') await leader.stop();
        }
      });
      await Promise.all(writers);
      await eventually('the standby took over', () => standby.role === 'leader');
      await eventually('every event arrives', () => new Set(seen.map((e) => e.id)).size === 240);

      for (const key of keys) {
        const firstSeen = [...new Map(seen.filter((e) => e.partitionkey === key).map((e) => [e.id, e.data])).values()];
        expect(firstSeen, key).toEqual([...Array(40).keys()]);
      }
      await eventually('the relay marked them published', async () => (await unpublished()) === 0);
    });
  });

  it.runIf(hasKafka)('keeps events committed while Kafka is down and publishes them once it is back', async () => {
    const spec = topicSpec('outage');
    const log = captureLog('debug');
    const downBus = await started(
      new KafkaEventBus({
        brokers: [`127.0.0.1:${await closedPort()}`],
        logger: quiet,
        topics: [spec],
        producerRetries: 1,
      }),
    );
    const downRelay = await started(relay(downBus, { logger: log.logger }));
    for (let n = 0; n < 20; n++) await enqueue(spec.name, `person-${n % 4}`, n);

    await eventually('the relay has tried and failed to publish', () =>
      log.lines.some((l) => l.msg.startsWith('event bus unavailable')),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await unpublished()).toBe(20);
    expect(downRelay.state).toBe('running');
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    await downRelay.stop();

    // Kafka is back: a relay pointed at the live broker (as after a restart of the process).
    const bus = await started(makeBus('kafka', [spec]));
    const seen = await collect(bus, spec.name);
    await started(relay(bus));
    await eventually('all 20 events arrive', () => new Set(seen.map((e) => e.id)).size === 20);
    expect(seen.map((e) => e.data).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(20).keys()]);
    await eventually('the relay marked them published', async () => (await unpublished()) === 0);
  });

  it('resumes by itself when the bus comes back, logging the outage once at each end', async () => {
    const log = captureLog('info');
    const memory = await started(new MemoryEventBus({ logger: quiet, retry }));
    let down = true;
    const flaky: Pick<EventBus, 'publish'> = {
      publish: (events: OutgoingEvent[]) =>
        down ? Promise.reject(new UnavailableError('event-bus', 'broker down')) : memory.publish(events),
    };
    const seen = await collect(memory, 'outage');
    const metrics = new Metrics({ defaultMetrics: false });
    await started(relay(flaky, { logger: log.logger, metrics }));
    for (let n = 0; n < 10; n++) await enqueue('outage', 'ann', n);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen).toHaveLength(0);
    expect(await unpublished()).toBe(10);

    down = false;
    await eventually('all 10 events arrive in order', () => seen.length === 10);
    expect(seen.map((e) => e.data)).toEqual([...Array(10).keys()]);
    const messages = log.lines.map((l) => l.msg);
    expect(messages.filter((m) => m.startsWith('event bus unavailable'))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('event bus is back'))).toHaveLength(1);
    await eventually('the relay counted them', async () =>
      (await metrics.text()).includes('tend_events_published_total{topic="outage"} 10'),
    );
  });

  it('wakes on NOTIFY at commit instead of waiting for its poll', async () => {
    const bus = await started(new MemoryEventBus({ logger: quiet, retry }));
    const seen = await collect(bus, 'notify');
    const relayed = await started(relay(bus, { pollIntervalMs: 60_000 }));
    await eventually('the relay leads and listens', () => relayed.role === 'leader');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started_ = Date.now();
    await enqueue('notify', 'ann', 'ping');
    await eventually('the event arrives', () => seen.length === 1, 5_000);
    expect(Date.now() - started_).toBeLessThan(2_000);
  });

  it('stops without handing the bus a batch it read while the stop came, and keeps it unpublished', async () => {
    // A bus that never acknowledges, like a consumer stuck on an event: a publish started after
    // the stop would hold the stop until the publish timeout.
    const handed: OutgoingEvent[][] = [];
    const stuck: Pick<EventBus, 'publish'> = {
      publish: (events: OutgoingEvent[]) => {
        handed.push(events);
        return new Promise<never>(() => undefined);
      },
    };
    const relayed = await started(relay(stuck, { pollIntervalMs: 20, publishTimeoutMs: 600_000 }));
    await eventually('the relay leads', () => relayed.role === 'leader');
    let stopping: Promise<void> | undefined;
    await t.transaction(async (trx) => {
      // Holds the relay's next read of the outbox until this transaction commits, by then stopped.
      await sql.raw(`lock table ${t.schema}.outbox in access exclusive mode`).execute(trx);
      await eventually('the relay waits on its read of the outbox', async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where application_name = ${`tend-outbox-relay-${t.schema}`} and wait_event_type = 'Lock'`.execute(t.db);
        return rows[0]!.n === 1;
      });
      await enqueue('vitals', 'ann', 'read as the stop comes', trx);
      stopping = relayed.stop();
    });
    await stopping;
    expect(handed).toEqual([]);
    expect(await unpublished()).toBe(1);
  });

  it('after an idle stretch, relays a write from another session on its NOTIFY, not at its next poll', async () => {
    const bus = await started(new MemoryEventBus({ logger: quiet, retry }));
    const seen = await collect(bus, 'rested');
    // Empty polls at 0, 0.5, 1.5 and 3.5 s; the next would be at 7.5 s.
    const relayed = await started(relay(bus, { pollIntervalMs: 500, maxIdleIntervalMs: 60_000 }));
    await eventually('the relay leads and listens', () => relayed.role === 'leader');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await enqueue('rested', 'ann', 'after a rest');
    await eventually('the event arrives before the next poll', () => seen.length === 1, 3_000);
    expect(seen[0]!.data).toBe('after a rest');
  });

  it('relays what was written while its listening session was gone, once it is back', async () => {
    const bus = await started(new MemoryEventBus({ logger: quiet, retry }));
    const seen = await collect(bus, 'reconnect');
    // No poll of its own within the test: only the new session's first look can find the event.
    const relayed = await started(relay(bus, { pollIntervalMs: 60_000, maxIdleIntervalMs: 60_000 }));
    await eventually('the relay leads and listens', () => relayed.role === 'leader');
    const appName = `tend-outbox-relay-${t.schema}`;
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${appName}`.execute(t.db);
    await enqueue('reconnect', 'ann', 'while away');
    await eventually('the event arrives', () => seen.length === 1, 10_000);
    expect(seen[0]!.data).toBe('while away');
    await eventually('it is marked published', async () => (await unpublished()) === 0);
  });

  it('counts published events per topic and deletes published rows after the retention', async () => {
    const bus = await started(new MemoryEventBus({ logger: quiet, retry }));
    const metrics = new Metrics({ defaultMetrics: false });
    await started(relay(bus, { metrics, retentionMs: 1, cleanupIntervalMs: 50 }));
    for (let n = 0; n < 5; n++) await enqueue('vitals', 'ann', n);
    await enqueue('reminders', 'bob', 0);
    await eventually('published rows are deleted', async () => {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from ${sql.table(`${t.schema}.outbox`)}`.execute(t.db);
      return rows[0]!.n === 0;
    });
    const text = await metrics.text();
    expect(text).toContain('tend_events_published_total{topic="vitals"} 5');
    expect(text).toContain('tend_events_published_total{topic="reminders"} 1');
  });
});
