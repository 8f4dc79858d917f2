import { realInfra, requireInfra } from '@tend/testing';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomIds, systemClock } from '@tend/core';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import type { CloudEvent, TopicSpec } from './cloud-event.js';
import type { EventBus, Subscription } from './event-bus.js';
import { idempotentBatchHandler, idempotentHandler, type TransactionalEventHandler } from './idempotent-consumer.js';
import {
  createTestSchema,
  deleteTopics,
  eventually,
  runId,
  type TestSchema,
  type TestTables,
  consumerProcessScript,
} from '@tend/testing/events';
import { KafkaEventBus } from './kafka-event-bus.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { enqueueEvent } from './outbox.js';
import { OutboxRelay } from './outbox-relay.js';

/**
 * The event bus contract, end to end (service transaction → outbox → relay → bus → consumer),
 * run against the in-process bus and against the real Kafka broker.
 */
const { databaseUrl, kafkaBrokers } = realInfra();
const hasPostgres = requireInfra('PostgreSQL (TEST_DATABASE_URL)', databaseUrl);
const hasKafka = hasPostgres && requireInfra('Kafka (TEST_KAFKA_BROKERS)', kafkaBrokers);

const logger = createLogger({ level: 'silent' });
const retry = { initialDelayMs: 20, maxDelayMs: 500 };
const run = runId();
const createdTopics: string[] = [];

const implementations: Array<{ kind: string; make: (topics: TopicSpec[]) => EventBus }> = [
  { kind: 'memory', make: () => new MemoryEventBus({ logger, retry }) },
];
if (hasKafka) {
  implementations.push({
    kind: 'kafka',
    make: (topics) =>
      new KafkaEventBus({
        brokers: kafkaBrokers!,
        logger,
        topics,
        retry,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      }),
  });
}

