import {
  BaseService,
  createResiliencePolicy,
  type Clock,
  type Logger,
  type Metrics,
  type ResiliencePolicy,
} from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { sql } from 'kysely';
import type { ActionTokens } from '../actions/action-tokens.js';
import { actionTokenTtlMs } from '../actions/action-tokens.js';
import {
  PermanentDeliveryError,
  type ChannelSender,
  type DeviceAddress,
  type OutgoingMessage,
} from '../channels/channel-sender.js';
import type { DeviceKind, NotificationTables } from '../db/tables.js';
import type { DeviceStore } from '../devices/device-store.js';
import type { NotificationMetrics } from '../notification-metrics.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { PollingLoop } from '../polling-loop.js';
import { retryDelayMs } from './delivery-backoff.js';

export interface DeliveryWorkerOptions {
  /**
   * How soon due deliveries are looked for again after a round that found none; idle rounds in a
   * row wait longer, up to `maxIdleIntervalMs`, but never past the next queued delivery's time
   * (a retry, the end of quiet hours). @default 500
   */
  pollIntervalMs?: number;
  /**
   * The longest wait between rounds at rest: how late a delivery queued by another process may be
   * seen here. A delivery queued in this process (`wake`) is looked for within `pollIntervalMs`.
   * At least `pollIntervalMs`. @default 5000
   */
  maxIdleIntervalMs?: number;
  /** Deliveries claimed per round. @default 100 */
  batchSize?: number;
  /** Sends in flight at once. @default 16 */
  concurrency?: number;
  /** Attempts before a delivery is dead-lettered. @default 10 (about 6 minutes of retries) */
  maxAttempts?: number;
  /** How long a claimed delivery is held; a process that dies frees it after this. @default 60000 */
  claimMs?: number;
  /** First retry delay; doubles each attempt. @default 2000 */
  retryBaseMs?: number;
  /** @default 60000 */
  retryMaxMs?: number;
  /** Per-channel breaker: consecutive failures that open it. @default 5 */
  breakerThreshold?: number;
  /** @default 30000 */
  breakerHalfOpenAfterMs?: number;
}

export interface DeliveryWorkerDeps {
  db: SchemaDatabase<NotificationTables>;
  senders: ChannelSender[];
  devices: DeviceStore;
  preferences: PreferenceStore;
  tokens: ActionTokens;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  notificationMetrics: NotificationMetrics;
  random?: () => number;
  options?: DeliveryWorkerOptions;
}

const deviceKindOf: Record<ChannelSender['channel'], DeviceKind> = { email: 'email', sms: 'phone', push: 'push' };
const actionTitles = {
  en: { taken: 'Taken', skip: 'Skip', snooze: 'Snooze 10 min' },
  zh: { taken: '已服用', skip: '跳过', snooze: '10 分钟后提醒' },
};

interface Claimed {
  id: string;
  notification_id: string;
  channel: string;
  attempts: number;
}

/**
 * Sends the queued deliveries of the channels beyond the app. A round claims due deliveries
 * (`FOR UPDATE SKIP LOCKED`, then a claim time, so replicas share them and a dead process's
 * claims lapse), sends each to the person's verified devices, and records the outcome: sent; or
 * tried again later with exponential backoff and jitter; or, after the last attempt or a
 * permanent refusal, failed — a dead letter admins can see. Each channel has a circuit breaker,
 * so a provider that is down is not hammered; its deliveries wait their backoff and go out once
 * it is back. Delivery is at least once: a process killed between a provider's acceptance and
 * the record of it sends that one message again.
 */
