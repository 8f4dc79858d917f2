import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient, type HandlerContext, type Transport } from '@connectrpc/connect';
import {
  ForbiddenError,
  TaskService,
  UnauthenticatedError,
  ValidationError,
  randomIds,
  systemClock,
  type Clock,
  type Ids,
  type Logger,
  type Metrics,
} from '@tend/core';
import {
  OutboxRelay,
  idempotentBatchHandler,
  idempotentHandler,
  topics,
  type CloudEvent,
  type EventBus,
  type Subscription,
} from '@tend/events';
import { loadMigrations, type Database } from '@tend/db';
import { type GrpcServiceModule } from '@tend/rpc';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import { HealthInternalService } from '@tend/proto/tend/health/v1/health_internal_service';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import {
  BatchSendResultSchema,
  NotificationSchema,
  NotificationService,
  StreamNotificationsResponseSchema,
  type SendNotificationRequest,
  type SendNotificationResponse,
} from '@tend/proto/tend/notification/v1/notification';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ActionTokens } from './actions/action-tokens.js';
import { AlertConsumer } from './alerts/alert-consumer.js';
import { ReminderActions } from './actions/reminder-actions.js';
import { SmsReplies } from './actions/sms-replies.js';
import type { ChannelSender } from './channels/channel-sender.js';
import { EmailSender, type EmailSenderOptions } from './channels/email-sender.js';
import { PushSender, loadVapidKeys } from './channels/push-sender.js';
import { SmsSender, type SmsSenderOptions } from './channels/sms-sender.js';
import { TwilioApiProvider, type TwilioApiOptions } from './channels/twilio-api.js';
import type { NotificationTables } from './db/tables.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery/delivery-worker.js';
import { deviceHandlers } from './devices/device-handlers.js';
import { DeviceStore } from './devices/device-store.js';
import { InboxStore } from './inbox/inbox-store.js';
import { LiveInbox } from './inbox/live-inbox.js';
import { writeNotifications } from './inbox/notification-writer.js';
import { NotificationMetrics } from './notification-metrics.js';
import {
  channelDeliveryMessage,
  channelName,
  deliveredNotification,
  preferencesFromMessage,
  preferencesMessage,
  upcomingReminderMessage,
} from './notification-proto.js';
import {
  deliveryPlanFor,
  kindNames,
  validatePreferences,
  type ChannelName,
  type KindName,
} from './preferences/preference-rules.js';
import { PreferenceStore } from './preferences/preference-store.js';
import { PreparedReminders } from './reminders/prepared-reminders.js';
import { ReminderDispatcher } from './reminders/reminder-dispatcher.js';
import { ReminderScheduler, compileSchedulerOptions, type SchedulerOptions } from './reminders/reminder-scheduler.js';
import { upcomingReminders } from './reminders/reminder-store.js';

export interface NotificationServiceDeps {
  database: Database;
  bus: EventBus;
  /** How the health service is reached: the scheduler lists what is due from it (HealthInternalService), reminders and alerts read and log for a person (HealthPublicService). */
  health: Transport;
  logger: Logger;
  metrics: Metrics;
  /** The reminder scheduler's timing. @default see `SchedulerOptions` */
  scheduler?: SchedulerOptions;
  /** Run the scheduler in this process (every replica may). @default true */
  runScheduler?: boolean;
  /** Channels beyond the app; each is on when configured. @default in-app only */
  channels?: ChannelSettings;
  /** The delivery worker's timing and retries. @default see `DeliveryWorkerOptions` */
  delivery?: DeliveryWorkerOptions;
  /** The data directory; generated keys (VAPID, action tokens) go to `keysDir`, not here. */
  dataDir?: string;
  /** Where generated keys are kept when not configured (`TEND_KEYS_DIR`, 0700). @default `<dataDir>/keys` */
  keysDir?: string;
  /** @default 'notification' */
  schema?: string;
  /** @default the system clock */
  clock?: Clock;
  /** @default random UUIDs */
  ids?: Ids;
}