describe.runIf(hasPostgres).each(implementations)('event bus contract ($kind)', ({ kind, make }) => {
  let t: TestSchema;
  let bus: EventBus;
  let relay: OutboxRelay;
  let topic: TopicSpec;
  const subscriptions: Subscription[] = [];

  beforeEach(async () => {
    t = await createTestSchema(databaseUrl!, 'contract');
    topic = { name: `contract_${run}_${kind}_${runId()}`, partitions: 6, retentionDays: 1 };
    createdTopics.push(topic.name);
    bus = make([topic]);
    await bus.start();
    relay = new OutboxRelay({
      schema: t.schema,
      connection: databaseUrl!,
      bus,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      batchSize: 50,
      backoff: retry,
    });
    await relay.start();
  });

  afterEach(async () => {
    await relay.stop();
    for (const subscription of subscriptions.splice(0)) await subscription.close();
    await bus.stop();
    await t.drop();
  });

  afterAll(async () => {
    if (hasKafka) await deleteTopics(kafkaBrokers!, createdTopics);
  });

  async function subscribe(group: string, handler: (event: CloudEvent) => Promise<void>): Promise<Subscription> {
    const subscription = await bus.subscribe({ topic: topic.name, group, handler: (event) => handler(event) });
    subscriptions.push(subscription);
    return subscription;
  }

  function enqueue(trx: TestSchema['db'], partitionKey: string, data: unknown) {
    return enqueueEvent(
      trx,
      { topic: topic.name, type: 'tend.test.counted', source: '/tend/test', partitionKey, data },
      { schema: t.schema, ids: randomIds, clock: systemClock },
    );
  }

  /** `writers` concurrent writers, each owning its own keys, each writing small transactions. */
  async function writeEvents(keys: string[], perKey: number, writers = 5): Promise<CloudEvent[]> {
    const written: CloudEvent[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const mine = keys.filter((_, i) => i % writers === w);
        const queue = mine.flatMap((key) => Array.from({ length: perKey }, (_, n) => ({ key, n })));
        queue.sort((a, b) => a.n - b.n);
        while (queue.length > 0) {
          const chunk = queue.splice(0, 1 + Math.floor(Math.random() * 4));
          await t.transaction(async (trx) => {
            for (const { key, n } of chunk) written.push(await enqueue(trx, key, n));
          });
        }
      }),
    );
    return written;
  }

  it('delivers several hundred events in order per key across partitions', async () => {
    const seen: CloudEvent[] = [];
    await subscribe(`order_${runId()}`, async (event) => {
      if (Math.random() < 0.05) await new Promise((resolve) => setTimeout(resolve, 2));
      seen.push(event);
    });
    const keys = Array.from({ length: 25 }, (_, i) => `person-${i}`);
    const written = await writeEvents(keys, 16);
    expect(written).toHaveLength(400);
    await eventually('all 400 events arrive', () => new Set(seen.map((e) => e.id)).size === 400);
    for (const key of keys) {
      const firstSeen = [...new Map(seen.filter((e) => e.partitionkey === key).map((e) => [e.id, e.data])).values()];
      expect(firstSeen, key).toEqual([...Array(16).keys()]);
    }
  });

  it('gives each consumer group every event', async () => {
    const byGroup: Record<string, Set<string>> = { notification: new Set(), analytics: new Set() };
    for (const group of Object.keys(byGroup)) {
      await subscribe(`${group}_${runId()}`, async (event) => void byGroup[group]!.add(event.id));
    }
    const written = await writeEvents(['ann', 'bob', 'cy', 'dee'], 10, 2);
    const ids = written.map((e) => e.id).sort();
    await eventually('both groups have every event', () => Object.values(byGroup).every((s) => s.size === 40));
    for (const seen of Object.values(byGroup)) expect([...seen].sort()).toEqual(ids);
  });

  it('drains a backlog through the batch handler, each event applied once and in order per key', async () => {
    await sql
      .raw(
        `create table ${t.schema}.applied (seq serial, event_id uuid not null, person text not null, n int not null)`,
      )
      .execute(t.db);
    const group = `batch_${runId()}`;
    const apply: TransactionalEventHandler<TestTables> = async (event, trx) => {
      await trx
        .withSchema(t.schema)
        .insertInto('applied')
        .values({ event_id: event.id, person: event.partitionkey, n: event.data as number })
        .execute();
    };
    const one = idempotentHandler(t, group, apply);
    const many = idempotentBatchHandler(t, group, async (events, trx, topic) => {
      for (const event of events) await apply(event, trx, topic);
    });
    const batchSizes: number[] = [];
    // Events written while no member consumes: a backlog, as after a broker outage.
    const keys = Array.from({ length: 8 }, (_, i) => `person-${i}`);
    const written = await writeEvents(keys, 25);
    await eventually('the relay published the backlog', async () => {
      const { rows } = await sql<{ left: number }>`
        select count(*)::int as left from ${sql.table(`${t.schema}.outbox`)} where published_at is null`.execute(t.db);
      return rows[0]!.left === 0;
    });
    const subscription = await bus.subscribe({
      topic: topic.name,
      group,
      handler: (event, topic) => one(event, topic),
      batchHandler: async (events, topic) => {
        batchSizes.push(events.length);
        // The first batch fails after its commit (as a crash before the offset commit would): its
        // events then come one by one, each found already applied.
        if (batchSizes.length === 1) {
          await many(events, topic);
          throw new Error('lost after the commit');
        }
        await many(events, topic);
      },
    });
    subscriptions.push(subscription);
    const applied = async () => {
      const { rows } = await sql<{ person: string; n: number; event_id: string }>`
        select person, n, event_id::text from ${sql.table(`${t.schema}.applied`)} order by seq`.execute(t.db);
      return rows;
    };
    await eventually('all 200 events applied', async () => (await applied()).length >= 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rows = await applied();
    expect(rows.map((r) => r.event_id).sort()).toEqual(written.map((e) => e.id).sort());
    for (const key of keys) {
      expect(
        rows.filter((r) => r.person === key).map((r) => r.n),
        key,
      ).toEqual([...Array(25).keys()]);
    }
    // Kafka hands the waiting events of a partition over together; the in-process bus one by one.
    if (kind === 'kafka') expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    else expect(batchSizes).toEqual([]);
  });

  it('applies every event exactly once through crashes and a consumer handover', async () => {
    await sql
      .raw(`create table ${t.schema}.applied (event_id uuid not null, person text not null, n int not null)`)
      .execute(t.db);
    const group = `applier_${runId()}`;
    const apply = idempotentHandler(t, group, async (event, trx) => {
      await trx
        .withSchema(t.schema)
        .insertInto('applied')
        .values({ event_id: event.id, person: event.partitionkey, n: event.data as number })
        .execute();
    });
    const crashed = new Set<string>();
    let deliveries = 0;
    // A consumer that dies after its database transaction committed but before the bus learnt
    // the event was handled (Kafka: before the offset commit): the event comes back.
    const crashingConsumer = async (event: CloudEvent) => {
      deliveries += 1;
      await apply(event, topic.name);
      if ((event.data as number) % 7 === 3 && !crashed.has(event.id)) {
        crashed.add(event.id);
        throw new Error('process crashed after applying');
      }
    };
    const applied = async () => {
      const { rows } = await sql<{ total: number; distinct: number }>`
        select count(*)::int as total, count(distinct event_id)::int as distinct
        from ${sql.table(`${t.schema}.applied`)}`.execute(t.db);
      return rows[0]!;
    };

    const first = await subscribe(group, crashingConsumer);
    const writing = writeEvents(
      Array.from({ length: 20 }, (_, i) => `person-${i}`),
      15,
    );
    await eventually('the first consumer applied some events', async () => (await applied()).total >= 100);
    // The first member goes away mid-stream; a second one takes over from the committed position.
    await first.close();
    await subscribe(group, crashingConsumer);
    const written = await writing;

    await eventually('all 300 events applied', async () => (await applied()).distinct === 300);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await applied()).toEqual({ total: 300, distinct: 300 });
    const { rows } = await sql<{ id: string }>`
      select event_id::text as id from ${sql.table(`${t.schema}.applied`)} order by event_id`.execute(t.db);
    expect(rows.map((r) => r.id)).toEqual(written.map((e) => e.id).sort());
    expect(crashed.size).toBeGreaterThan(0);
    expect(deliveries).toBeGreaterThan(300);
  });
});

