import { topics, writeWithEvents } from '@tend/events';
import { type Clock, type Ids } from '@tend/core';
import type { Kysely } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import { interruptingChannels, type ChannelName } from '../preferences/preference-rules.js';

/** The outbox event of a notification placed in an inbox: gateways put it on the person's sockets. */
export const notificationCreatedType = 'tend.notification.created';
export const notificationSource = '/tend/notification';

/** A notification to write: to whom, what, on which channels, under which idempotency key. */
export interface NotificationDraft {
  userId: string;
  /** A preference kind (`KindName`), or another word for kinds preferences do not cover. */
  kind: string;
  title: string;
  body: string;
  data: Record<string, string>;
  /** The same key for the same person is written once, whoever asks and however often. */
  idempotencyKey: string;
  channels: readonly ChannelName[];
  /** Quiet hours: the interrupting channels (push, SMS) are first tried then, not now. */
  holdUntil?: Date;
}

/** A written (or already present) notification. */
export interface WrittenNotification {
  id: string;
  userId: string;
  idempotencyKey: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, string>;
  createdAt: Date;
  readAt: Date | null;
  /** False when the key had been written before: nothing new was sent. */
  created: boolean;
  /** Each channel's delivery state. */
  deliveries: { channel: string; status: string }[];
}

export interface WriterContext {
  schema: string;
  clock: Clock;
  ids: Ids;
  /**
   * Told when the write queued a delivery for a channel beyond the app: the delivery worker's
   * `wake`, so a worker resting between idle rounds looks again within its poll interval (the
   * caller's transaction may not have committed yet when it is told).
   */
  deliveriesQueued?: () => void;
}

/** A notification's row as written: `createdAt` is when it shows in the inbox (its due time, if written ahead). */
export function notificationRow(draft: NotificationDraft, id: string, createdAt: Date) {
  return {
    id,
    user_id: draft.userId,
    kind: draft.kind,
    title: draft.title,
    body: draft.body,
    data: JSON.stringify(draft.data),
    idempotency_key: draft.idempotencyKey,
    in_app: draft.channels.includes('in_app'),
    created_at: createdAt,
  };
}

/**
 * A notification's delivery rows, one per channel, as of `at` (now, or the due time when written
 * ahead): the in-app one delivered by the write itself, the others queued from `at`, except the
 * interrupting channels (push, SMS), which in quiet hours wait until they end (`holdUntil`).
 */
export function deliveryRows(draft: NotificationDraft, notificationId: string, at: Date, ids: Ids) {
  return draft.channels.map((channel) => ({
    id: ids.uuid(),
    notification_id: notificationId,
    channel,
    status: channel === 'in_app' ? ('delivered' as const) : ('queued' as const),
    attempts: channel === 'in_app' ? 1 : 0,
    next_attempt_at:
      channel === 'in_app' ? null : draft.holdUntil && interruptingChannels.includes(channel) ? draft.holdUntil : at,
    updated_at: at,
  }));
}

/**
 * Writes notifications, their per-channel delivery records and the in-app event, all in the
 * caller's transaction (three statements for any batch size): a notification exists exactly when
 * its delivery records and its live event do. The in-app channel is delivered by the write itself;
 * other channels are queued for their senders. A key written before is not written again; its
 * existing notification is returned instead.
 */
export async function writeNotifications(
  trx: Kysely<NotificationTables>,
  drafts: readonly NotificationDraft[],
  context: WriterContext,
): Promise<WrittenNotification[]> {
  if (drafts.length === 0) return [];
  const now = context.clock.now();
  const rows = drafts.map((draft) => notificationRow(draft, context.ids.uuid(), now));
  const inserted = await trx
    .insertInto('notifications')
    .values(rows)
    .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
    .returning(['id', 'user_id', 'idempotency_key'])
    .execute();
  const insertedIds = new Set(inserted.map((row) => row.id));
  const fresh = rows.filter((row) => insertedIds.has(row.id));
  const draftOf = new Map(drafts.map((draft) => [`${draft.userId}|${draft.idempotencyKey}`, draft]));

  const deliveries = fresh.flatMap((row) =>
    deliveryRows(draftOf.get(`${row.user_id}|${row.idempotency_key}`)!, row.id, now, context.ids),
  );
  const events = fresh
    .filter((row) => row.in_app)
    .map((row) => ({
      topic: topics.notificationQueue.name,
      type: notificationCreatedType,
      source: notificationSource,
      subject: row.id,
      partitionKey: row.user_id,
      data: {
        id: row.id,
        kind: row.kind,
        title: row.title,
        body: row.body,
        data: JSON.parse(row.data) as Record<string, string>,
        createdAt: now.toISOString(),
      },
    }));
  await writeWithEvents(
    trx,
    deliveries.length > 0 ? trx.insertInto('deliveries').values(deliveries) : undefined,
    events,
    context,
  );
  if (deliveries.some((delivery) => delivery.status === 'queued')) context.deliveriesQueued?.();

  const written: WrittenNotification[] = fresh.map((row) => ({
    id: row.id,
    userId: row.user_id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: JSON.parse(row.data) as Record<string, string>,
    createdAt: now,
    readAt: null,
    created: true,
    deliveries: deliveries
      .filter((d) => d.notification_id === row.id)
      .map((d) => ({ channel: d.channel, status: d.status })),
  }));
  if (fresh.length < rows.length)
    written.push(
      ...(await existingOf(
        trx,
        rows.filter((row) => !insertedIds.has(row.id)),
      )),
    );
  return written;
}

/** The notifications already written under the keys of `rows`, with their deliveries. */
async function existingOf(
  trx: Kysely<NotificationTables>,
  rows: readonly { user_id: string; idempotency_key: string }[],
): Promise<WrittenNotification[]> {
  const found = await trx
    .selectFrom('notifications')
    .selectAll()
    .where((eb) =>
      eb.or(
        rows.map((row) => eb.and([eb('user_id', '=', row.user_id), eb('idempotency_key', '=', row.idempotency_key)])),
      ),
    )
    .execute();
  const deliveries =
    found.length === 0
      ? []
      : await trx
          .selectFrom('deliveries')
          .select(['notification_id', 'channel', 'status'])
          .where(
            'notification_id',
            'in',
            found.map((n) => n.id),
          )
          .execute();
  return found.map((row) => ({
    id: row.id,
    userId: row.user_id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: row.data,
    createdAt: new Date(row.created_at),
    readAt: row.read_at && new Date(row.read_at),
    created: false,
    deliveries: deliveries
      .filter((d) => d.notification_id === row.id)
      .map((d) => ({ channel: d.channel, status: d.status })),
  }));
}
