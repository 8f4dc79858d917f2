import { BaseService, type Logger } from '@tend/core';
import { topics, type EventBus, type Subscription } from '@tend/events';
import { z } from 'zod';
import type { Sessions } from './sessions.js';

const userDeleted = z.object({ userId: z.uuid() });

/**
 * Ends every session of a person whose account was deleted (`tend.health.user.deleted`), so a
 * token issued before the deletion opens nothing afterwards. The gateways share one consumer
 * group: the revocation is in the database, read by every replica; each replica's sockets of
 * the person close at their next session check.
 */
export class AccountErasure extends BaseService {
  #subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly sessions: Pick<Sessions, 'revokeAllOf'>,
    private readonly logger: Logger,
  ) {
    super('gateway-account-erasure');
  }

  protected async doStart(): Promise<void> {
    this.#subscription = await this.bus.subscribe({
      topic: topics.analyticsEvents.name,
      group: 'gateway-account-erasure',
      handler: async (event) => {
        if (event.type !== 'tend.health.user.deleted') return;
        const parsed = userDeleted.safeParse(event.data);
        if (!parsed.success) {
          this.logger.warn({ eventId: event.id }, 'user.deleted event without a valid userId; ignored');
          return;
        }
        const ended = await this.sessions.revokeAllOf(parsed.data.userId, 'account_deleted');
        if (ended > 0)
          this.logger.info({ userId: parsed.data.userId, sessions: ended }, 'sessions of a deleted account ended');
      },
    });
  }

  protected async doStop(): Promise<void> {
    await this.#subscription?.close();
  }
}