/** How each channel is reached. */
export interface ChannelSettings {
  /** E-mail over SMTP. */
  email?: Omit<EmailSenderOptions, 'actionUrl'>;
  /**
   * SMS providers speaking Twilio's Messages API, in order of preference (failover), with each
   * provider's timeout and breaker (the sender's defaults when unset).
   */
  sms?: { providers: TwilioApiOptions[] } & Pick<
    SmsSenderOptions,
    'timeoutMs' | 'breakerThreshold' | 'breakerHalfOpenAfterMs'
  >;
  /** Web Push; keys generated into `dataDir` when not given. Absent: push off. */
  push?: { publicKey?: string; privateKey?: string; subject?: string };
  /** The gateway's public URL, for the action links in e-mails. @default 'http://127.0.0.1:8080' */
  publicUrl?: string;
  /** Base64 key (32 bytes) signing action links; generated into `dataDir` when unset. */
  actionKey?: string;
}

/** The notification service module, and its scheduler for callers (tests, benches) that drive it. */
export interface NotificationServiceModule extends GrpcServiceModule {
  scheduler: ReminderScheduler;
  delivery: DeliveryWorker;
  /** Signs action tokens (tests use it to act as a push button would). */
  tokens: ActionTokens;
}

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const upcomingWindowMs = 24 * 60 * 60 * 1000;
/** Health events after which the stored reminders may be stale. */
const scheduleEvents = new Set([
  'tend.health.medication.changed',
  'tend.health.dose.logged',
  'tend.health.user.updated',
]);

/** The person a call is for; persons only (a service acting alone has no inbox). */
function personOf(caller: Caller | undefined): string {
  if (!caller?.userId) throw new UnauthenticatedError('this call needs the person it is for (caller.user_id)');
  if (!uuidPattern.test(caller.userId)) throw ValidationError.field('caller.user_id', 'must be a UUID');
  return caller.userId;
}

/**
 * The notification service: the reminder scheduler, each person's in-app inbox (stored, and live
 * to gateways through the `notification_queue` topic), their delivery preferences, and the
 * contract's send calls for other services. The in-app channel always works; other channels
 * deliver only where a sender is configured.
 */
