import { createHash, randomBytes } from 'node:crypto';
import type { ServiceImpl } from '@connectrpc/connect';
import { GoneError, NotFoundError, ValidationError, type Clock, type SchemaDatabase } from '@tend/platform';
import type { Transaction } from 'kysely';
import type { ExternalService } from '@tend/proto/tend/external/v1/external';
import { subjectOf } from '../access.js';
import type { AppointmentStore } from '../appointments/appointment-store.js';
import type { ExternalTables } from '../db/tables.js';
import { appointmentsCalendar } from './icalendar.js';

/** How long a replaced or revoked token's URL answers 410 Gone rather than 404. */
const retiredKeptMs = 365 * 24 * 3_600_000;

/** How far back and ahead the feed reaches. */
const feedWindow = { pastMs: 90 * 24 * 3_600_000, aheadMs: 400 * 24 * 3_600_000 };

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The per-person iCalendar feed behind a secret URL. The token is 256 random bits, shown once;
 * only its SHA-256 is stored. Rotating replaces it (the old URL stops working at once),
 * revoking removes it; either way the old token's URL then answers Gone for a year, so a
 * calendar app still subscribed learns to stop polling, and an unknown token stays NotFound.
 */
export function calendarFeedHandlers(deps: {
  db: SchemaDatabase<ExternalTables>;
  appointments: AppointmentStore;
  clock: Clock;
}): Pick<ServiceImpl<typeof ExternalService>, 'rotateCalendarFeed' | 'revokeCalendarFeed' | 'getCalendarFeed'> {
  const { db, clock } = deps;
  return {
    async rotateCalendarFeed(req) {
      const userId = subjectOf(req.caller, req.userId);
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const row = { user_id: userId, token_hash: hashOf(token), created_at: now };
      await db.transaction(async (trx) => {
        await retireFeed(trx, userId, now);
        await trx
          .deleteFrom('retired_calendar_feeds')
          .where('user_id', '=', userId)
          .where('retired_at', '<', new Date(now.getTime() - retiredKeptMs))
          .execute();
        await trx.insertInto('calendar_feeds').values(row).execute();
      });
      return { token };
    },
    async revokeCalendarFeed(req) {
      const userId = subjectOf(req.caller, req.userId);
      await db.transaction((trx) => retireFeed(trx, userId, clock.now()));
      return {};
    },
    async getCalendarFeed(req) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(req.token)) throw ValidationError.field('token', 'is not a feed token');
      const feed = await db.primary
        .selectFrom('calendar_feeds')
        .select('user_id')
        .where('token_hash', '=', hashOf(req.token))
        .executeTakeFirst();
      if (!feed) {
        const retired = await db.primary
          .selectFrom('retired_calendar_feeds')
          .select('retired_at')
          .where('token_hash', '=', hashOf(req.token))
          .executeTakeFirst();
        if (retired) throw new GoneError('calendar feed', 'for this token (replaced or revoked)');
        throw new NotFoundError('calendar feed', 'for this token');
      }
      const now = clock.now();
      const window = {
        from: new Date(now.getTime() - feedWindow.pastMs),
        to: new Date(now.getTime() + feedWindow.aheadMs),
      };
      const all = [];
      let cursor = '';
      do {
        const page = await deps.appointments.list(feed.user_id, window, 100, cursor, { expand: false });
        all.push(...page.appointments);
        cursor = page.nextCursor;
      } while (cursor !== '' && all.length < 5000);
      const series = await deps.appointments.recurrences(feed.user_id);
      return { ics: appointmentsCalendar(all, { name: 'Tend appointments', now, series }) };
    },
  };
}

/** Removes the person's feed token, if any, and remembers its hash as retired. */
async function retireFeed(trx: Transaction<ExternalTables>, userId: string, now: Date): Promise<void> {
  const removed = await trx
    .deleteFrom('calendar_feeds')
    .where('user_id', '=', userId)
    .returning('token_hash')
    .executeTakeFirst();
  if (!removed) return;
  await trx
    .insertInto('retired_calendar_feeds')
    .values({ token_hash: removed.token_hash, user_id: userId, retired_at: now })
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute();
}
