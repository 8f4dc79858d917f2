import { insertTestUser, personCaller } from '@tend/health/testing';
import { databaseTargets, invalidArgumentViolations } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';

// The limits of the inbox, device and preference requests are the contract's field rules
// (notification.proto), checked before a handler runs; errors name fields by their JSON path.
describe.each(databaseTargets())('notification requests held to the contract on $kind PostgreSQL', (target) => {
  let harness: NotificationHarness;
  let caller: ReturnType<typeof personCaller>;
  beforeAll(async () => {
    harness = await startNotificationHarness(target);
    caller = personCaller(await insertTestUser(harness.health.context, { timeZone: 'UTC' }));
  });
  afterAll(() => harness?.stop());
  const client = () => harness.notification.client;

  it('inbox: ids to mark read are 1 to 500 UUIDs', async () => {
    expect(await invalidArgumentViolations(client().markRead({ caller, notificationIds: [] }))).toEqual([
      { field: 'notificationIds', message: 'must contain at least 1 item(s)' },
    ]);
    const ids = [crypto.randomUUID(), 'not-a-uuid'];
    expect(await invalidArgumentViolations(client().markRead({ caller, notificationIds: ids }))).toEqual([
      { field: 'notificationIds[1]', message: 'must be a valid UUID' },
    ]);
    expect((await client().markRead({ caller, notificationIds: [crypto.randomUUID()] })).updated).toBe(0);
  });

  it('preferences: the language is en, zh or empty, the zone’s name at most 64 characters, the follow-up at most 240 minutes, and nothing is stored', async () => {
    const before = (await client().getPreferences({ caller })).preferences;
    expect(
      await invalidArgumentViolations(
        client().updatePreferences({ caller, preferences: { language: 'fr', followUpMinutes: 241 } }),
      ),
    ).toEqual([
      { field: 'preferences.language', message: 'must be in list [, en, zh]' },
      {
        field: 'preferences.followUpMinutes',
        message: 'must be greater than or equal to 0 and less than or equal to 240',
      },
    ]);
    expect(
      await invalidArgumentViolations(
        client().updatePreferences({ caller, preferences: { timeZone: 'Z'.repeat(65) } }),
      ),
    ).toEqual([{ field: 'preferences.timeZone', message: 'must be at most 64 characters' }]);
    expect((await client().getPreferences({ caller })).preferences).toEqual(before);
  });

  it('devices: a device is named by its UUID and verified with six digits', async () => {
    expect(
      await invalidArgumentViolations(client().verifyDevice({ caller, deviceId: 'phone-1', code: '12345' })),
    ).toEqual([
      { field: 'deviceId', message: 'must be a valid UUID' },
      { field: 'code', message: 'does not match regex pattern `^[0-9]{6}$`' },
    ]);
    expect(await invalidArgumentViolations(client().deleteDevice({ caller, deviceId: 'phone-1' }))).toEqual([
      { field: 'deviceId', message: 'must be a valid UUID' },
    ]);
  });

  it('reminders: a snooze is at most 240 minutes', async () => {
    expect(await invalidArgumentViolations(client().snoozeLatestReminder({ caller, minutes: 241 }))).toEqual([
      { field: 'minutes', message: 'must be greater than or equal to 0 and less than or equal to 240' },
    ]);
  });
});
