import { outboxChannel, topics, type Clock, type Ids, type SchemaDatabase } from '@tend/platform';
import { sql } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import { notificationCreatedType, notificationSource } from '../inbox/notification-writer.js';
import type { NotificationMetrics } from '../notification-metrics.js';
import type { ChannelName } from '../preferences/preference-rules.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { lateAfterMs, reminderDraft } from './reminder-drafts.js';
import { storedReminderOf } from './reminder-store.js';

/**
 * A reminder's notification rendered ahead of its time (`reminders.prepared`, migration 0004):
 * everything the statement that fires it needs, so firing costs no work per reminder in Node.
 */
export interface PreparedNotification {
  notificationId: string;
  /** The id of the live event announcing it (only when it goes to the in-app inbox). */
  eventId: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, string>;
  inApp: boolean;
  deliveries: { id: string; channel: ChannelName }[];
  /** ISO time of the dose's nudge, or null for none. */
  followUpAt: string | null;
}

export interface PreparedRemindersOptions {
  db: SchemaDatabase<NotificationTables>;
  preferences: PreferenceStore;
  clock: Clock;
  ids: Ids;
  metrics: NotificationMetrics;
  enabledChannels: ReadonlySet<ChannelName>;
}

/** What one firing statement did. */
export interface FiredBatch {
  claimed: number;
  /** Notifications written (a key written before by another path is not written again). */
  written: number;
}

/**
 * Plans reminders ahead and fires them in bulk. `prepare` renders the reminders falling due in
 * the next few minutes — message, channels as at their due time, ids — onto their rows; `fire`
 * then sends a batch of due, rendered reminders in ONE SQL statement: it claims the rows with
 * `FOR UPDATE SKIP LOCKED`, writes their notifications, delivery records, live events and
 * follow-ups, and marks them fired. Being one statement it is atomic: a process killed midway
 * leaves nothing half-written, its rows fall due again for another process, and the notification's
 * idempotency key (the reminder's id) keeps a second firing from writing twice. Only reminders
 * at most `lateAfterMs` past due are fired here; later ones are re-rendered as late by the
 * dispatcher.
 */
export class PreparedReminders {
  constructor(private readonly options: PreparedRemindersOptions) {}

