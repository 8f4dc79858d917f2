import { outboxChannel, topics, type Clock, type Ids, type SchemaDatabase } from '@tend/platform';
import { sql, type RawBuilder } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import {
  deliveryRows,
  notificationCreatedType,
  notificationRow,
  notificationSource,
} from '../inbox/notification-writer.js';
import type { NotificationMetrics } from '../notification-metrics.js';
import type { ChannelName } from '../preferences/preference-rules.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { missedAfterMs } from './reminder-dispatcher.js';
import { reminderDraft } from './reminder-drafts.js';
import { storedReminderOf } from './reminder-store.js';

/**
 * What a reminder written ahead keeps on its row (`reminders.prepared`, migration 0004) besides
 * its notification's id: what the statement that fires it needs and cannot read elsewhere.
 */
export interface PreparedNotification {
  /** The id of the live event announcing it (only when it goes to the in-app inbox). */
  eventId: string;
  /** ISO time of the dose's nudge, or null for none. */
  followUpAt: string | null;
  /**
   * True when the live event was written ahead too, held in the outbox until the due time
   * (migration 0005); then firing only marks the reminder fired. Absent on rows written before.
   */
  held?: boolean;
}

/**
 * The live event of a notification placed in an inbox, as SQL over a row `c` with the
 * notification's columns and `event_id`: the same CloudEvent envelope the outbox writes for any
 * notification, published to the person's sockets.
 */
function liveEventSql(time: RawBuilder<unknown>) {
  return sql`jsonb_build_object(
    'specversion', '1.0', 'id', c.event_id::text, 'source', ${notificationSource}::text,
    'type', ${notificationCreatedType}::text, 'subject', c.notification_id::text,
    'time', ${time}, 'datacontenttype', 'application/json',
    'partitionkey', c.recipient_user_id::text,
    'data', jsonb_build_object(
      'id', c.notification_id::text, 'kind', c.message_kind, 'title', c.title, 'body', c.body,
      'data', c.data,
      'createdAt', ${isoText(sql.ref('c.created_at'))}))`;
}

/** A timestamptz as the ISO text of JavaScript's `toISOString`. */
function isoText(column: RawBuilder<unknown>) {
  return sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Reminders are written ahead only this far before their time, so they are in place by then. */
const writeAheadMarginMs = 2_000;

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
}

/**
 * Plans reminders ahead so that a peak of them is delivered to the inbox on time. `prepare`
 * writes the notifications of the reminders falling due in the next few minutes — text and
 * channels as at their due time, delivery records queued for then — dated at their due time:
 * the inbox shows a notification from its date, and the channel senders take a delivery from its
 * due time, so the writing is done before the peak and none of it shows early. `fire` then does
 * what must happen at the time, one statement per batch: it claims the due rows with `FOR UPDATE
 * SKIP LOCKED`, enqueues their live events (the in-app socket), adds the dose's nudge and marks
 * them fired. One statement is atomic: a process killed midway leaves nothing half-done and its
 * rows are fired by another. Anything that changes a reminder before its time (the schedule, the
 * text, a preference) takes its written notification back (`withdrawUnfired`), and it is
 * written again.
 */
export class PreparedReminders {
  constructor(private readonly options: PreparedRemindersOptions) {}

