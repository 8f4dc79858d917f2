import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { wallClockOf, type Clock, type Logger } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { AdvisoryKind, AdvisoryLevel, type HealthAdvisory } from '@tend/proto/tend/external/v1/external';
import type { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import type { ExternalTables } from '../db/tables.js';
import { localDateOf } from '../local-dates.js';
import { PeriodicRounds } from '../periodic-rounds.js';
import { advisoriesFor, type AdvisoryDeps } from './advisory-handlers.js';
import type { AdvisoryKindName } from './advisory-rules.js';

/** Options of {@link AdvisoryNotices}. */
export interface AdvisoryNoticesOptions {
  db: SchemaDatabase<ExternalTables>;
  /** What the advisories are computed from: the same as GetHealthAdvisories answers with. */
  advisories: AdvisoryDeps;
  notification: Client<typeof NotificationService>;
  clock: Clock;
  logger: Logger;
  /** How often every person with a place is looked at. @default 900_000 (15 min) */
  everyMs?: number;
  /**
   * The local hour from which a day's advisories are sent, so that a forecast for the day is not
   * announced at midnight. Quiet hours still apply to push and SMS after it. @default 7
   */
  fromLocalHour?: number;
  /** People read per page. @default 200 */
  pageSize?: number;
  /**
   * The least level notified: an `info` advisory (30 °C for someone without risk factors) is
   * there when asked for, not worth a message. @default 'warning'
   */
  minLevel?: 'info' | 'warning' | 'danger';
}

const kindNames: Record<number, AdvisoryKindName> = {
  [AdvisoryKind.HEAT]: 'heat',
  [AdvisoryKind.COLD]: 'cold',
  [AdvisoryKind.AIR_QUALITY]: 'air',
};
const levelNames: Record<number, 'info' | 'warning' | 'danger'> = {
  [AdvisoryLevel.INFO]: 'info',
  [AdvisoryLevel.WARNING]: 'warning',
  [AdvisoryLevel.DANGER]: 'danger',
};
const levelRank = { info: 1, warning: 2, danger: 3 } as const;
const titles: Record<AdvisoryKindName, { en: string; zh: string }> = {
  heat: { en: 'Hot day today', zh: '今天高温' },
  cold: { en: 'Cold day today', zh: '今天低温' },
  air: { en: 'Air quality today', zh: '今天的空气质量' },
};
const serviceCaller = create(CallerSchema, { role: Role.SERVICE, service: 'external' });

/** What one round did. */
export interface AdvisoryRound {
  /** Notifications sent. */
  sent: number;
  /** People whose advisories could not be computed or sent this round (tried again next round). */
  failed: number;
}

/**
 * Tells people of the health advisories for their place as notifications (kind
 * `health_advisory`, so their channel choice for it applies): every round it computes today's
 * advisories (warnings and dangers; `minLevel`) for each person with a stored place whose local day has reached `fromLocalHour`,
 * and sends each advisory kind at most once per person and local day — claimed in
 * `advisory_notices` before the send, so rounds and instances never repeat one, and released if
 * the send fails. A danger-level advisory is sent `urgent` (push and SMS at once, quiet hours or
 * not); the others wait for the quiet hours to end on the interrupting channels. An advisory that
 * appears later in the day (the air worsening) is sent when a round first sees it.
 */
export class AdvisoryNotices extends PeriodicRounds<AdvisoryRound> {
  constructor(private readonly options: AdvisoryNoticesOptions) {
    super('advisory-notices', options.everyMs ?? 900_000, { sent: 0, failed: 0 }, options.logger);
  }

  protected async round(): Promise<AdvisoryRound> {
    const { db, clock, logger } = this.options;
    const pageSize = this.options.pageSize ?? 200;
    const fromHour = this.options.fromLocalHour ?? 7;
    const round: AdvisoryRound = { sent: 0, failed: 0 };
    let after = '';
    for (;;) {
      const page = await db.primary
        .selectFrom('places')
        .select(['user_id', 'time_zone'])
        .where('user_id', '>', after === '' ? '00000000-0000-0000-0000-000000000000' : after)
        .orderBy('user_id')
        .limit(pageSize)
        .execute();
      for (const place of page) {
        const now = clock.now();
        if (wallClockOf(now.getTime(), place.time_zone).hour < fromHour) continue;
        try {
          round.sent += await this.#notify(place.user_id, localDateOf(now, place.time_zone));
        } catch (error) {
          round.failed += 1;
          logger.debug({ err: error, userId: place.user_id }, 'advisories not sent this round');
        }
      }
      if (page.length < pageSize) break;
      after = page.at(-1)!.user_id;
    }
    if (round.failed > 0) logger.warn(round, 'some advisories were not sent; tried again next round');
    return round;
  }

  /** Sends today's advisories not sent yet to one person; returns how many. */
  async #notify(userId: string, localDate: string): Promise<number> {
    const { db, advisories: deps, notification } = this.options;
    const { user } = await deps.health.getUser({ caller: serviceCaller, userId });
    const language = user?.locale === 'zh' ? 'zh' : 'en';
    const { advisories } = await advisoriesFor(deps, serviceCaller, { userId, localDate, language });
    const minRank = levelRank[this.options.minLevel ?? 'warning'];
    let sent = 0;
    for (const advisory of advisories) {
      const kind = kindNames[advisory.kind];
      const level = levelNames[advisory.level];
      if (!kind || !level || levelRank[level] < minRank) continue;
      const claimed = await db.primary
        .insertInto('advisory_notices')
        .values({ user_id: userId, kind, local_date: localDate, level })
        .onConflict((oc) => oc.doNothing())
        .returning('user_id')
        .executeTakeFirst();
      if (!claimed) continue;
      try {
        await notification.sendNotification(noticeOf(userId, kind, localDate, advisory, language));
        sent += 1;
      } catch (error) {
        // Released, so the next round tries again.
        await db.primary
          .deleteFrom('advisory_notices')
          .where('user_id', '=', userId)
          .where('kind', '=', kind)
          .where('local_date', '=', localDate)
          .execute();
        throw error;
      }
    }
    return sent;
  }
}

/** The notification for one advisory; its idempotency key is the person's kind and day. */
function noticeOf(
  userId: string,
  kind: AdvisoryKindName,
  localDate: string,
  advisory: HealthAdvisory,
  language: 'en' | 'zh',
) {
  return {
    caller: serviceCaller,
    userId,
    kind: 'health_advisory',
    title: titles[kind][language],
    body: advisory.message,
    idempotencyKey: `advisory:${kind}:${localDate}`,
    urgent: advisory.level === AdvisoryLevel.DANGER,
  };
}
