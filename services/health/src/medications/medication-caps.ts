import { ValidationError } from '@tend/core';
import type { Transaction } from 'kysely';
import type { HealthTables } from '../db/tables.js';

/**
 * Refuses a new medication once the person has `max` of them. The person's row is locked first,
 * so concurrent creations take turns and cannot together pass the cap. Every medication is
 * expanded into doses on every schedule read, so an unbounded list is unbounded work.
 */
export async function checkMedicationCap(trx: Transaction<HealthTables>, personId: string, max: number): Promise<void> {
  await trx.selectFrom('users').select('id').where('id', '=', personId).forUpdate().executeTakeFirst();
  const { count } = await trx
    .selectFrom('medications')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('user_id', '=', personId)
    .executeTakeFirstOrThrow();
  if (Number(count) >= max) {
    throw ValidationError.field('medication', `a person may have at most ${max} medications; remove one first`);
  }
}

/**
 * Refuses a schedule change once the medication has `max` schedule versions (its history, kept
 * so past doses keep the schedule they had). The medication's row is locked first, so
 * concurrent changes cannot together pass the cap.
 */
export async function checkScheduleVersionCap(
  trx: Transaction<HealthTables>,
  medicationId: string,
  max: number,
): Promise<void> {
  await trx.selectFrom('medications').select('id').where('id', '=', medicationId).forUpdate().executeTakeFirst();
  const { count } = await trx
    .selectFrom('medication_schedule_versions')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('medication_id', '=', medicationId)
    .executeTakeFirstOrThrow();
  if (Number(count) >= max) {
    throw ValidationError.field(
      'schedule',
      `this medication's schedule has changed ${max} times, the most kept; add the new schedule as a new medication`,
    );
  }
}