export async function createNotificationService(deps: NotificationServiceDeps): Promise<NotificationServiceModule> {
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const schema = deps.schema ?? 'notification';
  const db = deps.database.schema<NotificationTables>(schema);
  const metrics = new NotificationMetrics(deps.metrics);
  const schedulerOptions = compileSchedulerOptions(deps.scheduler);
  // Logging a dose and reading a person are public methods called for the person; listing what is
  // due across people is internal, called with this service's token.
  const health = createClient(HealthPublicService, deps.health);
  const healthFeeds = createClient(HealthInternalService, deps.health);
  const preferences = new PreferenceStore(db, clock);
  const inbox = new InboxStore(db, clock);
  const devices = new DeviceStore(db, clock, ids);
  const tokens = await ActionTokens.load({
    key: deps.channels?.actionKey,
    dataDir: deps.dataDir,
    keysDir: deps.keysDir,
  });
  const publicUrl = (deps.channels?.publicUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const email =
    deps.channels?.email &&
    new EmailSender({ ...deps.channels.email, actionUrl: (token) => `${publicUrl}/api/v1/actions/${token}` });
  const sms =
    deps.channels?.sms &&
    new SmsSender({
      // The provider reports delivery to the same webhook as replies (a signed status callback).
      providers: deps.channels.sms.providers.map(
        (p) => new TwilioApiProvider({ statusCallbackUrl: `${publicUrl}/api/v1/sms/inbound`, ...p }),
      ),
      logger: deps.logger,
      metrics: deps.metrics,
      timeoutMs: deps.channels.sms.timeoutMs,
      breakerThreshold: deps.channels.sms.breakerThreshold,
      breakerHalfOpenAfterMs: deps.channels.sms.breakerHalfOpenAfterMs,
    });
  const vapid =
    deps.channels?.push &&
    (await loadVapidKeys({
      ...deps.channels.push,
      dataDir: deps.dataDir ?? join(tmpdir(), 'tend-notification'),
      keysDir: deps.keysDir,
    }));
  const push = vapid && new PushSender(vapid);
  const senders: ChannelSender[] = [email, sms, push].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const enabledChannels = new Set<ChannelName>(['in_app', ...senders.map((s) => s.channel)]);
  const delivery = new DeliveryWorker({
    db,
    senders,
    devices,
    preferences,
    tokens,
    clock,
    logger: deps.logger,
    metrics: deps.metrics,
    notificationMetrics: metrics,
    options: deps.delivery,
  });
  const deliveriesQueued = () => delivery.wake();
  const actions = new ReminderActions({ db, health, tokens, clock, ids });
  const smsReplies =
    deps.channels?.sms &&
    new SmsReplies({ authTokens: deps.channels.sms.providers.map((p) => p.authToken), db, devices, actions, clock });
  const dispatcher = new ReminderDispatcher({
    db,
    preferences,
    clock,
    ids,
    metrics,
    enabledChannels,
    deliveriesQueued,
  });
  const prepared = new PreparedReminders({ db, preferences, clock, ids, metrics, enabledChannels });
  const scheduler = new ReminderScheduler({
    db,
    health: healthFeeds,
    dispatcher,
    prepared,
    clock,
    logger: deps.logger,
    options: schedulerOptions,
  });
  const live = new LiveInbox(deps.bus, deps.logger);

  const migrate = new TaskService(`${schema}-migrations`, async () => {
    await db.migrate(await loadMigrations(migrationsDir));
  });
  const relay = new OutboxRelay({
    schema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
    // Reminders' live events are written ahead, held until their time (migration 0005). At an
    // 08:00 peak the relay reads and locks a round of them (the whole peak, up to 100,000) in the
    // seconds before, and publishes them in batches of 2,000 from then (bench/README.md).
    deliverAt: {
      clock,
      lookaheadMs: schedulerOptions.releaseLookaheadMs,
      batchSize: schedulerOptions.releasePerRound,
    },
    batchSize: 2000,
  });
  const alerts = new AlertConsumer({
    health,
    preferences,
    enabledChannels,
    schema,
    clock,
    ids,
    logger: deps.logger,
    email,
    sms,
    deliveriesQueued,
  });
  const handleAlert = idempotentHandler(db, `${schema}-alerts`, (event, trx, topic) =>
    alerts.handle(event, trx, topic),
  );
  // The alerts of a backlog (written while Kafka was away), one transaction per batch.
  const handleAlerts = idempotentBatchHandler(db, `${schema}-alerts`, (events, trx) =>
    alerts.handleUrgentReadings(events, trx),
  );
  // Schedule changes note the person for a targeted reconcile; a deleted person is forgotten.
  // Shared group: one replica handles each event; the note is in PostgreSQL, so whichever
  // replica's scheduler comes first reconciles that person.
  const subscriptions: Subscription[] = [];
  const listenForChanges = new TaskService(
    `${schema}-health-events`,
    async () => {
      // An urgent reading is on both topics (as two events); its alert comes from notification_queue's.
      const isAlert = (event: CloudEvent, topic: string) =>
        event.type === 'tend.health.alert.raised' && topic === topics.notificationQueue.name;
      const handleHealthEvent = async (event: CloudEvent, topic: string) => {
        if (isAlert(event, topic)) await handleAlert(event, topic);
        else if (event.type === 'tend.health.alert.raised') return;
        else if (scheduleEvents.has(event.type)) {
          // The person whose schedules changed (health's partition key); any replica's
          // scheduler reconciles them from the stored note.
          if (uuidPattern.test(event.partitionkey)) await scheduler.noteChanged(event.partitionkey);
          else scheduler.requestReconcile();
        } else if (event.type === 'tend.health.user.deleted' && uuidPattern.test(event.partitionkey)) {
          await forget(event.partitionkey);
        }
      };
      for (const topic of [topics.notificationQueue.name, topics.analyticsEvents.name]) {
        subscriptions.push(
          await deps.bus.subscribe({
            topic,
            group: `${schema}-scheduler`,
            handler: handleHealthEvent,
            // The alerts in one transaction. Of the rest, only a deletion must stay in its place
            // among them (no alert for a forgotten person); a reconcile request may come early.
            batchHandler: async (events, topic) => {
              const run: CloudEvent[] = [];
              const flush = () => (run.length > 0 ? handleAlerts(run.splice(0), topic) : undefined);
              for (const event of events) {
                if (isAlert(event, topic)) run.push(event);
                else {
                  if (event.type === 'tend.health.user.deleted') await flush();
                  await handleHealthEvent(event, topic);
                }
              }
              await flush();
            },
          }),
        );
      }
      // An emergency said to Tend.
      subscriptions.push(
        await deps.bus.subscribe({
          topic: topics.conversationEvents.name,
          group: `${schema}-alerts`,
          handler: async (event, topic) => {
            if (event.type === 'tend.conversation.turn.completed') await handleAlert(event, topic);
          },
        }),
      );
    },
    async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    },
  );

  const forget = async (userId: string) => {
    await inbox.forget(userId);
    await preferences.forget(userId);
    await devices.forget(userId);
    await db.primary.deleteFrom('reminders').where('recipient_user_id', '=', userId).execute();
    await db.primary.deleteFrom('reminder_changes').where('user_id', '=', userId).execute();
    await db.primary.deleteFrom('reminder_listings').where('scope', '=', userId).execute();
  };

  const send = async (request: SendNotificationRequest): Promise<SendNotificationResponse> => {
    const caller = request.caller;
    if (caller?.role !== Role.SERVICE && caller?.role !== Role.ADMIN) {
      throw new ForbiddenError('notifications are sent by internal services and admins');
    }
    if (!uuidPattern.test(request.userId)) throw ValidationError.field('user_id', 'must be a person id (UUID)');
    const title = request.title.trim();
    if (title === '' || title.length > 200) throw ValidationError.field('title', 'must be 1 to 200 characters');
    if (request.body.length > 2000) throw ValidationError.field('body', 'must be at most 2000 characters');
    if (!(kindNames as readonly string[]).includes(request.kind)) {
      throw ValidationError.field('kind', `must be one of ${kindNames.join(', ')}`);
    }
    const kind = request.kind as KindName;
    if (request.idempotencyKey.length > 200)
      throw ValidationError.field('idempotency_key', 'must be at most 200 characters');
    let channels: ChannelName[];
    let holdUntil: Date | undefined;
    if (request.channels.length > 0) {
      channels = request.channels.map((c, i) => channelName(c, `channels[${i}]`));
      channels.forEach((channel, i) => {
        if (!enabledChannels.has(channel)) {
          throw ValidationError.field(`channels[${i}]`, `${channel} is not configured on this server`);
        }
      });
      channels = [...new Set(channels)];
    } else {
      const prefs = await preferences.get(request.userId);
      const plan = deliveryPlanFor(kind, prefs, clock.now(), prefs.timeZone, request.urgent);
      channels = plan.channels.filter((c) => enabledChannels.has(c));
      holdUntil = plan.holdUntil;
    }
    const written = await db.transaction(
      (trx) =>
        writeNotifications(
          trx,
          [
            {
              userId: request.userId,
              kind,
              title,
              body: request.body,
              data: {},
              idempotencyKey: request.idempotencyKey || `send:${ids.uuid()}`,
              channels,
              holdUntil,
            },
          ],
          { schema, clock, ids, deliveriesQueued },
        ),
      { consistencyKey: request.userId },
    );
    const notification = written[0]!;
    for (const delivery of notification.created ? notification.deliveries : []) {
      metrics.deliveries.inc({ channel: delivery.channel, status: delivery.status });
    }
    return {
      $typeName: 'tend.notification.v1.SendNotificationResponse',
      notifications: notification.deliveries.map((d) => deliveredNotification(notification, d.channel, d.status)),
    };
  };

  return {
    name: 'notification',
    serviceNames: [NotificationService.typeName],
    scheduler,
    delivery,
    tokens,
    parts: [
      migrate,
      relay,
      live,
      listenForChanges,
      ...(deps.runScheduler === false ? [] : [scheduler, delivery]),
      new TaskService(
        `${schema}-senders`,
        async () => {},
        async () => email?.close(),
      ),
    ],
    routes: (router) =>
      router.service(NotificationService, {
        sendNotification: (request) => send(request),

        async batchSend(request) {
          if (request.requests.length > 500) throw ValidationError.field('requests', 'must hold at most 500 requests');
          const results = [];
          for (const one of request.requests) {
            try {
              results.push(create(BatchSendResultSchema, { result: { case: 'response', value: await send(one) } }));
            } catch (error) {
              if (error instanceof ForbiddenError) throw error;
              results.push(
                create(BatchSendResultSchema, { result: { case: 'error', value: (error as Error).message } }),
              );
            }
          }
          return { results };
        },

        async *streamNotifications(request, context: HandlerContext) {
          const userId = personOf(request.caller);
          const queue: ReturnType<typeof deliveredNotification>[] = [];
          let wake: (() => void) | undefined;
          const stop = live.listen(userId, (n) => {
            queue.push(
              create(NotificationSchema, {
                ...deliveredNotification(
                  { ...n, userId, createdAt: new Date(n.createdAt), readAt: null },
                  'in_app',
                  'delivered',
                ),
              }),
            );
            wake?.();
          });
          const aborted = new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
          try {
            while (!context.signal.aborted) {
              const next = queue.shift();
              if (next) yield create(StreamNotificationsResponseSchema, { notification: next });
              else await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
            }
          } finally {
            stop();
          }
        },

        async listNotifications(request) {
          const userId = personOf(request.caller);
          const [page, unread] = await Promise.all([
            inbox.list(
              userId,
              { limit: request.page?.limit ?? 0, cursor: request.page?.cursor ?? '' },
              request.unreadOnly,
            ),
            inbox.unreadCount(userId),
          ]);
          const deliveries = await inbox.deliveriesOf(page.items.map((item) => item.id));
          return {
            notifications: page.items.map((item) =>
              create(NotificationSchema, {
                ...deliveredNotification(item, 'in_app', 'delivered'),
                deliveries: (deliveries.get(item.id) ?? []).map(channelDeliveryMessage),
              }),
            ),
            page: { nextCursor: page.nextCursor },
            unreadCount: unread,
          };
        },

        async markRead(request) {
          const userId = personOf(request.caller);
          return { updated: await inbox.markRead(userId, request.notificationIds) };
        },

        async getPreferences(request) {
          const userId = personOf(request.caller);
          return { preferences: preferencesMessage(await preferences.get(userId)) };
        },

        async updatePreferences(request) {
          const userId = personOf(request.caller);
          const current = await preferences.get(userId);
          const next = validatePreferences(preferencesFromMessage(request.preferences, current));
          return { preferences: preferencesMessage(await preferences.put(userId, next)) };
        },

        ...deviceHandlers({
          db,
          devices,
          preferences,
          actions,
          smsReplies,
          email,
          sms,
          vapidPublicKey: vapid?.publicKey,
          personOf,
          clock,
          ids,
        }),

        async listUpcomingReminders(request) {
          const userId = personOf(request.caller);
          const now = clock.now();
          const reminders = await upcomingReminders(
            db.primary,
            userId,
            now,
            new Date(now.getTime() + upcomingWindowMs),
          );
          return { reminders: reminders.map(upcomingReminderMessage) };
        },
      }),
  };
}
