/**
 * A consumer process for the "killed mid-batch" integration test (not a test itself): it
 * applies events through `idempotentHandler` and, after its N-th database commit, tells the
 * parent and hangs before returning, so the offset of that event is never committed. The parent
 * then kills it with SIGKILL. Settings come from CONSUMER_* variables.
 */
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { createLogger } from '@tend/core';
import { idempotentHandler } from '@tend/events';
import type { TestTables } from './event-fixtures.js';
import { KafkaEventBus } from '@tend/events';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const schema = env('CONSUMER_SCHEMA');
const topic = env('CONSUMER_TOPIC');
const group = env('CONSUMER_GROUP');
const hangAfter = Number(env('CONSUMER_HANG_AFTER'));
const db = new Kysely<TestTables>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env('CONSUMER_DATABASE_URL') }) }),
});
const bus = new KafkaEventBus({
  brokers: env('CONSUMER_BROKERS').split(','),
  logger: createLogger({ level: 'warn' }),
  topics: [{ name: topic, partitions: 4, retentionDays: 1 }],
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
});
await bus.start();

let applied = 0;
const apply = idempotentHandler(
  { schema, transaction: <T>(work: (trx: Transaction<TestTables>) => Promise<T>) => db.transaction().execute(work) },
  group,
  async (event, trx) => {
    await trx.withSchema(schema).insertInto('applied').values({ event_id: event.id, by: 'doomed' }).execute();
    applied += 1;
  },
);
await bus.subscribe({
  topic,
  group,
  handler: async (event, name) => {
    await apply(event, name);
    if (applied >= hangAfter) {
      process.send?.('applied');
      await new Promise(() => undefined);
    }
  },
});
