import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { SchemaDatabase } from '@tend/db';
import type { CloudEvent } from './cloud-event.js';
import type { EventHandler } from './event-bus.js';

/** What an idempotent handler needs of a database: its schema and transactions on the primary. */
export type IdempotencyDatabase<DB> = Pick<SchemaDatabase<DB>, 'schema' | 'transaction'>;

/** A handler whose database work runs in the transaction that also records the event as processed. */
export type TransactionalEventHandler<DB> = (event: CloudEvent, trx: Transaction<DB>, topic: string) => Promise<void>;

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
  if (!group) throw new TypeError('idempotentHandler needs a consumer group name');
  return async (event, topic) => {
    await db.transaction(
      async (trx) => {
        const claimed = await sql`
          insert into ${sql.table(`${db.schema}.processed_events`)} (consumer_group, event_id)
          values (${group}, ${processedEventKey(event)}::uuid)
          on conflict do nothing`.execute(trx);
        if (claimed.numAffectedRows === 0n) return;
        await handler(event, trx, topic);
      },
      { consistencyKey: event.partitionkey },
    );
  };
}
