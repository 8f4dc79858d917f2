import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { SchemaDatabase } from '@tend/db';
import type { CloudEvent } from './cloud-event.js';
import type { EventBatchHandler, EventHandler } from './event-bus.js';

/** What an idempotent handler needs of a database: its schema and transactions on the primary. */
export type IdempotencyDatabase<DB> = Pick<SchemaDatabase<DB>, 'schema' | 'transaction'>;

/** A handler whose database work runs in the transaction that also records the event as processed. */
export type TransactionalEventHandler<DB> = (event: CloudEvent, trx: Transaction<DB>, topic: string) => Promise<void>;

/** The same for several events at once, in their order. */
export type TransactionalBatchHandler<DB> = (
  events: readonly CloudEvent[],
  trx: Transaction<DB>,
  topic: string,
) => Promise<void>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The key an event is remembered by in `processed_events.event_id` (a uuid column). Tend's own
 * events have UUID ids; for any other id, CloudEvents' uniqueness rule (source + id) is hashed
 * into a UUID-shaped key, so a foreign event neither fails the insert nor collides.
 */
export function processedEventKey(event: Pick<CloudEvent, 'id' | 'source'>): string {
  if (uuidPattern.test(event.id)) return event.id.toLowerCase();
  const hex = createHash('sha256').update(`${event.source}\n${event.id}`).digest('hex');
  // Shaped as a version-5-style UUID so it reads like one in the table.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Wraps a consumer so that a redelivered event (at-least-once delivery makes them normal: a
 * crash after the handler's commit but before the offset commit, a rebalance) is applied once.
 * The handler's writes and the `processed_events` row for `(group, event id)` commit in one
 * transaction; the row is inserted first, so a second delivery, even one running at the same
 * time on another replica, waits on the first one's unique key and then finds it taken and
 * skips. A handler that throws rolls both back, and the event is delivered again.
 */
export function idempotentHandler<DB>(
  db: IdempotencyDatabase<DB>,
  group: string,
  handler: TransactionalEventHandler<DB>,
): EventHandler {
  // One event is a batch of one: the same claim, in the same transaction as the handler's work.
  const handleBatch = idempotentBatchHandler(db, group, ([event], trx, topic) => handler(event!, trx, topic));
  return (event, topic) => handleBatch([event], topic);
}

/**
 * `idempotentHandler` for a batch of events (see `EventBatchHandler`): one transaction claims
 * them all in one statement and hands the handler those it claimed, in order, so a backlog costs
 * one transaction per batch rather than per event. An event already processed, or repeated within
 * the batch, is left out as it would be alone. A handler that throws rolls back the whole batch,
 * whose events are then delivered again one by one.
 */
export function idempotentBatchHandler<DB>(
  db: IdempotencyDatabase<DB>,
  group: string,
  handler: TransactionalBatchHandler<DB>,
): EventBatchHandler {
  if (!group) throw new TypeError('an idempotent handler needs a consumer group name');
  return async (events, topic) => {
    const keys = events.map(processedEventKey);
    await db.transaction(
      async (trx) => {
        const claimed = await sql<{ event_id: string }>`
          insert into ${sql.table(`${db.schema}.processed_events`)} (consumer_group, event_id)
          select ${group}, key from unnest(${keys}::uuid[]) as key
          on conflict do nothing
          returning event_id::text`.execute(trx);
        const unhandled = new Set(claimed.rows.map((row) => row.event_id));
        const mine = events.filter((_, index) => unhandled.delete(keys[index]!));
        if (mine.length > 0) await handler(mine, trx, topic);
      },
      { consistencyKey: [...new Set(events.map((event) => event.partitionkey))] },
    );
  };
}
