import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { ForbiddenError, UnavailableError, ValidationError, type Clock, type Ids } from '@tend/core';
import { pageLimitOf } from '@tend/rpc';
import { type SchemaDatabase } from '@tend/db';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import {
  Channel,
  DeadLetterSchema,
  DeviceKind,
  DeviceSchema,
  type Device,
  type NotificationService,
} from '@tend/proto/tend/notification/v1/notification';
import type { ReminderActions } from '../actions/reminder-actions.js';
import type { SmsReplies } from '../actions/sms-replies.js';
import type { EmailSender } from '../channels/email-sender.js';
import type { SmsSender } from '../channels/sms-sender.js';
import type { NotificationTables } from '../db/tables.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { e164Of, emailOf, pushSubscriptionOf } from './device-rules.js';
import type { DeviceStore, StoredDevice } from './device-store.js';

type Handlers = Pick<
  ServiceImpl<typeof NotificationService>,
  | 'registerDevice'
  | 'verifyDevice'
  | 'listDevices'
  | 'deleteDevice'
  | 'getVapidPublicKey'
  | 'performAction'
  | 'snoozeLatestReminder'
  | 'handleSmsReply'
  | 'listDeadLetters'
>;

export interface DeviceHandlerDeps {
  db: SchemaDatabase<NotificationTables>;
  devices: DeviceStore;
  preferences: PreferenceStore;
  actions: ReminderActions;
  smsReplies?: SmsReplies;
  email?: EmailSender;
  sms?: SmsSender;
  vapidPublicKey?: string;
  personOf: (caller: Caller | undefined) => string;
  clock: Clock;
  ids: Ids;
}

const kindNames: Record<StoredDevice['kind'], DeviceKind> = {
  push: DeviceKind.PUSH,
  phone: DeviceKind.PHONE,
  email: DeviceKind.EMAIL,
};

function deviceMessage(device: StoredDevice): Device {
  return create(DeviceSchema, {
    id: device.id,
    kind: kindNames[device.kind],
    address: device.address,
    verified: device.verified_at !== null,
    createdAt: timestampFromDate(new Date(device.created_at)),
  });
}

const codeText = {
  en: (code: string) => ({
    title: 'Your Tend code',
    body: `Your Tend verification code is ${code}. It expires in 10 minutes.`,
  }),
  zh: (code: string) => ({ title: 'Tend 验证码', body: `您的 Tend 验证码是 ${code}，10 分钟内有效。` }),
};

/**
 * Devices (register, verify by code, list, delete), the VAPID key, reminder actions, SMS replies
 * and the dead letters, as contract handlers.
 */