/**
 * A consumer process that dies for real (SIGKILL: no offset flush, no leaving the group) right
 * after a database commit: a second process takes over from the committed offsets, and the
 * idempotent consumer turns the redeliveries into no-ops.
 */
describe.runIf(hasKafka)('Kafka consumer killed mid-batch', () => {
  it('loses no event and applies none twice', async () => {
    const { fork } = await import('node:child_process');
    const t = await createTestSchema(databaseUrl!, 'killed');
    const topic: TopicSpec = { name: `killed_${run}`, partitions: 4, retentionDays: 1 };
    createdTopics.push(topic.name);
    const group = `applier_${runId()}`;
    await sql.raw(`create table ${t.schema}.applied (event_id uuid not null, by text not null)`).execute(t.db);
    const bus = new KafkaEventBus({ brokers: kafkaBrokers!, logger, topics: [topic], retry });
    await bus.start();
    const relay = new OutboxRelay({
      schema: t.schema,
      connection: databaseUrl!,
      bus,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      backoff: retry,
    });
    await relay.start();
    const subscriptions: Subscription[] = [];
    try {
      for (let i = 0; i < 300; i += 10) {
        await t.transaction(async (trx) => {
          for (let n = i; n < i + 10; n++) {
            await enqueueEvent(
              trx,
              {
                topic: topic.name,
                type: 'tend.test.counted',
                source: '/tend/test',
                partitionKey: `p${n % 13}`,
                data: n,
              },
              { schema: t.schema, ids: randomIds, clock: systemClock },
            );
          }
        });
      }
      // The doomed consumer: applies events, and after its 100th commits it hangs, waiting for the kill.
      const child = fork(consumerProcessScript, [], {
        execArgv: ['--import', 'tsx'],
        env: {
          ...process.env,
          CONSUMER_BROKERS: kafkaBrokers!.join(','),
          CONSUMER_DATABASE_URL: databaseUrl!,
          CONSUMER_SCHEMA: t.schema,
          CONSUMER_TOPIC: topic.name,
          CONSUMER_GROUP: group,
          CONSUMER_HANG_AFTER: '100',
        },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`consumer process exited early (${code})`)));
      });
      child.kill('SIGKILL');
      await exited;

      let deliveries = 0;
      const apply = idempotentHandler(t, group, async (event, trx) => {
        await trx.withSchema(t.schema).insertInto('applied').values({ event_id: event.id, by: 'survivor' }).execute();
      });
      subscriptions.push(
        await bus.subscribe({
          topic: topic.name,
          group,
          handler: async (event, name) => {
            deliveries += 1;
            await apply(event, name);
          },
        }),
      );
      const counts = async () => {
        const { rows } = await sql<{ total: number; distinct: number; killed: number }>`
          select count(*)::int as total, count(distinct event_id)::int as distinct,
                 count(*) filter (where by = 'doomed')::int as killed
          from ${sql.table(`${t.schema}.applied`)}`.execute(t.db);
        return rows[0]!;
      };
      await eventually('all 300 events applied', async () => (await counts()).distinct === 300, 45_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const final = await counts();
      expect(final.total).toBe(300);
      expect(final.killed).toBeGreaterThanOrEqual(100);
      // Some of what the killed process applied came back (its offsets were not committed) and was skipped.
      expect(deliveries).toBeGreaterThan(300 - final.killed);
    } finally {
      for (const subscription of subscriptions) await subscription.close();
      await relay.stop();
      await bus.stop();
      await t.drop();
    }
  }, 90_000);
});

