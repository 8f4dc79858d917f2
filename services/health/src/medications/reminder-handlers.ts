import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ForbiddenError, ValidationError, decodeCursor, pageLimitOf, pageResponse } from '@tend/platform';
import {
  ListDueRemindersResponseSchema,
  ReminderKind,
  ReminderSchema,
  type Reminder,
} from '@tend/proto/tend/health/v1/reminders';
import { sql } from 'kysely';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { defaultDoseRules } from './dose-rules.js';
import { instructionsOf, loadMedications } from './medication-store.js';
import { expandSchedule } from './schedule-expansion.js';

const maxWindowMs = 24 * 60 * 60 * 1000;

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
 * Reminders to fire in a window, across all people, for the notification service. Computed from
 * the schedules at call time rather than cached: a dose logged a second ago must drop its
 * reminder, which a 30-minute cache entry could not promise.
 */
export function reminderHandlers(context: HealthContext, rules = defaultDoseRules): HealthHandlers<'listDueReminders'> {
  return {
    async listDueReminders(request) {
      const actor = actorOf(request.caller);
      if (actor.kind === 'person') throw new ForbiddenError('reminders are for internal services and admins');
      if (!request.from) throw ValidationError.field('from', 'is required');
      if (!request.to) throw ValidationError.field('to', 'is required');
      const fromMs = timestampDate(request.from).getTime();
      const toMs = timestampDate(request.to).getTime();
      if (toMs <= fromMs) throw ValidationError.field('to', 'must be after from');
      if (toMs - fromMs > maxWindowMs) throw ValidationError.field('to', 'window must be at most 24 h');
      const limit = pageLimitOf(request.page);
      const after = decodeCursor<{ f: number; i: string }>(request.page, 'reminders');

      // Doses due in [from − grace, to) can fire in the window: at their time, or as missed.
      const doseFrom = fromMs - rules.graceMs;
      const db = context.db.primary;
      const scheduled = await db
        .selectFrom('medications')
        .select('id')
        .where('active', '=', true)
        .where('as_needed', '=', false)
        .where('reminders_enabled', '=', true)
        .execute();
      const medications = await loadMedications(
        db,
        undefined,
        scheduled.map((m) => m.id),
      );
      if (medications.length === 0)
        return create(ListDueRemindersResponseSchema, { page: pageResponse('reminders', undefined) });
      const personIds = [...new Set(medications.map((m) => m.userId))];
      const people = new Map(
        (
          await db
            .selectFrom('users')
            .select(['id', 'time_zone', 'locale', 'display_name'])
            .where('id', 'in', personIds)
            .execute()
        ).map((p) => [p.id, p]),
      );
      const caregivers = await db
        .selectFrom('caregiver_links')
        .innerJoin('users', 'users.id', 'caregiver_links.caregiver_id')
        .select(['caregiver_links.patient_id', 'caregiver_links.caregiver_id', 'users.locale'])
        .where('caregiver_links.patient_id', 'in', personIds)
        .where('caregiver_links.revoked_at', 'is', null)
        .where(sql<boolean>`${sql.ref('caregiver_links.scopes')} @> ARRAY['receive_missed_dose_alerts']::text[]`)
        .execute();
      const logged = new Set(
        (
          await db
            .selectFrom('dose_log')
            .select(['medication_id', 'scheduled_at'])
            .where(
              'medication_id',
              'in',
              medications.map((m) => m.id),
            )
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
            for (const link of caregivers.filter((c) => c.patient_id === person.id)) {
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
      const fireAtOf = (r: Reminder) => (r.fireAt ? timestampDate(r.fireAt).getTime() : 0);
      const ordered = reminders
        .sort((a, b) => fireAtOf(a) - fireAtOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .filter((r) => !after || fireAtOf(r) > after.f || (fireAtOf(r) === after.f && r.id > after.i));
      const page = ordered.slice(0, limit);
      const last = ordered.length > limit ? page[page.length - 1] : undefined;
      return create(ListDueRemindersResponseSchema, {
        reminders: page,
        page: pageResponse('reminders', last && { f: fireAtOf(last), i: last.id }),
      });
    },
  };
}