  /** Writes ahead up to `limit` pending reminders due within `horizonMs`; returns how many. */
  async prepare(horizonMs: number, limit: number): Promise<number> {
    const { db, clock, ids, enabledChannels } = this.options;
    return db.transaction(async (trx) => {
      const now = clock.now();
      // Locked while writing: a reconcile or preference change waits, then takes it back.
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
        .where('fire_at', '>', new Date(now.getTime() + writeAheadMarginMs))
        .where('fire_at', '<=', new Date(now.getTime() + horizonMs))
        .orderBy('fire_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const reminders = rows.map(storedReminderOf);
      const preferences = await this.options.preferences.getMany(reminders.map((r) => r.recipientUserId));
      const written = reminders.map((reminder) => {
        const { draft, followUpAt } = reminderDraft(
          reminder,
          preferences.get(reminder.recipientUserId)!,
          reminder.fireAt,
          enabledChannels,
        );
        const prepared: PreparedNotification = {
          eventId: ids.uuid(),
          followUpAt: followUpAt?.toISOString() ?? null,
          held: true,
        };
        return { reminder, draft, notificationId: ids.uuid(), prepared };
      });
      const inserted = await trx
        .insertInto('notifications')
        // Dated at the due time: the inbox shows it from then.
        .values(
          written.map(({ reminder, draft, notificationId }) => notificationRow(draft, notificationId, reminder.fireAt)),
        )
        .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
        .returning('id')
        .execute();
      const fresh = new Set(inserted.map((row) => row.id));
      const staged = written.filter((w) => fresh.has(w.notificationId));
      // Written before under its key (a withdrawal not swept yet): the reminder takes that one.
      const before = written.filter((w) => !fresh.has(w.notificationId));
      if (before.length > 0) {
        const existing = await trx
          .selectFrom('notifications')
          .select(['id', 'idempotency_key'])
          .where(
            'user_id',
            'in',
            before.map((w) => w.draft.userId),
          )
          .where(
            'idempotency_key',
            'in',
            before.map((w) => w.draft.idempotencyKey),
          )
          .execute();
        const idOf = new Map(existing.map((n) => [n.idempotency_key, n.id]));
        for (const w of before) w.notificationId = idOf.get(w.draft.idempotencyKey) ?? w.notificationId;
      }
      // In the inbox from its date; the other channels are sent from then.
      const deliveries = staged.flatMap(({ reminder, draft, notificationId }) =>
        deliveryRows(draft, notificationId, reminder.fireAt, ids),
      );
      if (deliveries.length > 0) await trx.insertInto('deliveries').values(deliveries).execute();
      // The live events, held in the outbox until the due time (the relay publishes them then).
      // One per reminder and notification, whether the notification was written now or before.
      await sql`
        INSERT INTO ${sql.table(`${db.schema}.outbox`)} (id, topic, partition_key, event, deliver_at)
        SELECT c.event_id, ${topics.notificationQueue.name}, c.recipient_user_id::text,
               ${liveEventSql(isoText(sql.ref('c.fire_at')))}, c.fire_at
        FROM (
          SELECT v.event_id, v.fire_at, n.user_id AS recipient_user_id, n.id AS notification_id, n.kind AS message_kind,
                 n.title, n.body, n.data, n.created_at
          FROM unnest(${written.map((w) => w.notificationId)}::uuid[], ${written.map((w) => w.prepared.eventId)}::uuid[],
                      ${written.map((w) => w.reminder.fireAt)}::timestamptz[]) AS v(notification_id, event_id, fire_at)
          JOIN ${sql.table(`${db.schema}.notifications`)} n ON n.id = v.notification_id
          WHERE n.in_app
            -- Held already (written before under its key and not taken back): once is enough.
            AND NOT EXISTS (SELECT 1 FROM ${sql.table(`${db.schema}.outbox`)} o
                            WHERE o.deliver_at IS NOT NULL AND o.event->>'subject' = n.id::text)
        ) c`.execute(trx);
      await sql`
        UPDATE ${sql.table(`${db.schema}.reminders`)} AS r SET prepared = v.prepared, notification_id = v.notification_id
        FROM unnest(${written.map((w) => w.reminder.id)}::text[], ${written.map((w) => JSON.stringify(w.prepared))}::jsonb[],
                    ${written.map((w) => w.notificationId)}::uuid[]) AS v(id, prepared, notification_id)
        WHERE r.id = v.id`.execute(trx);
      return rows.length;
    });
  }

  /**
   * Fires up to `limit` written-ahead reminders due `afterMs` ago or more, in one statement. Their
   * live events went out at the due time from the outbox; what is left (the fired mark, the nudge)
   * waits `afterMs`, so that at a peak it does not compete with the publishing.
   */
  async fire(limit: number, afterMs = 0): Promise<FiredBatch> {
    const now = this.options.clock.now();
    const { rows } = await this.fireStatement(now, limit, afterMs).execute(this.options.db.primary);
    for (const row of rows) {
      this.options.metrics.reminderLateness.observe({ kind: row.kind }, Math.max(0, row.overdue_ms) / 1000);
      this.options.metrics.reminders.inc({ kind: row.kind, outcome: 'fired' });
    }
    return { claimed: rows.length };
  }

  /** The statement that fires a batch (apart, so that its plan can be looked at). */
  fireStatement(now: Date, limit: number, afterMs = 0) {
    const { db } = this.options;
    const table = (name: string) => sql.table(`${db.schema}.${name}`);
    // Every step reads `claimed`, never a join of two of these steps: the planner cannot know
    // their sizes, and a nested loop over two batches of thousands costs seconds.
    return sql<{ kind: string; overdue_ms: number }>`
      WITH locked AS (
        SELECT id, kind, recipient_user_id, patient_user_id, subject_id, parent_id, fire_at, scheduled_at, payload,
               notification_id, prepared
        FROM ${table('reminders')}
        WHERE state = 'pending' AND prepared IS NOT NULL
          AND fire_at <= ${new Date(now.getTime() - afterMs)} AND fire_at >= ${new Date(now.getTime() - missedAfterMs)}
        ORDER BY fire_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ), claimed AS MATERIALIZED (
        SELECT l.id, l.kind, l.recipient_user_id, l.patient_user_id, l.subject_id, l.parent_id, l.fire_at,
               l.scheduled_at, l.payload, l.notification_id,
               (l.prepared->>'eventId')::uuid AS event_id,
               (l.prepared->>'followUpAt')::timestamptz AS follow_up_at,
               coalesce((l.prepared->>'held')::boolean, false) AS held,
               n.kind AS message_kind, n.title, n.body, n.data, n.in_app, n.created_at
        FROM locked l
        JOIN ${table('notifications')} n ON n.id = l.notification_id
      ), enqueued AS (
        -- Only for reminders written ahead before their live event was (those are in the outbox).
        INSERT INTO ${table('outbox')} (id, topic, partition_key, event)
        SELECT c.event_id, ${topics.notificationQueue.name}, c.recipient_user_id::text,
               ${liveEventSql(sql`${now.toISOString()}::text`)}
        FROM claimed c
        WHERE c.in_app AND NOT c.held
        RETURNING seq
      ), fired AS (
        UPDATE ${table('reminders')} AS r
        SET state = 'fired', fired_at = ${now}, late = false, updated_at = ${now}
        FROM claimed c
        WHERE r.id = c.id
        -- Late by when its live event went out (held: the relay's publish), or by now.
        RETURNING r.kind, (extract(epoch FROM coalesce(
          (SELECT o.published_at FROM ${table('outbox')} o WHERE c.held AND o.id = c.event_id), ${now}::timestamptz
        ) - c.fire_at) * 1000)::float8 AS overdue_ms
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
      SELECT f.kind, f.overdue_ms, (SELECT count(*) FROM signalled) AS signalled FROM fired f`;
  }
}
