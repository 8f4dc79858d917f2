import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import {
  ChannelSchema,
  KindChannelsSchema,
  NotificationKindSchema,
  NotificationSchema,
  PreferencesSchema,
  QuietHoursSchema,
  UpcomingReminderSchema,
  type NotificationService,
  type Preferences,
} from '@tend/proto/tend/notification/v1/notification';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiEnumNames, enumFromApi, enumToApi, toApiJson } from '../http/api-json.js';
import { contractNumber, contractText } from '../http/contract-fields.js';
import { apiObject, callerOfRequest, idParams, pageOf, pageQuery, zodRoutes } from './route-kit.js';

const kinds = apiEnumNames(NotificationKindSchema);
const channels = apiEnumNames(ChannelSchema);

const listQuery = z.strictObject({
  ...pageQuery,
  unreadOnly: z.enum(['true', 'false']).optional(),
});
const inboxResponse = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.string().nullable(),
  unreadCount: z.number(),
});
const preferencesJson = z.object({
  channels: z.partialRecord(z.enum(kinds), z.array(z.enum(channels))),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  language: z.enum(['en', 'zh', '']),
  timeZone: z.string(),
  followUpMinutes: z.number(),
});
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
// Fields left out keep their value; `quietHours: null` turns quiet hours off.
const preferencesBody = z.strictObject({
  channels: z.partialRecord(z.enum(kinds), z.array(z.enum(channels)).max(4)).optional(),
  quietHours: z.strictObject({ start: clockTime, end: clockTime }).nullable().optional(),
  language: contractText(PreferencesSchema.field.language).optional(),
  timeZone: contractText(PreferencesSchema.field.timeZone).optional(),
  followUpMinutes: contractNumber(PreferencesSchema.field.followUpMinutes).optional(),
});

/** Preferences as the API shows them: channels keyed by kind. */
function preferencesOf(preferences: Preferences | undefined): z.infer<typeof preferencesJson> {
  const channelsByKind: Record<string, string[]> = {};
  for (const entry of preferences?.channels ?? []) {
    const kind = enumToApi(NotificationKindSchema, entry.kind);
    if (kind) channelsByKind[kind] = entry.channels.map((c) => enumToApi(ChannelSchema, c) ?? String(c));
  }
  const quiet = preferences?.quietHours;
  return {
    channels: channelsByKind,
    quietHours: quiet ? { start: quiet.start, end: quiet.end } : null,
    language: (preferences?.language ?? '') as 'en' | 'zh' | '',
    timeZone: preferences?.timeZone ?? '',
    followUpMinutes: preferences?.followUpMinutes ?? 0,
  };
}

/**
 * The signed-in person's notifications: the in-app inbox (`/api/v1/notifications`), their delivery
 * preferences (`/api/v1/notification-preferences`) and the reminders due in the next 24 h
 * (`/api/v1/reminders`). The notification service owns all of it; a person only ever reaches
 * their own.
 */
export function registerNotificationRoutes(
  app: FastifyInstance,
  notification: Client<typeof NotificationService>,
): void {
  const api = zodRoutes(app);
  api.get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Your in-app notifications, newest first, and how many are unread',
        querystring: listQuery,
        response: { 200: inboxResponse },
      },
    },
    async (request) => {
      const listed = await notification.listNotifications({
        caller: callerOfRequest(request),
        page: pageOf(request.query),
        unreadOnly: request.query.unreadOnly === 'true',
      });
      return {
        items: listed.notifications.map((n) => toApiJson(NotificationSchema, n)),
        nextCursor: listed.page?.nextCursor || null,
        unreadCount: listed.unreadCount,
      };
    },
  );
  api.post(
    '/api/v1/notifications/:id/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark a notification read',
        params: idParams,
        response: { 200: z.object({ updated: z.number() }) },
      },
    },
    async (request) => {
      const { updated } = await notification.markRead({
        caller: callerOfRequest(request),
        notificationIds: [request.params.id],
      });
      return { updated };
    },
  );
  api.get(
    '/api/v1/notification-preferences',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Your delivery preferences: channels per kind, quiet hours, language, follow-up delay',
        response: { 200: preferencesJson },
      },
    },
    async (request) =>
      preferencesOf((await notification.getPreferences({ caller: callerOfRequest(request) })).preferences),
  );
  api.put(
    '/api/v1/notification-preferences',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Change your delivery preferences (fields left out keep their value)',
        body: preferencesBody,
        response: { 200: preferencesJson },
      },
    },
    async (request) => {
      const caller = callerOfRequest(request);
      const body = request.body;
      const current = (await notification.getPreferences({ caller })).preferences;
      const quiet = body.quietHours === undefined ? current?.quietHours : (body.quietHours ?? undefined);
      const next = create(PreferencesSchema, {
        channels: Object.entries(body.channels ?? {}).map(([kind, list]) =>
          create(KindChannelsSchema, {
            kind: enumFromApi(NotificationKindSchema, kind),
            channels: (list ?? []).map((c) => enumFromApi(ChannelSchema, c)),
          }),
        ),
        quietHours: quiet && create(QuietHoursSchema, { start: quiet.start, end: quiet.end }),
        language: body.language ?? current?.language ?? '',
        timeZone: body.timeZone ?? current?.timeZone ?? '',
        followUpMinutes: body.followUpMinutes ?? current?.followUpMinutes ?? 30,
      });
      return preferencesOf((await notification.updatePreferences({ caller, preferences: next })).preferences);
    },
  );
  api.get(
    '/api/v1/reminders',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Your reminders in the next 24 h, soonest first',
        response: { 200: z.object({ items: z.array(apiObject) }) },
      },
    },
    async (request) => {
      const { reminders } = await notification.listUpcomingReminders({ caller: callerOfRequest(request) });
      return { items: reminders.map((r) => toApiJson(UpcomingReminderSchema, r)) };
    },
  );
}
