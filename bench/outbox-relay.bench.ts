// Outbox → relay → event bus → consumer: drain throughput and commit-to-handler latency.
//   npm run bench:outbox -- <kafka|memory> [drainEvents=20000] [latencySamples=300] [batchSize=500]
// Needs TEST_DATABASE_URL (and TEST_KAFKA_BROKERS for kafka): `eval "$(bash scripts/infra.sh env)"`.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Metrics, createLogger, randomIds, systemClock } from '@tend/core';
import { OutboxRelay, createEventBus, enqueueEvent, type OutgoingEvent } from '@tend/events';
import { createDatabase } from '@tend/db';

const [kind = 'kafka', drainArg = '20000', samplesArg = '300', batchArg = '500'] = process.argv.slice(2);
const url = process.env.TEST_DATABASE_URL;
const brokers = kind === 'kafka' ? process.env.TEST_KAFKA_BROKERS : undefined;
if (!url || (kind === 'kafka' && !brokers)) throw new Error('run `eval "$(bash scripts/infra.sh env)"` first');

const logger = createLogger({ level: 'warn' });
const suffix = randomBytes(3).toString('hex');
const schema = `bench_${suffix}`;
const topic = { name: `bench_${suffix}`, partitions: 10, retentionDays: 1 };
const database = createDatabase({ url, logger });
await database.start();
const db = database.schema<Record<string, never>>(schema);
await db.migrate([]);
const context = { schema, ids: randomIds, clock: systemClock };
const reading = { kind: 'heart_rate', value: 72, unit: '/min', loinc: '8867-4' };
const enqueue = (trx: Kysely<Record<string, never>>, i: number) =>
  enqueueEvent(
    trx,
    {
      topic: topic.name,
      type: 'tend.health.vital.recorded',
      source: '/tend/health',
      partitionKey: `person-${i % 1000}`,
      data: { ...reading, i },
    },
    context,
  );

const bus = createEventBus({ brokers, logger, topics: [topic] });
await bus.start();
const handledAt = new Map<number, number>();
await bus.subscribe({
  topic: topic.name,
  group: `bench_${suffix}`,
  handler: async (event) => void handledAt.set((event.data as { i: number }).i, performance.now()),
});
const waitUntil = async (done: () => boolean) => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
};

// 1. Drain: N events already committed, then the relay starts.
const total = Number(drainArg);
let began = performance.now();
for (let i = 0; i < total; i += 100) {
  await db.transaction(async (trx) => {
    for (let j = i; j < Math.min(i + 100, total); j++) await enqueue(trx, j);
  });
}
const enqueueSeconds = (performance.now() - began) / 1000;
const relay = new OutboxRelay({
  schema,
  connection: url,
  bus: { publish: (events: OutgoingEvent[]) => bus.publish(events) },
  logger,
  metrics: new Metrics({ defaultMetrics: false }),
  batchSize: Number(batchArg),
});
began = performance.now();
await relay.start();
await waitUntil(() => handledAt.size >= total);
const drainSeconds = (performance.now() - began) / 1000;

// 2. Latency: one event per transaction, measured from commit to the consumer's handler.
const latencies: number[] = [];
for (let k = 0; k < Number(samplesArg); k++) {
  const i = total + k;
  await db.transaction((trx) => enqueue(trx, i));
  const committed = performance.now();
  await waitUntil(() => handledAt.has(i));
  latencies.push(handledAt.get(i)! - committed);
}
latencies.sort((a, b) => a - b);
const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);

console.log(`bus: ${kind}, batch ${batchArg}`);
console.log(`enqueue: ${(total / enqueueSeconds).toFixed(0)} events/s (100 per transaction, one connection)`);
console.log(
  `outbox -> consumer drain: ${total} events in ${drainSeconds.toFixed(2)} s = ${(total / drainSeconds).toFixed(0)} events/s`,
);
console.log(`commit -> handler: p50 ${quantile(0.5)} ms, p95 ${quantile(0.95)} ms, p99 ${quantile(0.99)} ms`);

await relay.stop();
await bus.stop();
await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(db.primary);
await database.stop();
process.exit(0);
