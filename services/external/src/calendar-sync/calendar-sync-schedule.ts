import type { Clock, Logger } from '@tend/core';
import { PeriodicRounds } from '../periodic-rounds.js';
import type { CalendarConnections } from './calendar-connections.js';
import type { CalendarSync } from './calendar-sync.js';

/** Options of the periodic sync. */
export interface CalendarSyncScheduleOptions {
  sync: CalendarSync;
  connections: CalendarConnections;
  clock: Clock;
  logger: Logger;
  /** How old a person's last sync may grow before it runs again. @default 900_000 (15 min) */
  everyMs?: number;
  /** Syncs per round, one after another (a big calendar takes seconds). @default 20 */
  batch?: number;
}

/**
 * Syncs each connected calendar when its last sync is older than the interval. Rounds run a
 * tenth of the interval apart (at least a second), so a new connection syncs soon; a person's
 * failing server is retried next round and does not stop the others.
 */
export class CalendarSyncSchedule extends PeriodicRounds<number> {
  constructor(private readonly options: CalendarSyncScheduleOptions) {
    super('calendar-sync', Math.max(1_000, Math.floor((options.everyMs ?? 900_000) / 10)), 0, options.logger);
  }

  get #everyMs(): number {
    return this.options.everyMs ?? 900_000;
  }

  /** One round: syncs every calendar that is due. Returns how many synced without error. */
  protected async round(): Promise<number> {
    const { connections, sync, clock, logger } = this.options;
    let synced = 0;
    try {
      const due = await connections.due(new Date(clock.now().getTime() - this.#everyMs), this.options.batch ?? 20);
      for (const userId of due) {
        try {
          await sync.sync(userId);
          synced += 1;
        } catch (error) {
          logger.warn({ err: error, userId }, 'calendar sync failed; retried next round');
        }
      }
    } catch (error) {
      logger.warn({ err: error }, 'calendar sync round failed; retried next round');
    }
    return synced;
  }
}
