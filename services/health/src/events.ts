import { enqueueEvent, topics, type Clock, type Ids } from '@tend/platform';
import type { Kysely } from 'kysely';
import type { HealthTables } from './db/tables.js';

/** Event types the health service publishes; payloads never carry encrypted fields. */
export type HealthEventType =
  | 'tend.health.vital.recorded'
  | 'tend.health.vital.deleted'
  | 'tend.health.dose.logged'
  | 'tend.health.medication.changed'
  | 'tend.health.alert.raised'
  | 'tend.health.user.deleted';

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

  emit(
    trx: Kysely<HealthTables>,
    event: {
      type: HealthEventType;
      personId: string;
      subject?: string;
      data: Record<string, unknown>;
      /** @default analytics_events */
      topic?: string;
    },
  ): Promise<unknown> {
    return enqueueEvent(
      trx,
      {
        topic: event.topic ?? topics.analyticsEvents.name,
        type: event.type,
        source: '/tend/health',
        subject: event.subject,
        partitionKey: event.personId,
        data: event.data,
      },
      { schema: this.schema, ids: this.ids, clock: this.clock },
    );
  }
}
