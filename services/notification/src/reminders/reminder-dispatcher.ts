import type { Clock, Ids } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import { sql } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import { writeNotifications, type NotificationDraft } from '../inbox/notification-writer.js';
import type { NotificationMetrics } from '../notification-metrics.js';
import type { ChannelName } from '../preferences/preference-rules.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { followUpIdOf, reminderDraft } from './reminder-drafts.js';
import { storedReminderOf, type StoredReminder } from './reminder-store.js';

/**
 * A dose reminder (or its nudge) more than this overdue when it could first be sent is not sent:
 * it is marked `missed`, and the missed-dose alert, due two hours after the dose, speaks for it.
 * A missed-dose alert itself is still sent late, marked late, up to 12 h.
 */
export const missedAfterMs = 2 * 60 * 60 * 1000;
/** A missed-dose alert this overdue is stale news and is dropped (marked `missed`) too. */
export const staleAlertAfterMs = 12 * 60 * 60 * 1000;

export interface DispatcherOptions {
  db: SchemaDatabase<NotificationTables>;
  preferences: PreferenceStore;
  clock: Clock;
  ids: Ids;
  metrics: NotificationMetrics;
  /** Channels with a working sender; the others are left out of a notification's deliveries. */
  enabledChannels: ReadonlySet<ChannelName>;
  /** The delivery worker's wake (`WriterContext`). */
  deliveriesQueued?: () => void;
}

/** What one dispatch round did. */
export interface DispatchRound {
  claimed: number;
  fired: number;
  missed: number;
}

/**
 * Fires due reminders: claims a batch with `FOR UPDATE SKIP LOCKED` (other processes take other
 * rows, none waits), writes each one's notification and marks it fired in the same transaction.
 * A process killed midway rolls the whole batch back and its rows fall due again for whoever
 * polls next: nothing is lost, and since the notification and the "fired" mark commit together
 * (and the notification's idempotency key is the reminder's id), nothing fires twice.
 */
export class ReminderDispatcher {
  constructor(private readonly options: DispatcherOptions) {}

  /** Claims and fires up to `limit` due reminders. */
  async dispatchDue(limit: number): Promise<DispatchRound> {
    const { db, clock, ids, metrics } = this.options;
    return db.transaction(async (trx) => {
      const now = clock.now();
      const claim = (due: Date, notWrittenAhead: boolean, count: number) => {
        let query = trx.selectFrom('reminders').selectAll().where('state', '=', 'pending').where('fire_at', '<=', due);
        if (notWrittenAhead) query = query.where('prepared', 'is', null);
        return query.orderBy('fire_at').limit(count).forUpdate().skipLocked().execute();
      };
      // Those written ahead are fired in bulk (`PreparedReminders`), unless over 2 h overdue. Two
      // claims, not one with an OR: each then reads its own index, and a peak of reminders written
      // ahead and due is not walked through at every poll.
      const rows = await claim(now, true, limit);
      if (rows.length < limit) {
        const overdue = await claim(new Date(now.getTime() - missedAfterMs), false, limit - rows.length);
        rows.push(...overdue.filter((row) => !rows.some((r) => r.id === row.id)));
      }
      if (rows.length === 0) return { claimed: 0, fired: 0, missed: 0 };
      const due = rows.map(storedReminderOf);
      const preferences = await this.options.preferences.getMany(due.map((r) => r.recipientUserId));

      const drafts: NotificationDraft[] = [];
      const fired: StoredReminder[] = [];
      const late: string[] = [];
      const missed: string[] = [];
      const followUps: (typeof rows)[number][] = [];
      for (const reminder of due) {
        const overdueMs = now.getTime() - reminder.fireAt.getTime();
        const dropAfterMs = reminder.kind === 'missed_dose_alert' ? staleAlertAfterMs : missedAfterMs;
        if (overdueMs > dropAfterMs) {
          missed.push(reminder.id);
          metrics.reminders.inc({ kind: reminder.kind, outcome: 'missed' });
          continue;
        }
        const {
          draft,
          late: isLate,
          followUpAt,
        } = reminderDraft(reminder, preferences.get(reminder.recipientUserId)!, now, this.options.enabledChannels);
        drafts.push(draft);
        fired.push(reminder);
        if (isLate) late.push(reminder.id);
        metrics.reminderLateness.observe({ kind: reminder.kind }, Math.max(0, overdueMs) / 1000);
        metrics.reminders.inc({ kind: reminder.kind, outcome: isLate ? 'late' : 'fired' });
        // One nudge if the dose is still not logged N minutes after its time (the reconciler
        // cancels it once the dose is logged).
        if (followUpAt) {
          const { id, parentId } = followUpIdOf(reminder);
          followUps.push({
            ...rows.find((row) => row.id === reminder.id)!,
            id,
            kind: 'dose_follow_up',
            parent_id: parentId,
            fire_at: followUpAt,
            state: 'pending',
          });
        }
      }

      const written = await writeNotifications(trx, drafts, {
        schema: db.schema,
        clock,
        ids,
        deliveriesQueued: this.options.deliveriesQueued,
      });
      const notificationOf = new Map(written.map((n) => [n.idempotencyKey, n.id]));
      if (fired.length > 0) {
        // One statement for the batch: each reminder fired, pointing at its notification.
        const values = sql.join(
          fired.map(
            (r) =>
              sql`(${r.id}::text, ${notificationOf.get(`reminder:${r.id}`) ?? null}::uuid, ${late.includes(r.id)}::boolean)`,
          ),
        );
        await sql`
          UPDATE ${sql.table(`${db.schema}.reminders`)} AS r
          SET state = 'fired', fired_at = ${now}, late = v.late, notification_id = v.notification_id, updated_at = ${now}
          FROM (VALUES ${values}) AS v(id, notification_id, late)
          WHERE r.id = v.id`.execute(trx);
      }
      if (missed.length > 0) {
        await trx
          .updateTable('reminders')
          .set({ state: 'missed', updated_at: now })
          .where('id', 'in', missed)
          .execute();
      }
      if (followUps.length > 0) {
        await trx
          .insertInto('reminders')
          .values(
            followUps.map((row) => ({
              id: row.id,
              kind: row.kind,
              recipient_user_id: row.recipient_user_id,
              patient_user_id: row.patient_user_id,
              subject_id: row.subject_id,
              parent_id: row.parent_id,
              fire_at: row.fire_at,
              scheduled_at: row.scheduled_at,
              payload: JSON.stringify(row.payload),
              state: 'pending' as const,
              updated_at: now,
            })),
          )
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      return { claimed: rows.length, fired: fired.length, missed: missed.length };
    });
  }
}
