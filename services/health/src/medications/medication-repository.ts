import { NotFoundError } from '@tend/core';
import type { Insertable, Updateable } from 'kysely';
import type { HealthContext } from '../context.js';
import type { MedicationScheduleVersionsTable, MedicationsTable } from '../db/tables.js';
import { checkMedicationCap, checkScheduleVersionCap } from './medication-caps.js';
import {
  isUuid,
  loadMedications,
  medicationsCacheKey,
  personMedications,
  timeZoneOf,
  type MedicationRecord,
} from './medication-store.js';

/** A schedule version as written, without the medication it belongs to or when it starts. */
export type ScheduleVersionValues = Omit<
  Insertable<MedicationScheduleVersionsTable>,
  'medication_id' | 'effective_from'
>;

/** A `medication.changed` event's data. */
export type MedicationChange = Record<string, unknown>;

const idempotencyWindowMs = 24 * 60 * 60 * 1000;

/**
 * The medications aggregate's storage: medications and their schedule versions, the caps, the
 * per-person cache (cache-aside: read through it, every write invalidates it after commit), and
 * the `medication.changed` events written in the same transaction as each change. Handlers keep
 * authorization, validation and mapping.
 */
export class MedicationRepository {
  constructor(private readonly context: HealthContext) {}

  /** A person's medications with their schedule versions, by name then id, through the cache. */
  ofPerson(personId: string): Promise<MedicationRecord[]> {
    return personMedications(this.context, personId);
  }

  /** One medication from the primary (writes read it), or NotFound. */
  async find(id: string): Promise<MedicationRecord> {
    if (!isUuid(id)) throw new NotFoundError('medication', id);
    const [record] = await loadMedications(this.context.db.primary, undefined, [id]);
    if (!record) throw new NotFoundError('medication', id);
    return record;
  }

  /**
   * Whose medication `id` is, or undefined. The owner never changes, so any copy of the row names
   * it; a replica that has not seen a new row yet falls back to the primary.
   */
  async ownerOf(id: string): Promise<string | undefined> {
    const { db } = this.context;
    const owner = (reader: typeof db.primary) =>
      reader.selectFrom('medications').select('user_id').where('id', '=', id).executeTakeFirst();
    return ((await owner(db.reader())) ?? (await owner(db.primary)))?.user_id;
  }

  /**
   * Ids of every medication whose doses are reminded (active, scheduled, reminders on), from the
   * primary: a dose must not be reminded after the medication was stopped. By id; after `after`
   * and at most `limit` when given; only those of `people` when given.
   */
  async remindedIds(
    page?: { after: string | undefined; limit: number },
    people?: readonly string[],
  ): Promise<string[]> {
    let query = this.context.db.primary
      .selectFrom('medications')
      .select('id')
      .where('active', '=', true)
      .where('as_needed', '=', false)
      .where('reminders_enabled', '=', true);
    // At most 1,000 people (the contract's cap), by the index medications_user_name.
    if (people && people.length > 0) query = query.where('user_id', 'in', people);
    if (page) {
      if (page.after !== undefined) query = query.where('id', '>', page.after);
      query = query.orderBy('id').limit(page.limit);
    }
    return (await query.execute()).map((row) => row.id);
  }

  /** The person's IANA time zone, from the primary; NotFound when there is no such person. */
  timeZoneOf(personId: string): Promise<string> {
    return timeZoneOf(this.context.db.primary, personId);
  }

  /**
   * Creates a medication with its first schedule version and event, within the person's cap.
   * With an idempotency key used within 24 h, or by a concurrent call that won, returns that
   * medication's id instead and writes nothing.
   */
  async create(
    medication: Insertable<MedicationsTable> & { id: string; user_id: string },
    firstVersion: ScheduleVersionValues & { effective_from: Date },
    change: MedicationChange,
    now: Date,
  ): Promise<string> {
    const { db, events, limits } = this.context;
    const personId = medication.user_id;
    const key = medication.idempotency_key ?? null;
    const id = await db.transaction(
      async (trx) => {
        if (key) {
          const previous = await trx
            .selectFrom('medications')
            .select(['id', 'created_at'])
            .where('user_id', '=', personId)
            .where('idempotency_key', '=', key)
            .forUpdate()
            .executeTakeFirst();
          if (previous && now.getTime() - new Date(previous.created_at).getTime() < idempotencyWindowMs) {
            return previous.id;
          }
          // The key's window is over: it may be used again.
          if (previous) {
            await trx.updateTable('medications').set({ idempotency_key: null }).where('id', '=', previous.id).execute();
          }
        }
        await checkMedicationCap(trx, personId, limits.medicationsPerPerson);
        const inserted = await trx
          .insertInto('medications')
          .values(medication)
          .onConflict((oc) =>
            oc.columns(['user_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
          )
          .returning('id')
          .executeTakeFirst();
        if (!inserted) {
          // A concurrent request with the same key won; answer with its medication.
          const winner = await trx
            .selectFrom('medications')
            .select('id')
            .where('user_id', '=', personId)
            .where('idempotency_key', '=', key)
            .executeTakeFirstOrThrow();
          return winner.id;
        }
        await trx
          .insertInto('medication_schedule_versions')
          .values({ ...firstVersion, medication_id: medication.id })
          .execute();
        await events.emit(trx, {
          type: 'tend.health.medication.changed',
          personId,
          subject: medication.id,
          data: change,
          live: 'same',
        });
        return medication.id;
      },
      { consistencyKey: personId },
    );
    await this.#invalidate(personId);
    return id;
  }

  /**
   * Updates a medication and, when its schedule changed, adds a schedule version effective from
   * `now` (within the version cap), with its event.
   */
  async update(
    current: MedicationRecord,
    values: Updateable<MedicationsTable>,
    newVersion: ScheduleVersionValues | undefined,
    change: MedicationChange,
    now: Date,
  ): Promise<void> {
    const { db, events, limits } = this.context;
    await db.transaction(
      async (trx) => {
        if (newVersion) await checkScheduleVersionCap(trx, current.id, limits.scheduleVersionsPerMedication);
        await trx.updateTable('medications').set(values).where('id', '=', current.id).execute();
        if (newVersion) {
          // Effective from now: doses due before keep the schedule they had.
          await trx
            .insertInto('medication_schedule_versions')
            .values({ medication_id: current.id, effective_from: now, ...newVersion })
            .onConflict((oc) => oc.columns(['medication_id', 'effective_from']).doUpdateSet(newVersion))
            .execute();
        }
        await events.emit(trx, {
          type: 'tend.health.medication.changed',
          personId: current.userId,
          subject: current.id,
          data: change,
          live: 'same',
        });
      },
      { consistencyKey: current.userId },
    );
    await this.#invalidate(current.userId);
  }

  /** Deletes a medication; its dose log and schedule versions go with it (ON DELETE CASCADE). */
  async delete(current: MedicationRecord): Promise<void> {
    const { db, events } = this.context;
    await db.transaction(
      async (trx) => {
        await trx.deleteFrom('medications').where('id', '=', current.id).execute();
        await events.emit(trx, {
          type: 'tend.health.medication.changed',
          personId: current.userId,
          subject: current.id,
          data: { medicationId: current.id, change: 'deleted' },
          live: 'same',
        });
      },
      { consistencyKey: current.userId },
    );
    await this.#invalidate(current.userId);
  }

  #invalidate(personId: string): Promise<void> {
    return this.context.cache.invalidate(medicationsCacheKey(personId));
  }
}