/**
 * All-in-one mode keeps queued events in memory only, so the in-process bus acknowledges a
 * publish once the events are handled: whatever was not handled when the process went away is
 * still unpublished in the outbox and is delivered after the restart.
 */
describe.runIf(hasPostgres)('in-process bus across a restart', () => {
  it('delivers after the restart what was not handled before it, applying each event once', async () => {
    const t = await createTestSchema(databaseUrl!, 'restart');
    await sql.raw(`create table ${t.schema}.applied (event_id uuid not null, by text not null)`).execute(t.db);
    const group = 'applier';
    const start = async (by: string, hang: (n: number) => boolean) => {
      const bus = new MemoryEventBus({ logger, retry, stopTimeoutMs: 100 });
      await bus.start();
      const apply = idempotentHandler(t, group, async (event, trx) => {
        await trx.withSchema(t.schema).insertInto('applied').values({ event_id: event.id, by }).execute();
      });
      await bus.subscribe({
        topic: 'vitals',
        group,
        handler: async (event, name) => {
          if (hang(event.data as number)) await new Promise(() => undefined);
          await apply(event, name);
        },
      });
      const relay = new OutboxRelay({
        schema: t.schema,
        connection: databaseUrl!,
        bus,
        logger,
        metrics: new Metrics({ defaultMetrics: false }),
        backoff: retry,
      });
      await relay.start();
      return { bus, relay };
    };
    const applied = async () => {
      const { rows } = await sql<{ total: number; distinct: number }>`
        select count(*)::int as total, count(distinct event_id)::int as distinct
        from ${sql.table(`${t.schema}.applied`)}`.execute(t.db);
      return rows[0]!;
    };
    try {
      // Before the "crash": events 30 and up never finish being handled.
      const before = await start('before', (n) => n >= 30);
      for (let n = 0; n < 50; n++) {
        await enqueueEvent(
          t.db,
          { topic: 'vitals', type: 'tend.test.counted', source: '/tend/test', partitionKey: `p${n % 5}`, data: n },
          { schema: t.schema, ids: randomIds, clock: systemClock },
        );
      }
      await eventually('the first process applied what it could', async () => (await applied()).total >= 30);
      await before.relay.stop();
      await before.bus.stop();
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from ${sql.table(`${t.schema}.outbox`)} where published_at is null`.execute(t.db);
      expect(rows[0]!.n).toBeGreaterThan(0);

      const after = await start('after', () => false);
      try {
        await eventually('all 50 events applied', async () => (await applied()).distinct === 50);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect((await applied()).total).toBe(50);
      } finally {
        await after.relay.stop();
        await after.bus.stop();
      }
    } finally {
      await t.drop();
    }
  });
});

/** Retention as the broker applies it: Kafka deletes closed segments only. */
describe.runIf(hasKafka)('Kafka topics the bus creates', () => {
  it('closes a segment at least daily, so a one-day topic keeps an event no more than two days', async () => {
    const topic: TopicSpec = { name: `retained_${run}`, partitions: 1, retentionDays: 1 };
    const long: TopicSpec = { name: `retained_long_${run}`, partitions: 1, retentionDays: 90 };
    createdTopics.push(topic.name, long.name);
    const bus = new KafkaEventBus({ brokers: kafkaBrokers!, logger, topics: [topic, long], retry });
    await bus.start();
    await bus.stop();
    const admin = new Admin({ clientId: 'tend-test-topics', bootstrapBrokers: kafkaBrokers! });
    try {
      const described = await admin.describeConfigs({
        resources: [topic, long].map((spec) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: spec.name,
          configurationKeys: ['retention.ms', 'segment.ms'],
        })),
      });
      const configs = Object.fromEntries(
        described.map((d) => [d.resourceName, Object.fromEntries(d.configs.map((c) => [c.name, c.value]))]),
      );
      expect(configs[topic.name]).toEqual({ 'retention.ms': '86400000', 'segment.ms': '86400000' });
      expect(configs[long.name]).toEqual({ 'retention.ms': String(90 * 86_400_000), 'segment.ms': '86400000' });
    } finally {
      await admin.close();
    }
  });
});