export function deviceHandlers(deps: DeviceHandlerDeps): Handlers {
  const sendCode = async (userId: string, device: StoredDevice, code: string) => {
    const language = (await deps.preferences.get(userId)).language || 'en';
    const text = codeText[language](code);
    try {
      if (device.kind === 'phone') await deps.sms!.sendText(device.address, text.body);
      else
        await deps.email!.send(
          { kind: 'email', address: device.address },
          {
            deliveryId: deps.ids.uuid(),
            notificationId: device.id,
            kind: 'verification',
            language,
            data: {},
            actions: [],
            ...text,
          },
        );
    } catch (error) {
      throw new UnavailableError(device.kind, `the code could not be sent to ${device.address}; try again`, {
        cause: error,
      });
    }
  };

  return {
    async registerDevice(request) {
      const userId = deps.personOf(request.caller);
      let registered;
      switch (request.kind) {
        case DeviceKind.PUSH: {
          if (!request.pushSubscription)
            throw ValidationError.field('push_subscription', 'is required for a push device');
          if (!deps.vapidPublicKey) throw ValidationError.field('kind', 'push is not configured on this server');
          const subscription = pushSubscriptionOf(request.pushSubscription);
          registered = await deps.devices.register(userId, 'push', subscription.endpoint, subscription.keys);
          break;
        }
        case DeviceKind.PHONE:
          if (!deps.sms) throw ValidationError.field('kind', 'SMS is not configured on this server');
          registered = await deps.devices.register(userId, 'phone', e164Of(request.address, 'address'));
          break;
        case DeviceKind.EMAIL:
          if (!deps.email) throw ValidationError.field('kind', 'e-mail is not configured on this server');
          registered = await deps.devices.register(userId, 'email', emailOf(request.address, 'address'));
          break;
        case DeviceKind.UNSPECIFIED:
        default:
          throw ValidationError.field('kind', 'must be push, phone or email');
      }
      if (registered.code) await sendCode(userId, registered.device, registered.code);
      return { device: deviceMessage(registered.device) };
    },

    async verifyDevice(request) {
      const userId = deps.personOf(request.caller);
      return { device: deviceMessage(await deps.devices.verify(userId, request.deviceId, request.code)) };
    },

    async listDevices(request) {
      const userId = deps.personOf(request.caller);
      return { devices: (await deps.devices.list(userId)).map(deviceMessage) };
    },

    async deleteDevice(request) {
      const userId = deps.personOf(request.caller);
      await deps.devices.delete(userId, request.deviceId);
      return {};
    },

    async getVapidPublicKey() {
      return { publicKey: deps.vapidPublicKey ?? '' };
    },

    async performAction(request) {
      const outcome = request.token
        ? await deps.actions.byToken(request.token)
        : await deps.actions.byPerson(deps.personOf(request.caller), request.notificationId, request.action);
      return {
        action: outcome.action,
        notificationId: outcome.notificationId,
        snoozedUntil: outcome.snoozedUntil && timestampFromDate(outcome.snoozedUntil),
      };
    },

    async snoozeLatestReminder(request) {
      const outcome = await deps.actions.snoozeLatest(deps.personOf(request.caller), request.minutes);
      return {
        notificationId: outcome.notificationId,
        medicationId: outcome.medicationId,
        medicationName: outcome.medicationName,
        snoozedUntil: outcome.snoozedUntil && timestampFromDate(outcome.snoozedUntil),
      };
    },

    async handleSmsReply(request) {
      if (!deps.smsReplies) throw ValidationError.field('url', 'SMS is not configured on this server');
      return { reply: await deps.smsReplies.handle(request.url, request.params, request.signature) };
    },

    async listDeadLetters(request) {
      if (request.caller?.role !== Role.ADMIN && request.caller?.role !== Role.SERVICE) {
        throw new ForbiddenError('dead letters are for admins');
      }
      // Page sizes and their wording are every list's (the platform's pagination).
      const limit = pageLimitOf(request.page);
      const before = request.page?.cursor ? new Date(Number(request.page.cursor)) : undefined;
      if (before && Number.isNaN(before.getTime()))
        throw ValidationError.field('page.cursor', 'is not a cursor this list gave out');
      let query = deps.db.primary
        .selectFrom('deliveries')
        .innerJoin('notifications', 'notifications.id', 'deliveries.notification_id')
        .select([
          'deliveries.id',
          'deliveries.notification_id',
          'deliveries.channel',
          'deliveries.attempts',
          'deliveries.last_error',
          'deliveries.updated_at',
          'notifications.user_id',
          'notifications.title',
        ])
        .where('deliveries.dead_letter', '=', true);
      if (before) query = query.where('deliveries.updated_at', '<', before);
      const rows = await query
        .orderBy('deliveries.updated_at', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      return {
        deadLetters: page.map((row) =>
          create(DeadLetterSchema, {
            deliveryId: row.id,
            notificationId: row.notification_id,
            userId: row.user_id,
            channel: channelValue(row.channel),
            attempts: row.attempts,
            lastError: row.last_error ?? '',
            failedAt: timestampFromDate(new Date(row.updated_at)),
            title: row.title,
          }),
        ),
        page: { nextCursor: rows.length > limit ? String(new Date(page[page.length - 1]!.updated_at).getTime()) : '' },
      };
    },
  };
}

const channelValues: Record<string, Channel> = {
  push: Channel.PUSH,
  sms: Channel.SMS,
  email: Channel.EMAIL,
  in_app: Channel.IN_APP,
};
const channelValue = (name: string): Channel => channelValues[name] ?? Channel.UNSPECIFIED;
