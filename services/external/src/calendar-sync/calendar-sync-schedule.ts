import { BaseService, type Clock, type Logger } from '@tend/platform';
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
export class CalendarSyncSchedule extends BaseService {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(private readonly options: CalendarSyncScheduleOptions) {
    super('calendar-sync');
  }

  protected async doStart(): Promise<void> {
    const every = Math.max(1_000, Math.floor(this.#everyMs / 10));
    this.#timer = setInterval(() => void this.tick(), every);
    this.#timer.unref();
  }

  protected async doStop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  get #everyMs(): number {
    return this.options.everyMs ?? 900_000;
  }

  /** One round: syncs every calendar that is due. Returns how many synced without error. */
  async tick(): Promise<number> {
    if (this.#running) return 0;
    this.#running = this.#round();
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async #round(): Promise<number> {
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
