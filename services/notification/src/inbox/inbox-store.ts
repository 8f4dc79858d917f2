import { ValidationError, type Clock } from '@tend/core';
import { pageLimitOf } from '@tend/rpc';
import { type SchemaDatabase } from '@tend/db';
import type { NotificationTables } from '../db/tables.js';

/** A notification as the inbox shows it. */
export interface InboxItem {
  id: string;
  userId: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, string>;
  createdAt: Date;
  readAt: Date | null;
}

/** One channel's delivery of a notification, as stored. */
export interface StoredDelivery {
  channel: string;
  status: string;
  attempts: number;
  updatedAt: Date;
  nextAttemptAt: Date | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Cursor {
  /** created_at of the last item, ms. */
  c: number;
  i: string;
}

function decodeCursor(cursor: string): Cursor | undefined {
  if (cursor === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof parsed.c === 'number' && typeof parsed.i === 'string' && uuidPattern.test(parsed.i)) {
      return { c: parsed.c, i: parsed.i };
    }
  } catch {
    // falls through to the error below
  }
  throw ValidationError.field('page.cursor', 'is not a cursor this list gave out');
}

const encodeCursor = (item: InboxItem): string =>
  Buffer.from(JSON.stringify({ c: item.createdAt.getTime(), i: item.id } satisfies Cursor)).toString('base64url');

/** The page size asked for: 0 means the default (50); above 100 is refused (the platform's rule for every list). */
export function pageLimit(limit: number): number {
  return pageLimitOf({ limit });
}

/**
 * Each person's in-app inbox: newest first, in cursor pages, read marks. A notification dated in
 * the future (a reminder written ahead of its time) is not in it until then.
 */
export class InboxStore {
  constructor(
    private readonly db: SchemaDatabase<NotificationTables>,
    private readonly clock: Clock,
  ) {}

  /** One page of a person's inbox, newest first, and the cursor of the next. */
  /** The delivery records of these notifications, per notification, in channel order. */
  async deliveriesOf(notificationIds: readonly string[]): Promise<Map<string, StoredDelivery[]>> {
    const byNotification = new Map<string, StoredDelivery[]>();
    if (notificationIds.length === 0) return byNotification;
    const rows = await this.db.primary
      .selectFrom('deliveries')
      .select(['notification_id', 'channel', 'status', 'attempts', 'updated_at', 'next_attempt_at'])
      .where('notification_id', 'in', [...notificationIds])
      .orderBy('notification_id')
      .orderBy('channel')
      .execute();
    for (const row of rows) {
      const list = byNotification.get(row.notification_id) ?? [];
      list.push({
        channel: row.channel,
        status: row.status,
        attempts: row.attempts,
        updatedAt: new Date(row.updated_at),
        nextAttemptAt: row.next_attempt_at && new Date(row.next_attempt_at),
      });
      byNotification.set(row.notification_id, list);
    }
    return byNotification;
  }

  async list(
    userId: string,
    page: { limit: number; cursor: string },
    unreadOnly: boolean,
  ): Promise<{ items: InboxItem[]; nextCursor: string }> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor);
    // From the primary: a notification just announced on the socket (written by the scheduler,
    // not by this person, so no read-your-writes key covers it) must be in the list fetched next.
    let query = this.db.primary
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', userId)
      .where('in_app', '=', true)
      // A reminder's notification is written a few minutes ahead, dated at its time: shown from then.
      .where('created_at', '<=', this.clock.now());
    if (unreadOnly) query = query.where('read_at', 'is', null);
    if (after) {
      const at = new Date(after.c);
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', after.i)])]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map((row): InboxItem => ({
      id: row.id,
      userId: row.user_id,
      kind: row.kind,
      title: row.title,
      body: row.body,
      data: row.data,
      createdAt: new Date(row.created_at),
      readAt: row.read_at && new Date(row.read_at),
    }));
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : '' };
  }

  /** How many of a person's in-app notifications are unread. */
  async unreadCount(userId: string): Promise<number> {
    const row = await this.db.primary
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('in_app', '=', true)
      .where('read_at', 'is', null)
      .where('created_at', '<=', this.clock.now())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Marks a person's notifications read; ids of someone else's, or already read, are left alone
   * and not counted. Returns how many changed.
   */
  async markRead(userId: string, ids: readonly string[]): Promise<number> {
    const result = await this.db.transaction(
      (trx) =>
        trx
          .updateTable('notifications')
          .set({ read_at: this.clock.now() })
          .where('user_id', '=', userId)
          .where('id', 'in', [...ids])
          .where('read_at', 'is', null)
          .where('created_at', '<=', this.clock.now())
          .executeTakeFirst(),
      { consistencyKey: userId },
    );
    return Number(result.numUpdatedRows);
  }

  /** Erases a person's notifications (their account was deleted). */
  async forget(userId: string): Promise<void> {
    await this.db.primary.deleteFrom('notifications').where('user_id', '=', userId).execute();
  }
}