export class DeliveryWorker extends BaseService {
  readonly #senders = new Map<string, { sender: ChannelSender; policy: ResiliencePolicy }>();
  readonly #options: Required<DeliveryWorkerOptions>;
  readonly #loop: PollingLoop;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    super('notification-delivery');
    // Unset options get their defaults: an option passed on as undefined must not replace one.
    const given = Object.fromEntries(Object.entries(deps.options ?? {}).filter(([, value]) => value !== undefined));
    const pollIntervalMs = deps.options?.pollIntervalMs ?? 500;
    this.#options = {
      pollIntervalMs,
      maxIdleIntervalMs: Math.max(5_000, pollIntervalMs),
      batchSize: 100,
      concurrency: 16,
      maxAttempts: 10,
      claimMs: 60_000,
      retryBaseMs: 2_000,
      retryMaxMs: 60_000,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 30_000,
      ...given,
    };
    if (!(this.#options.maxIdleIntervalMs >= this.#options.pollIntervalMs))
      throw new RangeError('delivery worker: maxIdleIntervalMs must be at least pollIntervalMs');
    this.#loop = new PollingLoop(
      async () => {
        try {
          await this.deliverDue();
          return { nextDueInMs: await this.#nextDueInMs() };
        } catch (error) {
          this.deps.logger.warn({ err: error }, 'delivery round failed');
          return false;
        }
      },
      this.#options.pollIntervalMs,
      this.#options.maxIdleIntervalMs,
    );
    for (const sender of deps.senders) {
      this.#senders.set(sender.channel, {
        sender,
        policy: createResiliencePolicy({
          name: `notification-${sender.channel}`,
          timeoutMs: 15_000,
          breakerThreshold: this.#options.breakerThreshold,
          breakerHalfOpenAfterMs: this.#options.breakerHalfOpenAfterMs,
          logger: deps.logger,
          metrics: deps.metrics,
        }),
      });
    }
  }

  /** The channels this worker can send on. */
  get channels(): string[] {
    return [...this.#senders.keys()];
  }

  /** A delivery was just queued in this process: look within the poll interval, not after a long rest. */
  wake(): void {
    this.#loop.wake();
  }

  protected async doStart(): Promise<void> {
    this.#loop.start();
  }

  protected async doStop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Sends what is due now, round after round until nothing is. Returns how many were handled. */
  async deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const handled = await this.#round();
      total += handled;
      if (handled < this.#options.batchSize || this.#loop.stopping) return total;
    }
  }

  /** How long until the next queued delivery on this worker's channels is due; undefined when none is queued. */
  async #nextDueInMs(): Promise<number | undefined> {
    const channels = this.channels;
    if (channels.length === 0) return undefined;
    const next = await this.deps.db.primary
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', '=', 'queued')
      .where('channel', 'in', channels)
      .executeTakeFirst();
    return next?.at ? new Date(next.at).getTime() - this.deps.clock.now().getTime() : undefined;
  }

  async #round(): Promise<number> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const channels = this.channels;
    if (channels.length === 0) return 0;
    const claimedUntil = new Date(now.getTime() + this.#options.claimMs);
    const claimed = (await db.primary
      .updateTable('deliveries')
      .set({ claimed_until: claimedUntil })
      .where(
        'id',
        'in',
        db.primary
          .selectFrom('deliveries')
          .select('id')
          .where('status', '=', 'queued')
          .where('channel', 'in', channels)
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
          .orderBy('next_attempt_at')
          .limit(this.#options.batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'notification_id', 'channel', 'attempts'])
      .execute()) as Claimed[];
    if (claimed.length === 0) return 0;

    const notifications = new Map(
      (
        await db.primary
          .selectFrom('notifications')
          .selectAll()
          .where(
            'id',
            'in',
            claimed.map((c) => c.notification_id),
          )
          .execute()
      ).map((n) => [n.id, n]),
    );
    const userIds = [...notifications.values()].map((n) => n.user_id);
    const preferences = await this.deps.preferences.getMany(userIds);
    const addresses = new Map<string, Map<string, DeviceAddress[]>>();
    for (const channel of new Set(claimed.map((c) => c.channel))) {
      const kind = deviceKindOf[channel as ChannelSender['channel']];
      if (kind) addresses.set(channel, await this.deps.devices.verifiedAddresses(userIds, kind));
    }

    const queue = [...claimed];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const notification = notifications.get(item.notification_id);
        if (!notification) continue;
        const prefs = preferences.get(notification.user_id);
        const language = prefs?.language || (notification.data.language === 'zh' ? 'zh' : 'en');
        const to = addresses.get(item.channel)?.get(notification.user_id) ?? [];
        await this.#deliver(item, to, {
          deliveryId: item.id,
          notificationId: notification.id,
          kind: notification.kind,
          title: notification.title,
          body: notification.body,
          language,
          data: notification.data,
          actions:
            notification.data.reminderKind === 'dose_due'
              ? (['taken', 'skip', 'snooze'] as const).map((action) => ({
                  action,
                  title: actionTitles[language][action],
                  token: this.deps.tokens.sign({
                    notificationId: notification.id,
                    userId: notification.user_id,
                    action,
                    expiresAt: clock.now().getTime() + actionTokenTtlMs,
                  }),
                }))
              : [],
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, claimed.length) }, worker));
    return claimed.length;
  }

  async #deliver(item: Claimed, to: DeviceAddress[], message: OutgoingMessage): Promise<void> {
    const { db, clock, notificationMetrics } = this.deps;
    const entry = this.#senders.get(item.channel)!;
    const attempts = item.attempts + 1;
    const record = async (values: {
      status: 'queued' | 'sent' | 'failed';
      error?: string;
      providerRef?: string;
      nextAttemptAt?: Date;
      deadLetter?: boolean;
    }) => {
      await db.primary
        .updateTable('deliveries')
        .set({
          status: values.status,
          attempts,
          last_error: values.error ?? null,
          provider_ref: values.providerRef ?? null,
          next_attempt_at: values.nextAttemptAt ?? null,
          dead_letter: values.deadLetter ?? false,
          claimed_until: null,
          updated_at: clock.now(),
        })
        .where('id', '=', item.id)
        .execute();
      notificationMetrics.deliveries.inc({
        channel: item.channel,
        status: values.deadLetter ? 'dead_letter' : values.status === 'queued' ? 'retry' : values.status,
      });
    };
    if (to.length === 0) {
      await record({ status: 'failed', error: `no verified ${deviceKindOf[entry.sender.channel]} to send to` });
      return;
    }
    try {
      const refs: string[] = [];
      let delivered = 0;
      let lastError: unknown;
      for (const address of to) {
        try {
          const receipt = await entry.policy.executeOnce((signal) => entry.sender.send(address, message, signal));
          delivered += 1;
          if (receipt.providerRef) refs.push(receipt.providerRef);
        } catch (error) {
          if (error instanceof PermanentDeliveryError && address.kind === 'push') {
            await this.deps.devices.dropPushEndpoint(address.address);
          }
          lastError = error;
        }
      }
      if (delivered === 0) throw lastError;
      await record({ status: 'sent', providerRef: refs.join(' ') || undefined });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentDeliveryError || attempts >= this.#options.maxAttempts) {
        await record({ status: 'failed', error: reason, deadLetter: true });
        this.deps.logger.warn({ deliveryId: item.id, channel: item.channel, reason }, 'delivery failed for good');
        return;
      }
      const delay = retryDelayMs(
        attempts,
        this.deps.random ?? Math.random,
        this.#options.retryBaseMs,
        this.#options.retryMaxMs,
      );
      await record({ status: 'queued', error: reason, nextAttemptAt: new Date(clock.now().getTime() + delay) });
    }
  }

  /** Each channel's breaker state, for the admin page and tests. */
  breakerStates(): Record<string, string> {
    return Object.fromEntries([...this.#senders].map(([channel, { policy }]) => [channel, policy.breakerState()]));
  }
}

/** A raw helper for tests and admins: deliveries of a notification. */
export const deliveriesOf = (db: SchemaDatabase<NotificationTables>, notificationId: string) =>
  db.primary
    .selectFrom('deliveries')
    .selectAll()
    .where('notification_id', '=', notificationId)
    .orderBy(sql`channel`)
    .execute();
