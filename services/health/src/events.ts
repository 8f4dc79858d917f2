import { topics, writeWithEvents, type OutboxEventInput } from '@tend/events';
import { type Clock, type Ids } from '@tend/core';
import type { Kysely, OperationNodeSource } from 'kysely';
import type { HealthTables } from './db/tables.js';

/** Event types the health service publishes; payloads never carry encrypted fields. */
export type HealthEventType =
  | 'tend.health.vital.recorded'
  | 'tend.health.vital.deleted'
  | 'tend.health.dose.logged'
  | 'tend.health.medication.changed'
  | 'tend.health.alert.raised'
  | 'tend.health.user.updated'
  | 'tend.health.user.deleted'
  | 'tend.health.user.email_verification_requested'
  | 'tend.health.user.sign_in_method_linked';

/** One event of the health service, keyed by the person it is about. */
export interface HealthEvent {
  type: HealthEventType;
  personId: string;
  subject?: string;
  /**
   * What every consumer of `topic` may read. On `analytics_events` (kept 90 days, read by every
   * service) that is ids, kinds, times and states, never a measured value: see `live`.
   */
  data: Record<string, unknown>;
  /** @default analytics_events */
  topic?: string;
  /**
   * What the person is told on their own live feed, sent as a second event on `live_events`
   * (kept a day, read only by the gateways): `data` itself, or a fuller copy when the person
   * should see what analytics must not (a reading's value). Absent: nothing is sent live.
   */
  live?: Record<string, unknown> | 'same';
}

/**
 * Writes the health service's events to its outbox, inside the caller's transaction, so an
 * event exists exactly when the change it describes committed. Keyed by the person's id.
 */
export class HealthEvents {
  constructor(
    private readonly schema: string,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  emit(trx: Kysely<HealthTables>, event: HealthEvent): Promise<unknown> {
    return writeWithEvents(trx, undefined, this.#inputs(event), this.#context);
  }

  /**
   * Runs `write` (one or more data-modifying statements) and enqueues `events` as ONE statement: atomic even outside a transaction, and
   * one round trip for a write and all its events (see `writeWithEvents`).
   */
  emitWith(
    db: Kysely<HealthTables>,
    write: OperationNodeSource | readonly OperationNodeSource[],
    events: readonly HealthEvent[],
  ): Promise<unknown> {
    return writeWithEvents(
      db,
      write,
      events.flatMap((event) => this.#inputs(event)),
      this.#context,
    );
  }

  get #context() {
    return { schema: this.schema, ids: this.ids, clock: this.clock };
  }

  #inputs(event: HealthEvent): OutboxEventInput[] {
    const input = {
      topic: event.topic ?? topics.analyticsEvents.name,
      type: event.type,
      source: '/tend/health',
      subject: event.subject,
      partitionKey: event.personId,
      data: event.data,
    };
    if (event.live === undefined) return [input];
    return [input, { ...input, topic: topics.liveEvents.name, data: event.live === 'same' ? event.data : event.live }];
  }
}
