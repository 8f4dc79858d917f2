import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ValidationError } from '@tend/core';
import {
  Channel,
  ChannelDeliverySchema,
  DeliveryStatus,
  KindChannelsSchema,
  NotificationKind,
  NotificationSchema,
  PreferencesSchema,
  QuietHoursSchema,
  ReminderState,
  UpcomingReminderSchema,
  type ChannelDelivery,
  type Notification,
  type Preferences,
  type UpcomingReminder,
} from '@tend/proto/tend/notification/v1/notification';
import type { ReminderStateName } from './db/tables.js';
import type { InboxItem, StoredDelivery } from './inbox/inbox-store.js';
import { kindNames, type ChannelName, type KindName, type PersonPreferences } from './preferences/preference-rules.js';
import type { StoredReminder } from './reminders/reminder-store.js';

const channelByName: Record<ChannelName, Channel> = {
  in_app: Channel.IN_APP,
  push: Channel.PUSH,
  sms: Channel.SMS,
  email: Channel.EMAIL,
};
const kindByName: Record<KindName, NotificationKind> = {
  dose_reminder: NotificationKind.DOSE_REMINDER,
  missed_dose: NotificationKind.MISSED_DOSE,
  urgent_reading: NotificationKind.URGENT_READING,
  emergency: NotificationKind.EMERGENCY,
  appointment: NotificationKind.APPOINTMENT,
  caregiver_alert: NotificationKind.CAREGIVER_ALERT,
  health_advisory: NotificationKind.HEALTH_ADVISORY,
};
const deliveryByName: Record<string, DeliveryStatus> = {
  queued: DeliveryStatus.QUEUED,
  sent: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  failed: DeliveryStatus.FAILED,
};
const reminderStateByName: Record<ReminderStateName, ReminderState> = {
  pending: ReminderState.PENDING,
  fired: ReminderState.FIRED,
  missed: ReminderState.MISSED,
  cancelled: ReminderState.CANCELLED,
};

/** A channel of the contract as the service names it; `field` names the request field at fault. */
export function channelName(channel: Channel, field: string): ChannelName {
  const found = (Object.keys(channelByName) as ChannelName[]).find((name) => channelByName[name] === channel);
  if (!found) throw ValidationError.field(field, 'must be a channel (push, sms, email or in_app)');
  return found;
}

/** A notification kind of the contract as the service names it. */
export function kindName(kind: NotificationKind, field: string): KindName {
  const found = kindNames.find((name) => kindByName[name] === kind);
  if (!found) throw ValidationError.field(field, `must be one of ${kindNames.join(', ')}`);
  return found;
}

/** An inbox item as the contract's notification (the in-app channel, delivered). */
export function inboxNotification(item: InboxItem): Notification {
  return create(NotificationSchema, {
    id: item.id,
    userId: item.userId,
    channel: Channel.IN_APP,
    title: item.title,
    body: item.body,
    kind: item.kind,
    status: DeliveryStatus.DELIVERED,
    createdAt: timestampFromDate(item.createdAt),
    readAt: item.readAt ? timestampFromDate(item.readAt) : undefined,
    data: item.data,
  });
}

/** One channel's delivery of a notification, as the contract's notification. */
export function deliveredNotification(
  item: Omit<InboxItem, 'readAt'> & { readAt: Date | null },
  channel: string,
  status: string,
): Notification {
  return create(NotificationSchema, {
    ...inboxNotification(item),
    channel: channelByName[channel as ChannelName] ?? Channel.UNSPECIFIED,
    status: deliveryByName[status] ?? DeliveryStatus.UNSPECIFIED,
  });
}

/** One channel's delivery record as the contract shows it. */
export function channelDeliveryMessage(delivery: StoredDelivery): ChannelDelivery {
  return create(ChannelDeliverySchema, {
    channel: channelByName[delivery.channel as ChannelName] ?? Channel.UNSPECIFIED,
    status: deliveryByName[delivery.status] ?? DeliveryStatus.UNSPECIFIED,
    attempts: delivery.attempts,
    updatedAt: timestampFromDate(delivery.updatedAt),
    nextAttemptAt:
      delivery.status === 'queued' && delivery.nextAttemptAt ? timestampFromDate(delivery.nextAttemptAt) : undefined,
  });
}

export function preferencesMessage(preferences: PersonPreferences): Preferences {
  return create(PreferencesSchema, {
    channels: kindNames.map((kind) =>
      create(KindChannelsSchema, {
        kind: kindByName[kind],
        channels: preferences.channels[kind].map((c) => channelByName[c]),
      }),
    ),
    quietHours: preferences.quietHours && create(QuietHoursSchema, preferences.quietHours),
    language: preferences.language,
    timeZone: preferences.timeZone,
    followUpMinutes: preferences.followUpMinutes,
  });
}

const preferenceLanguages = ['', 'en', 'zh'] as const;

/**
 * Preferences as a person sent them, on top of `current`: kinds not listed keep their channels.
 * Shape only; the rules are checked by `validatePreferences`.
 */
export function preferencesFromMessage(
  message: Preferences | undefined,
  current: PersonPreferences,
): PersonPreferences {
  if (!message) throw ValidationError.field('preferences', 'is required');
  const channels = { ...current.channels };
  message.channels.forEach((entry, index) => {
    const kind = kindName(entry.kind, `preferences.channels[${index}].kind`);
    channels[kind] = entry.channels.map((c, i) => channelName(c, `preferences.channels[${index}].channels[${i}]`));
  });
  return {
    channels,
    quietHours: message.quietHours && { start: message.quietHours.start, end: message.quietHours.end },
    // One of these, as the contract's field rules require.
    language: preferenceLanguages.find((language) => language === message.language) ?? '',
    timeZone: message.timeZone,
    followUpMinutes: message.followUpMinutes,
  };
}

export function upcomingReminderMessage(reminder: StoredReminder): UpcomingReminder {
  return create(UpcomingReminderSchema, {
    id: reminder.id,
    kind: reminder.kind,
    fireAt: timestampFromDate(reminder.fireAt),
    state: reminderStateByName[reminder.state],
    medicationId: reminder.subjectId,
    medicationName: reminder.payload.medicationName,
    localTime: reminder.payload.localTime,
    timeZone: reminder.payload.timeZone,
    scheduledAt: timestampFromDate(reminder.scheduledAt),
    patientUserId: reminder.patientUserId,
  });
}
