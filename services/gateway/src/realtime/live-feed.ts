import { BaseService, type Logger } from '@tend/core';
import { topics, type CloudEvent, type EventBus, type Subscription } from '@tend/events';
import { randomUUID } from 'node:crypto';

/** What a connected client is sent when something happens to its person's record. */
export interface Notification {
  type: 'notification';
  event: string;
  subject?: string;
  time: string;
  data: unknown;
}

/** Gets each notification with its JSON text, made once however many sockets a person holds. */
type Listener = (notification: Notification, json: string) => void;

/**
 * Event types a person is told about live, and the topics they arrive on: changes to their record
 * on `live_events` (the only topic that carries a reading's value besides the notification
 * queue; analytics events carry none), alerts and inbox notifications on `notification_queue`.
 */
const liveTopics = [topics.liveEvents.name, topics.notificationQueue.name];
const liveTypes = new Set([
  'tend.health.vital.recorded',
  'tend.health.vital.deleted',
  'tend.health.dose.logged',
  'tend.health.medication.changed',
  'tend.health.alert.raised',
  // A notification placed in the person's inbox (a reminder, an alert): sent as `notification.created`.
  'tend.notification.created',
]);

/**
 * The health events of the people connected to this gateway, from the event bus. One
 * subscription per process in a group of its own (every replica must see every event, since a
 * person's socket may be on any of them), fanned out to that person's sockets only; events are
 * keyed by person id, and their payloads carry no encrypted fields.
 */
export class LiveFeed extends BaseService {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #subscriptions: Subscription[] = [];
  // A redelivered event (a relay retry, a rebalance) is heard once.
  readonly #recent = new Set<string>();

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {
    super('gateway-live-feed');
  }

  protected async doStart(): Promise<void> {
    const group = `gateway-live-${randomUUID()}`;
    for (const topic of liveTopics) {
      this.#subscriptions.push(
        await this.bus.subscribe({ topic, group, handler: async (event) => this.#deliver(event) }),
      );
    }
  }

  protected async doStop(): Promise<void> {
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.close()));
    this.#listeners.clear();
  }

  /** Calls `listener` with each event about `personId` until the returned function is called. */
  listen(personId: string, listener: Listener): () => void {
    let set = this.#listeners.get(personId);
    if (!set) this.#listeners.set(personId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(personId);
    };
  }

  #deliver(event: CloudEvent): void {
    const listeners = this.#listeners.get(event.partitionkey);
    if (!listeners || !liveTypes.has(event.type)) return;
    const dedupeKey = `${event.type}|${event.subject ?? event.id}|${JSON.stringify(event.data)}`;
    if (this.#recent.has(dedupeKey)) return;
    this.#recent.add(dedupeKey);
    if (this.#recent.size > 10_000) this.#recent.delete(this.#recent.values().next().value!);
    const notification: Notification = {
      type: 'notification',
      event: event.type.replace(/^tend\.(health\.)?/, ''),
      subject: event.subject,
      time: event.time,
      data: event.data,
    };
    const json = JSON.stringify(notification);
    for (const listener of listeners) {
      try {
        listener(notification, json);
      } catch (error) {
        this.logger.warn({ err: error }, 'live notification listener failed');
      }
    }
  }
}
