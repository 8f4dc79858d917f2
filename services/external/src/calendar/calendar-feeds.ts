import { createHash, randomBytes } from 'node:crypto';
import type { ServiceImpl } from '@connectrpc/connect';
import { NotFoundError, ValidationError, type Clock, type SchemaDatabase } from '@tend/platform';
import type { ExternalService } from '@tend/proto/tend/external/v1/external';
import { subjectOf } from '../access.js';
import type { AppointmentStore } from '../appointments/appointment-store.js';
import type { ExternalTables } from '../db/tables.js';
import { appointmentsCalendar } from './icalendar.js';

/** How far back and ahead the feed reaches. */
const feedWindow = { pastMs: 90 * 24 * 3_600_000, aheadMs: 400 * 24 * 3_600_000 };

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The per-person iCalendar feed behind a secret URL. The token is 256 random bits, shown once;
 * only its SHA-256 is stored. Rotating replaces it (the old URL stops working at once),
 * revoking removes it.
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
      const row = { user_id: userId, token_hash: hashOf(token), created_at: clock.now() };
      await db.primary
        .insertInto('calendar_feeds')
        .values(row)
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ token_hash: row.token_hash, created_at: row.created_at }),
        )
        .execute();
      return { token };
    },
    async revokeCalendarFeed(req) {
      const userId = subjectOf(req.caller, req.userId);
      await db.primary.deleteFrom('calendar_feeds').where('user_id', '=', userId).execute();
      return {};
    },
    async getCalendarFeed(req) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(req.token)) throw ValidationError.field('token', 'is not a feed token');
      const feed = await db.primary
        .selectFrom('calendar_feeds')
        .select('user_id')
        .where('token_hash', '=', hashOf(req.token))
        .executeTakeFirst();
      if (!feed) throw new NotFoundError('calendar feed', 'for this token');
      const now = clock.now();
      const window = {
        from: new Date(now.getTime() - feedWindow.pastMs),
        to: new Date(now.getTime() + feedWindow.aheadMs),
      };
      const all = [];
      let cursor = '';
      do {
        const page = await deps.appointments.list(feed.user_id, window, 100, cursor);
        all.push(...page.appointments);
        cursor = page.nextCursor;
      } while (cursor !== '' && all.length < 5000);
      return { ics: appointmentsCalendar(all, { name: 'Tend appointments', now }) };
    },
  };
}
