import type { Insertable, Kysely, Transaction } from 'kysely';
import type { HealthContext } from '../context.js';
import type { DoseLogTable, HealthTables } from '../db/tables.js';
import type { DoseLogRow } from './dose-view.js';

/** One page of a person's dose log, newest first, after a cursor. */
export interface DoseLogPageQuery {
  personId: string;
  from?: Date;
  to?: Date;
  medicationId?: string;
  after?: { at: Date; id: string };
  limit: number;
}

/** The writes of one dose log change, inside the transaction that holds the medication's lock. */
export interface DoseLogWrite {
  /** The person's entry logged under an idempotency key, if any. */
  byIdempotencyKey(personId: string, key: string): Promise<DoseLogRow | undefined>;
  /** Frees an expired idempotency key for a new entry. */
  releaseKey(entryId: string): Promise<void>;
  /** The scheduled times of the medication already logged within [from, to]. */
  loggedScheduledTimes(medicationId: string, from: Date, to: Date): Promise<number[]>;
  /** Deletes the medication's entry for a scheduled dose: a dose has one entry. */
  clearScheduled(medicationId: string, scheduledAt: Date): Promise<void>;
  /** Inserts an entry with its `dose.logged` event. */
  insert(values: Insertable<DoseLogTable>, event: Record<string, unknown>): Promise<DoseLogRow>;
}

/**
 * The dose log aggregate's storage: entries, their idempotency keys and their outbox events.
 * Handlers keep authorization, the dose rules and mapping. Writes go to the primary keyed by the
 * person; reads to a replica that has seen their writes.
 */
export class DoseLogRepository {
  constructor(private readonly context: Pick<HealthContext, 'db' | 'events'>) {}

  /**
   * Runs `change` in a transaction that holds the medication's row lock: one log at a time per
   * medication, so two logs cannot both claim the same dose.
   */
  logUnderLock<T>(medicationId: string, personId: string, change: (write: DoseLogWrite) => Promise<T>): Promise<T> {
    return this.context.db.transaction(
      async (trx) => {
        await trx.selectFrom('medications').select('id').where('id', '=', medicationId).forUpdate().execute();
        return change(this.#writeIn(trx, personId));
      },
      { consistencyKey: personId },
    );
  }

  /** The entries of `medicationIds` for doses scheduled in [from, to). */
  entriesForDoses(reader: Kysely<HealthTables>, medicationIds: readonly string[], from: Date, to: Date) {
    return reader
      .selectFrom('dose_log')
      .selectAll()
      .where('medication_id', 'in', medicationIds)
      .where('scheduled_at', '>=', from)
      .where('scheduled_at', '<', to)
      .execute();
  }

  /** The medication ids of taken doses that had no schedule, occurred in [from, to). */
  async unscheduledTaken(
    reader: Kysely<HealthTables>,
    medicationIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<string[]> {
    if (medicationIds.length === 0) return [];
    const rows = await reader
      .selectFrom('dose_log')
      .select(['medication_id'])
      .where('medication_id', 'in', medicationIds)
      .where('scheduled_at', 'is', null)
      .where('status', '=', 'taken')
      .where('occurred_at', '>=', from)
      .where('occurred_at', '<', to)
      .execute();
    return rows.map((row) => row.medication_id);
  }

  /** One page of entries with their medication's name; one more than `limit` when more follow. */
  page(query: DoseLogPageQuery) {
    let select = this.context.db
      .reader(query.personId)
      .selectFrom('dose_log')
      .innerJoin('medications', 'medications.id', 'dose_log.medication_id')
      .selectAll('dose_log')
      .select('medications.name as medication_name')
      .where('dose_log.user_id', '=', query.personId);
    if (query.from) select = select.where('dose_log.occurred_at', '>=', query.from);
    if (query.to) select = select.where('dose_log.occurred_at', '<', query.to);
    if (query.medicationId !== undefined) select = select.where('dose_log.medication_id', '=', query.medicationId);
    const after = query.after;
    if (after) {
      select = select.where((eb) =>
        eb.or([
          eb('dose_log.occurred_at', '<', after.at),
          eb.and([eb('dose_log.occurred_at', '=', after.at), eb('dose_log.id', '<', after.id)]),
        ]),
      );
    }
    return select
      .orderBy('dose_log.occurred_at', 'desc')
      .orderBy('dose_log.id', 'desc')
      .limit(query.limit + 1)
      .execute();
  }

  /** An entry by id, from the primary (deletes read it). */
  find(entryId: string): Promise<DoseLogRow | undefined> {
    return this.context.db.primary.selectFrom('dose_log').selectAll().where('id', '=', entryId).executeTakeFirst();
  }

  /** Deletes an entry with its `dose.logged` (deleted) event. */
  async delete(entry: DoseLogRow): Promise<void> {
    const { db, events } = this.context;
    await db.transaction(
      async (trx) => {
        await trx.deleteFrom('dose_log').where('id', '=', entry.id).execute();
        await events.emit(trx, {
          type: 'tend.health.dose.logged',
          personId: entry.user_id,
          subject: entry.id,
          data: { entryId: entry.id, medicationId: entry.medication_id, change: 'deleted' },
          live: 'same',
        });
      },
      { consistencyKey: entry.user_id },
    );
  }

  #writeIn(trx: Transaction<HealthTables>, personId: string): DoseLogWrite {
    const { events } = this.context;
    return {
      byIdempotencyKey: (userId, key) =>
        trx
          .selectFrom('dose_log')
          .selectAll()
          .where('user_id', '=', userId)
          .where('idempotency_key', '=', key)
          .executeTakeFirst(),
      async releaseKey(entryId) {
        await trx.updateTable('dose_log').set({ idempotency_key: null }).where('id', '=', entryId).execute();
      },
      async loggedScheduledTimes(medicationId, from, to) {
        const logged = await trx
          .selectFrom('dose_log')
          .select('scheduled_at')
          .where('medication_id', '=', medicationId)
          .where('scheduled_at', '>=', from)
          .where('scheduled_at', '<=', to)
          .execute();
        return logged.map((l) => new Date(l.scheduled_at ?? 0).getTime());
      },
      async clearScheduled(medicationId, scheduledAt) {
        await trx
          .deleteFrom('dose_log')
          .where('medication_id', '=', medicationId)
          .where('scheduled_at', '=', scheduledAt)
          .execute();
      },
      async insert(values, data) {
        const inserted = await trx.insertInto('dose_log').values(values).returningAll().executeTakeFirstOrThrow();
        await events.emit(trx, { type: 'tend.health.dose.logged', personId, subject: inserted.id, data, live: 'same' });
        return inserted;
      },
    };
  }
}
