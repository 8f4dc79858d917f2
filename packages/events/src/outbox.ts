import { sql, type OperationNodeSource, type QueryExecutorProvider } from 'kysely';
import type { Clock, Ids } from '@tend/core';
import { InvalidEventError, traceparentPattern, type CloudEvent } from './cloud-event.js';
import { currentTraceparent } from './trace-context.js';

/** What a service says about an event it wants published; the outbox fills in the rest of the envelope. */
export interface OutboxEventInput<T = unknown> {
  /** Kafka topic, e.g. `topics.analyticsEvents.name`. */
  topic: string;
  /** Reverse-DNS event type, e.g. `tend.health.vital.recorded`. */
  type: string;
  /** The producing service, e.g. `/tend/health`. */
  source: string;
  /** What the event is about, e.g. a vital's id. */
  subject?: string;
  /** The ordering key (the person's id): events with one key are delivered in the order enqueued. */
  partitionKey: string;
  /** JSON-serialisable payload. */
  data: T;
  /** W3C traceparent of the request that caused the event, so traces continue in consumers. */
  traceparent?: string;
}

/**
 * Largest envelope accepted, as JSON: under Kafka's default `max.message.bytes` (1 MiB, with room
 * for key, headers and batch overhead). Large things go in a table or object store; the event
 * carries their id.
 */
export const maxEventBytes = 1_000_000;

/** Where and how events are written. */
export interface OutboxContext {
  /** The service's PostgreSQL schema holding the `outbox` table, e.g. `health`. */
  schema: string;
  /** Makes the event id. */
  ids: Ids;
  /** Stamps the event time. */
  clock: Clock;
}

/**
 * Service schemas become part of SQL identifiers and NOTIFY channel names (at most 63 bytes), so
 * they are restricted to plain lower-case identifiers short enough for the `tend_outbox_` prefix.
 */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,47}$/;

/** Throws unless `schema` is a plain lower-case identifier usable in the outbox's SQL and channel. */
export function assertSchemaName(schema: string): void {
  if (!schemaNamePattern.test(schema)) {
    throw new RangeError(`schema "${schema}" must match ${schemaNamePattern} to hold an outbox`);
  }
}

/**
 * The LISTEN/NOTIFY channel an outbox signals on when a transaction that enqueued events
 * commits, so its relay wakes at once instead of at its next poll. One channel per schema keeps
 * relays of other services asleep.
 */
export function outboxChannel(schema: string): string {
  assertSchemaName(schema);
  return `tend_outbox_${schema}`;
}

/** Checks the caller's input; a bad event is a programming error, reported with every problem at once. */
function checkInput(input: OutboxEventInput): void {
  const problems: string[] = [];
  const nonEmpty = (field: string, value: unknown) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field}: must be a non-empty string`);
  };
  nonEmpty('topic', input.topic);
  nonEmpty('type', input.type);
  nonEmpty('source', input.source);
  nonEmpty('partitionKey', input.partitionKey);
  if (input.subject !== undefined) nonEmpty('subject', input.subject);
  if (input.traceparent !== undefined && !traceparentPattern.test(input.traceparent)) {
    problems.push('traceparent: must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)');
  }
  if (input.data === undefined) problems.push('data: must be present (use null for "no payload")');
  if (problems.length > 0) throw new InvalidEventError(problems);
}

/**
 * Writes a complete CloudEvent into `<schema>.outbox` inside the caller's transaction, so the
 * event exists if and only if that transaction commits: no event for a rolled-back write, no
 * lost event for a committed one. The relay publishes it afterwards; the same statement signals
 * the schema's channel (delivered by PostgreSQL only on commit) to wake the relay.
 *
 * `trx` is the caller's `Transaction` of any database type (a plain `Kysely` also works, as a
 * transaction of its own).
 * Returns the envelope as it will be published.
 */
export async function enqueueEvent<T>(
  trx: QueryExecutorProvider,
  input: OutboxEventInput<T>,
  context: OutboxContext,
): Promise<CloudEvent<T>> {
  const [event] = await writeWithEvents(trx, undefined, [input], context);
  return event as CloudEvent<T>;
}

/**
 * Runs `write` (one or more data-modifying statements, e.g. inserts) and enqueues `inputs` in ONE SQL
 * statement: PostgreSQL applies a statement whole or not at all, so the events exist exactly
 * when the write does, even outside a transaction, and it costs one round trip where
 * BEGIN, the write, each event and COMMIT would cost four or more. Identical notifications in one
 * transaction are folded into one by PostgreSQL, so many events cost one wake-up.
 *
 * Returns the envelopes as they will be published.
 */
export async function writeWithEvents(
  executor: QueryExecutorProvider,
  write: OperationNodeSource | readonly OperationNodeSource[] | undefined,
  inputs: readonly OutboxEventInput[],
  context: OutboxContext,
): Promise<CloudEvent[]> {
  const channel = outboxChannel(context.schema);
  const events = inputs.map((input) => envelopeOf(input, context));
  const rows = events.map(
    ({ event, json }) => sql`(${event.id}::uuid, ${event.topic}, ${event.partitionkey}, ${json}::jsonb)`,
  );
  const writes = write === undefined ? [] : Array.isArray(write) ? write : [write as OperationNodeSource];
  const written =
    writes.length === 0
      ? sql``
      : sql.join(
          writes.map((statement, i) => sql`${sql.raw(`written_${i}`)} as (${statement}), `),
          sql``,
        );
  const enqueued =
    rows.length === 0
      ? sql`select 1 as seq where false`
      : sql`insert into ${sql.table(`${context.schema}.outbox`)} (id, topic, partition_key, event)
          values ${sql.join(rows)} returning seq`;
  await sql`with ${written}enqueued as (${enqueued}) select pg_notify(${channel}, '') from enqueued limit 1`.execute(
    executor,
  );
  return events.map(({ event }) => event.envelope);
}

/** The full envelope of an event, checked and serialised once. */
function envelopeOf(
  input: OutboxEventInput,
  context: OutboxContext,
): { event: { id: string; topic: string; partitionkey: string; envelope: CloudEvent }; json: string } {
  checkInput(input);
  // The producing request's trace travels with the event unless the caller set one.
  const traceparent = input.traceparent ?? currentTraceparent();
  const envelope: CloudEvent = {
    specversion: '1.0',
    id: context.ids.uuid(),
    source: input.source,
    type: input.type,
    ...(input.subject !== undefined && { subject: input.subject }),
    time: context.clock.now().toISOString(),
    datacontenttype: 'application/json',
    data: input.data,
    partitionkey: input.partitionKey,
    ...(traceparent !== undefined && { traceparent }),
  };
  let json: string;
  try {
    json = JSON.stringify(envelope);
  } catch (error) {
    throw new InvalidEventError([`data: not JSON-serialisable (${(error as Error).message})`], { cause: error });
  }
  // An event the broker would refuse would sit at the head of the outbox and stop the relay.
  if (Buffer.byteLength(json) > maxEventBytes) {
    throw new InvalidEventError([`data: the event is ${Buffer.byteLength(json)} bytes; the limit is ${maxEventBytes}`]);
  }
  return { event: { id: envelope.id, topic: input.topic, partitionkey: input.partitionKey, envelope }, json };
}
