import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ReminderKind, ReminderSchema, type Reminder } from '@tend/proto/tend/health/v1/reminders';
import { sql, type Kysely } from 'kysely';
import type { HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { DoseRules } from './dose-rules.js';
import { instructionsOf, loadMedications } from './medication-store.js';
import { expandSchedule } from './schedule-expansion.js';

/**
 * A reminder's stable id: a digest of what identifies it, so listing the same window twice gives
 * the same ids and the notification service can use them as idempotency keys.
 */
export function reminderId(
  kind: ReminderKind,
  medicationId: string,
  scheduledAtMs: number,
  recipientId: string,
): string {
  const digest = createHash('sha256').update(`${kind}|${medicationId}|${scheduledAtMs}|${recipientId}`).digest('hex');
  return `rem_${digest.slice(0, 32)}`;
}

/**
 * The reminders of the given medications whose fire time is in [from, to), unordered: each
 * unlogged dose's reminder to the person at its time and, when its grace period ends in the
 * window, the missed-dose alert to the person and to each caregiver allowed to receive it. Four
 * queries whatever the number of medications (arrays, not one parameter per id, so any number
 * fits in a statement).
 */
export async function dueReminders(
  context: HealthContext,
  db: Kysely<HealthTables>,
  medicationIds: readonly string[],
  window: { fromMs: number; toMs: number },
  rules: DoseRules,
): Promise<Reminder[]> {
  const { fromMs, toMs } = window;
  if (medicationIds.length === 0) return [];
  // Doses due in [from − grace, to) can fire in the window: at their time, or as missed.
  const doseFrom = fromMs - rules.graceMs;
  const medications = await loadMedications(db, undefined, [...medicationIds]);
  if (medications.length === 0) return [];
  const personIds = [...new Set(medications.map((m) => m.userId))];
  const ids = medications.map((m) => m.id);
  const people = new Map(
    (
      await db
        .selectFrom('users')
        .select(['id', 'time_zone', 'locale', 'display_name'])
        .where(sql<boolean>`id = any(${personIds}::uuid[])`)
        .execute()
    ).map((p) => [p.id, p]),
  );
  const caregiversOf = new Map<string, { caregiver_id: string; locale: string }[]>();
  for (const link of await db
    .selectFrom('caregiver_links')
    .innerJoin('users', 'users.id', 'caregiver_links.caregiver_id')
    .select(['caregiver_links.patient_id', 'caregiver_links.caregiver_id', 'users.locale'])
    .where(sql<boolean>`${sql.ref('caregiver_links.patient_id')} = any(${personIds}::uuid[])`)
    .where('caregiver_links.revoked_at', 'is', null)
    .where(sql<boolean>`${sql.ref('caregiver_links.scopes')} @> ARRAY['receive_missed_dose_alerts']::text[]`)
    .execute()) {
    const links = caregiversOf.get(link.patient_id) ?? [];
    links.push(link);
    caregiversOf.set(link.patient_id, links);
  }
  const logged = new Set(
    (
      await db
        .selectFrom('dose_log')
        .select(['medication_id', 'scheduled_at'])
        .where(sql<boolean>`medication_id = any(${ids}::uuid[])`)
        .where('scheduled_at', '>=', new Date(doseFrom))
        .where('scheduled_at', '<', new Date(toMs))
        .execute()
    ).map((l) => `${l.medication_id}|${new Date(l.scheduled_at ?? 0).getTime()}`),
  );

  const reminders: Reminder[] = [];
  for (const medication of medications) {
    const person = people.get(medication.userId);
    if (!person) continue;
    const instructions = instructionsOf(context, medication);
    for (const dose of expandSchedule(medication.versions, person.time_zone, doseFrom, toMs)) {
      if (logged.has(`${medication.id}|${dose.scheduledAtMs}`)) continue;
      const recipients: { kind: ReminderKind; fireAtMs: number; userId: string; locale: string }[] = [];
      if (dose.scheduledAtMs >= fromMs) {
        recipients.push({
          kind: ReminderKind.DOSE_DUE,
          fireAtMs: dose.scheduledAtMs,
          userId: person.id,
          locale: person.locale,
        });
      }
      const missedAt = dose.scheduledAtMs + rules.graceMs;
      if (missedAt >= fromMs && missedAt < toMs) {
        recipients.push({
          kind: ReminderKind.MISSED_DOSE_ALERT,
          fireAtMs: missedAt,
          userId: person.id,
          locale: person.locale,
        });
        for (const link of caregiversOf.get(person.id) ?? []) {
          recipients.push({
            kind: ReminderKind.MISSED_DOSE_ALERT,
            fireAtMs: missedAt,
            userId: link.caregiver_id,
            locale: link.locale,
          });
        }
      }
      for (const recipient of recipients) {
        reminders.push(
          create(ReminderSchema, {
            id: reminderId(recipient.kind, medication.id, dose.scheduledAtMs, recipient.userId),
            kind: recipient.kind,
            fireAt: timestampFromDate(new Date(recipient.fireAtMs)),
            recipientUserId: recipient.userId,
            recipientLocale: recipient.locale,
            patientUserId: person.id,
            patientDisplayName: person.display_name,
            medicationId: medication.id,
            medicationName: medication.name,
            dose: medication.dose,
            doseUnit: medication.doseUnit,
            instructions,
            scheduledAt: timestampFromDate(new Date(dose.scheduledAtMs)),
            localTime: dose.localTime,
            timeZone: person.time_zone,
          }),
        );
      }
    }
  }
  return reminders;
}
