import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../app/api-context.js';
import { unwrap } from './problem.js';
import type { Device, InboxNotification, NotificationPreferences, UpcomingReminder } from './types.js';

// The notification service as the screens use it: the inbox, reminders due soon, preferences and
// devices. A write refreshes exactly the reads it changes.

/** How often the inbox and its unread count are fetched again while the app is open. */
const inboxRefreshMs = 30_000;
const inboxPageSize = 20;

/** The in-app inbox, newest first, a page at a time, with the unread count of the first page. */
export function useInbox() {
  const { client } = useApi();
  return useInfiniteQuery({
    queryKey: ['notifications', 'inbox'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const query = { limit: inboxPageSize, ...(pageParam && { cursor: pageParam }) };
      const result = await unwrap(client.GET('/api/v1/notifications', { params: { query } }));
      return {
        items: result.items as unknown as InboxNotification[],
        nextCursor: result.nextCursor ?? undefined,
        unreadCount: result.unreadCount,
      };
    },
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: inboxRefreshMs,
  });
}

/** Only the unread count, for the navigation's badge (one small page). */
export function useUnreadCount(enabled: boolean) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['notifications', 'unread'],
    enabled,
    queryFn: async () => {
      const query = { limit: 1, unreadOnly: 'true' as const };
      return (await unwrap(client.GET('/api/v1/notifications', { params: { query } }))).unreadCount;
    },
    refetchInterval: inboxRefreshMs,
  });
}

/** Marks one notification read. */
export function useMarkRead() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      unwrap(client.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['notifications'] }),
  });
}

/** Answers a dose reminder from the inbox: taken and skip are logged on the record, snooze asks again in 10 minutes. */
export function useReminderAction() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (input: { id: string; action: 'taken' | 'skip' | 'snooze' }) =>
      (await unwrap(
        client.POST('/api/v1/notifications/{id}/actions', {
          params: { path: { id: input.id } },
          body: { action: input.action },
        }),
      )) as { action: string; snoozedUntil?: string },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['notifications'] });
      await queries.invalidateQueries({ queryKey: ['reminders'] });
      await queries.invalidateQueries({ queryKey: ['doses'] });
      await queries.invalidateQueries({ queryKey: ['adherence'] });
    },
  });
}

/** The reminders that will fire in the next 24 hours, soonest first. */
export function useUpcomingReminders() {
  const { client } = useApi();
  return useQuery({
    queryKey: ['reminders'],
    queryFn: async () => (await unwrap(client.GET('/api/v1/reminders'))).items as unknown as UpcomingReminder[],
  });
}

/** The person's delivery preferences. */
export function usePreferences() {
  const { client } = useApi();
  return useQuery({
    queryKey: ['notification-preferences'],
    queryFn: async () => await unwrap(client.GET('/api/v1/notification-preferences')),
  });
}

/** Changes some preferences; fields left out keep their value, `quietHours: null` turns them off. */
export function useSavePreferences() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: Partial<Pick<NotificationPreferences, 'channels' | 'quietHours' | 'followUpMinutes'>>) =>
      await unwrap(client.PUT('/api/v1/notification-preferences', { body })),
    onSuccess: (saved) => queries.setQueryData(['notification-preferences'], saved),
  });
}

/** The person's phones, e-mail addresses and browser subscriptions. */
export function useDevices() {
  const { client } = useApi();
  return useQuery({
    queryKey: ['devices'],
    queryFn: async () => (await unwrap(client.GET('/api/v1/devices'))).items as unknown as Device[],
  });
}

/** Adds a phone or an e-mail address; a code is sent to it, to be given back by `useVerifyDevice`. */
export function useAddDevice() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: { kind: 'phone' | 'email'; address: string }) =>
      (await unwrap(client.POST('/api/v1/devices', { body }))) as unknown as Device,
    onSuccess: () => queries.invalidateQueries({ queryKey: ['devices'] }),
  });
}

/** Proves a phone or address with the six digits sent to it. */
export function useVerifyDevice() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (input: { id: string; code: string }) =>
      unwrap(
        client.POST('/api/v1/devices/{id}/verify', {
          params: { path: { id: input.id } },
          body: { code: input.code },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['devices'] }),
  });
}

/** Removes a device: nothing is sent to it any more. */
export function useRemoveDevice() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => unwrap(client.DELETE('/api/v1/devices/{id}', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['devices'] }),
  });
}
