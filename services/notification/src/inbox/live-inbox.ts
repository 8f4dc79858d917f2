import { randomUUID } from 'node:crypto';
import { BaseService, type Logger } from '@tend/core';
import { topics, type EventBus, type Subscription } from '@tend/events';
import { z } from 'zod';
import { notificationCreatedType } from './notification-writer.js';

/** A notification as it is announced on the bus. */
export const announcedNotification = z.object({
  id: z.uuid(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.string()),
  createdAt: z.iso.datetime({ offset: true }),
});
export type AnnouncedNotification = z.infer<typeof announcedNotification>;

type Listener = (notification: AnnouncedNotification) => void;

/**
 * New in-app notifications as they are written, for `StreamNotifications`: one bus subscription
 * per process in a group of its own (a stream may be held by any replica), fanned out to the
 * streams of the person each is for.
 */
export class LiveInbox extends BaseService {
  readonly #listeners = new Map<string, Set<Listener>>();
  #subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {
    super('notification-live-inbox');
  }

  protected async doStart(): Promise<void> {
    this.#subscription = await this.bus.subscribe({
      topic: topics.notificationQueue.name,
      group: `notification-live-${randomUUID()}`,
      handler: async (event) => {
        if (event.type !== notificationCreatedType) return;
        const listeners = this.#listeners.get(event.partitionkey);
        if (!listeners) return;
        const parsed = announcedNotification.safeParse(event.data);
        if (!parsed.success) {
          this.logger.warn({ eventId: event.id }, 'ignoring a malformed notification event');
          return;
        }
        for (const listener of listeners) listener(parsed.data);
      },
    });
  }

  protected async doStop(): Promise<void> {
    await this.#subscription?.close();
    this.#listeners.clear();
  }

  /** Calls `listener` with each new notification of `userId` until the returned function is called. */
  listen(userId: string, listener: Listener): () => void {
    let set = this.#listeners.get(userId);
    if (!set) this.#listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(userId);
    };
  }
}
