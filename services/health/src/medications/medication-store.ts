import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ForbiddenError, NotFoundError, ValidationError } from '@tend/core';
import { MedicationSchema, ScheduleSchema, type Medication } from '@tend/proto/tend/health/v1/medications';
import { sql, type Kysely } from 'kysely';
import type { Actor, CaregiverScopeName } from '../access/access-control.js';
import { cacheTtlMs, type HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { ScheduleVersion } from './schedule-expansion.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/**
 * A medication as cached and as the dose handlers use it: plain JSON (dates as epoch ms), free
 * text still encrypted so the cache never holds health text in the clear.
 */
export interface MedicationRecord {
  id: string;
  userId: string;
  name: string;
  rxnormCode: string;
  dose: number;
  doseUnit: string;
  form: number;
  instructionsEncrypted: string | null;
  startDate: string;
  endDate: string;
  active: boolean;
  times: string[];
  days: number[];
  asNeeded: boolean;
  /** Whether its doses are reminded (migration 0007). */
  remindersEnabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  versions: ScheduleVersion[];
}

/** The cache key of a person's medications (with their schedule versions). */
export function medicationsCacheKey(personId: string): string {
  return `medications:${personId}`;
}

/**
 * A person's medications with their schedule versions, ordered by name then id, through the
 * cache (1 h). Every write invalidates the key, so a read after a write sees it.
 */
export function personMedications(context: HealthContext, personId: string): Promise<MedicationRecord[]> {
  return context.cache.get({
    key: medicationsCacheKey(personId),
    ttlMs: cacheTtlMs.medications,
    load: () => loadMedications(context.db.reader(personId), personId),
    // Every reader filters and maps the records into new messages; none changes them.
    immutable: true,
  });
}

/** Reads a person's medications (or the given ones) from the database. */
export async function loadMedications(
  db: Kysely<HealthTables>,
  personId: string | undefined,
  medicationIds?: string[],
): Promise<MedicationRecord[]> {
  let query = db.selectFrom('medications').selectAll();
  if (personId !== undefined) query = query.where('user_id', '=', personId);
  if (medicationIds) {
    if (medicationIds.length === 0) return [];
    // One array parameter: a statement takes at most 65,535 parameters, and the reminder
    // listing reads every scheduled medication at once.
    query = query.where(sql<boolean>`id = any(${medicationIds}::uuid[])`);
  }
  const rows = await query.execute();
  const ids = rows.map((row) => row.id);
  const versionRows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('medication_schedule_versions')
          .selectAll()
          .where(sql<boolean>`medication_id = any(${ids}::uuid[])`)
          .orderBy('effective_from')
          .execute();
  const versionsOf = new Map<string, ScheduleVersion[]>();
  for (const v of versionRows) {
    const list = versionsOf.get(v.medication_id) ?? [];
    list.push({
      effectiveFromMs: new Date(v.effective_from).getTime(),
      times: v.times,
      days: v.days.map(Number),
      asNeeded: v.as_needed,
      active: v.active,
      startDate: v.start_date,
      endDate: v.end_date ?? '',
    });
    versionsOf.set(v.medication_id, list);
  }
  return rows
    .map((row): MedicationRecord => ({
      id: row.id,
      userId: row.user_id,
      name: row.name,
      rxnormCode: row.rxnorm_code,
      dose: row.dose,
      doseUnit: row.dose_unit,
      form: row.form,
      instructionsEncrypted: row.instructions_encrypted,
      startDate: row.start_date,
      endDate: row.end_date ?? '',
      active: row.active,
      times: row.times,
      days: row.days.map(Number),
      asNeeded: row.as_needed,
      remindersEnabled: row.reminders_enabled,
      createdAtMs: new Date(row.created_at).getTime(),
      updatedAtMs: new Date(row.updated_at).getTime(),
      versions: versionsOf.get(row.id) ?? [],
    }))
    .sort(byNameThenId);
}

/** Ordering of medication lists: name (case-insensitive), then id. */
export function byNameThenId(a: { name: string; id: string }, b: { name: string; id: string }): number {
  const an = a.name.toLowerCase();
  const bn = b.name.toLowerCase();
  if (an !== bn) return an < bn ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The API's view of a record, instructions decrypted. */
export function toMedication(context: HealthContext, record: MedicationRecord): Medication {
  return create(MedicationSchema, {
    id: record.id,
    userId: record.userId,
    name: record.name,
    rxnormCode: record.rxnormCode,
    dose: record.dose,
    doseUnit: record.doseUnit,
    form: record.form,
    instructions: instructionsOf(context, record),
    startDate: record.startDate,
    endDate: record.endDate,
    active: record.active,
    // Records cached before migration 0007 lack the field: reminders were on for all of them.
    remindersEnabled: record.remindersEnabled !== false,
    schedule: create(ScheduleSchema, { times: record.times, days: record.days, asNeeded: record.asNeeded }),
    createdAt: timestampFromDate(new Date(record.createdAtMs)),
    updatedAt: timestampFromDate(new Date(record.updatedAtMs)),
  });
}

/** The record's instructions in clear text ("" when none). */
export function instructionsOf(context: HealthContext, record: MedicationRecord): string {
  return record.instructionsEncrypted
    ? context.cipher.decrypt(record.instructionsEncrypted, sealedAt.medicationInstructions(record.id, record.userId))
    : '';
}

/** The person's IANA time zone; NotFound when there is no such person. */
export async function timeZoneOf(db: Kysely<HealthTables>, personId: string): Promise<string> {
  const row = await db.selectFrom('users').select('time_zone').where('id', '=', personId).executeTakeFirst();
  if (!row) throw new NotFoundError('user', personId);
  return row.time_zone;
}

/**
 * The person a person-level call is about (`user_id`, or the caller), after checking the actor may
 * do `action` there. A refusal is PermissionDenied: the caller named the person.
 */
export async function authorizedPerson(
  context: HealthContext,
  actor: Actor,
  userId: string,
  action: 'read' | 'write',
  scope: CaregiverScopeName | undefined,
): Promise<string> {
  const personId = userId || (actor.kind === 'service' ? '' : actor.userId);
  if (!personId) throw ValidationError.field('user_id', 'is required when the caller is a service');
  await context.access.authorize(actor, { ownerId: personId, action, scope, resource: 'medications' });
  return personId;
}

/**
 * Checks access to one record found by id. A caller who may not even read the person's
 * medications gets NotFound, so ids do not reveal that a record exists; one who may read but
 * not do this write gets PermissionDenied.
 */
export async function authorizeRecord(
  context: HealthContext,
  actor: Actor,
  record: { ownerId: string; entity: string; id: string },
  action: 'read' | 'write',
  scope: CaregiverScopeName | undefined,
): Promise<void> {
  try {
    await context.access.authorize(actor, {
      ownerId: record.ownerId,
      action,
      scope,
      resource: 'medications',
      resourceId: record.id,
    });
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error;
    const mayRead =
      actor.kind === 'person' &&
      action === 'write' &&
      (await context.access.hasScope(record.ownerId, actor.userId, 'read_medications'));
    if (mayRead) throw error;
    throw new NotFoundError(record.entity, record.id);
  }
}

/** Whether `id` can be a row id; anything else is simply not found (never a database error). */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