  /** Renders up to `limit` pending reminders due within `horizonMs`; returns how many. */
  async prepare(horizonMs: number, limit: number): Promise<number> {
    const { db, clock, ids, enabledChannels } = this.options;
    return db.transaction(async (trx) => {
      const now = clock.now();
      // Locked while rendering: a reconcile or preference change waits, then sets it back to NULL.
      const rows = await trx
        .selectFrom('reminders')
        .select([
          'id',
          'kind',
          'recipient_user_id',
          'patient_user_id',
          'subject_id',
          'parent_id',
          'fire_at',
          'scheduled_at',
          'payload',
          'state',
        ])
        .where('state', '=', 'pending')
        .where('prepared', 'is', null)
        .where('fire_at', '>', new Date(now.getTime() - lateAfterMs))
        .where('fire_at', '<=', new Date(now.getTime() + horizonMs))
        .orderBy('fire_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const reminders = rows.map(storedReminderOf);
      const preferences = await this.options.preferences.getMany(reminders.map((r) => r.recipientUserId));
      const prepared = reminders.map((reminder): PreparedNotification => {
        const { draft, followUpAt } = reminderDraft(
          reminder,
          preferences.get(reminder.recipientUserId)!,
          reminder.fireAt,
          enabledChannels,
        );
        return {
          notificationId: ids.uuid(),
          eventId: ids.uuid(),
          kind: draft.kind,
          title: draft.title,
          body: draft.body,
          data: draft.data,
          inApp: draft.channels.includes('in_app'),
          deliveries: draft.channels.map((channel) => ({ id: ids.uuid(), channel })),
          followUpAt: followUpAt?.toISOString() ?? null,
        };
      });
      await sql`
        UPDATE ${sql.table(`${db.schema}.reminders`)} AS r SET prepared = v.prepared
        FROM unnest(${reminders.map((r) => r.id)}::text[], ${prepared.map((p) => JSON.stringify(p))}::jsonb[]) AS v(id, prepared)
        WHERE r.id = v.id`.execute(trx);
      return rows.length;
    });
  }

  /** Fires up to `limit` rendered reminders that are due, in one statement. */
  async fire(limit: number): Promise<FiredBatch> {
    const { rows } = await this.fireStatement(this.options.clock.now(), limit).execute(this.options.db.primary);
    for (const row of rows) {
      this.options.metrics.reminderLateness.observe({ kind: row.kind }, Math.max(0, row.overdue_ms) / 1000);
      this.options.metrics.reminders.inc({ kind: row.kind, outcome: 'fired' });
    }
    return { claimed: rows.length, written: rows.filter((row) => row.written).length };
  }

  /** The statement that fires a batch (apart, so that its plan can be looked at). */
  fireStatement(now: Date, limit: number) {
    const { db } = this.options;
    const table = (name: string) => sql.table(`${db.schema}.${name}`);
    // Every step reads `claimed`, never a join of two of these steps: the planner cannot know
    // their sizes, and a nested loop over two batches of thousands costs seconds.
    return sql<{ kind: string; overdue_ms: number; written: boolean }>`
      WITH locked AS (
        SELECT id, kind, recipient_user_id, patient_user_id, subject_id, parent_id, fire_at, scheduled_at, payload, prepared
        FROM ${table('reminders')}
        WHERE state = 'pending' AND prepared IS NOT NULL
          AND fire_at <= ${now} AND fire_at >= ${new Date(now.getTime() - lateAfterMs)}
        ORDER BY fire_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ), claimed AS MATERIALIZED (
        SELECT l.id, l.kind, l.recipient_user_id, l.patient_user_id, l.subject_id, l.parent_id, l.fire_at,
               l.scheduled_at, l.payload,
               (l.prepared->>'notificationId')::uuid AS notification_id,
               (l.prepared->>'eventId')::uuid AS event_id,
               (l.prepared->>'inApp')::boolean AS in_app,
               l.prepared->>'kind' AS message_kind, l.prepared->>'title' AS title, l.prepared->>'body' AS body,
               l.prepared->'data' AS data, l.prepared->'deliveries' AS deliveries,
               (l.prepared->>'followUpAt')::timestamptz AS follow_up_at,
               -- Written before under the same key (by another path): not written again.
               (SELECT n.id FROM ${table('notifications')} n
                WHERE n.user_id = l.recipient_user_id AND n.idempotency_key = 'reminder:' || l.id) AS existing_id
        FROM locked l
      ), written AS (
        -- No ON CONFLICT: a notification written under the key since (by no path today) fails the
        -- statement, and the batch is fired again, finding it above.
        INSERT INTO ${table('notifications')} (id, user_id, kind, title, body, data, idempotency_key, in_app, created_at)
        SELECT c.notification_id, c.recipient_user_id, c.message_kind, c.title, c.body, c.data, 'reminder:' || c.id,
               c.in_app, ${now}
        FROM claimed c WHERE c.existing_id IS NULL
      ), delivered AS (
        INSERT INTO ${table('deliveries')} (id, notification_id, channel, status, attempts, next_attempt_at, updated_at)
        SELECT d.id, c.notification_id, d.channel,
               CASE WHEN d.channel = 'in_app' THEN 'delivered' ELSE 'queued' END,
               CASE WHEN d.channel = 'in_app' THEN 1 ELSE 0 END,
               CASE WHEN d.channel = 'in_app' THEN NULL ELSE ${now}::timestamptz END,
               ${now}
        FROM claimed c
        CROSS JOIN LATERAL jsonb_to_recordset(c.deliveries) AS d(id uuid, channel text)
        WHERE c.existing_id IS NULL
      ), enqueued AS (
        -- The same CloudEvent envelope as the outbox writes for any notification placed in an inbox.
        INSERT INTO ${table('outbox')} (id, topic, partition_key, event)
        SELECT c.event_id, ${topics.notificationQueue.name}, c.recipient_user_id::text,
               jsonb_build_object(
                 'specversion', '1.0', 'id', c.event_id::text, 'source', ${notificationSource}::text,
                 'type', ${notificationCreatedType}::text, 'subject', c.notification_id::text,
                 'time', ${now.toISOString()}::text, 'datacontenttype', 'application/json',
                 'partitionkey', c.recipient_user_id::text,
                 'data', jsonb_build_object(
                   'id', c.notification_id::text, 'kind', c.message_kind, 'title', c.title, 'body', c.body,
                   'data', c.data, 'createdAt', ${now.toISOString()}::text))
        FROM claimed c
        WHERE c.existing_id IS NULL AND c.in_app
        RETURNING seq
      ), fired AS (
        UPDATE ${table('reminders')} AS r
        SET state = 'fired', fired_at = ${now}, late = false, updated_at = ${now},
            notification_id = coalesce(c.existing_id, c.notification_id)
        FROM claimed c
        WHERE r.id = c.id
        RETURNING r.kind, (extract(epoch FROM ${now}::timestamptz - c.fire_at) * 1000)::float8 AS overdue_ms,
                  c.existing_id IS NULL AS written
      ), followed AS (
        -- One nudge if the dose is still not logged N minutes after its time.
        INSERT INTO ${table('reminders')}
          (id, kind, recipient_user_id, patient_user_id, subject_id, parent_id, fire_at, scheduled_at, payload, state, updated_at)
        SELECT 'fu_' || coalesce(c.parent_id, c.id), 'dose_follow_up', c.recipient_user_id, c.patient_user_id,
               c.subject_id, coalesce(c.parent_id, c.id), c.follow_up_at, c.scheduled_at, c.payload, 'pending', ${now}
        FROM claimed c
        WHERE c.kind = 'dose_due' AND c.follow_up_at > ${now}
        ON CONFLICT (id) DO NOTHING
      ), signalled AS (
        SELECT pg_notify(${outboxChannel(db.schema)}, '') FROM enqueued LIMIT 1
      )
      SELECT f.kind, f.overdue_ms, f.written, (SELECT count(*) FROM signalled) AS signalled FROM fired f`;
  }
}
