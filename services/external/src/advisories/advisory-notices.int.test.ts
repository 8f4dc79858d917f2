import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { PreferencesSchema, QuietHoursSchema } from '@tend/proto/tend/notification/v1/notification';
import { insertTestUser, personCaller as healthPerson } from '@tend/health/testing';
import { startNotificationHarness, type NotificationHarness } from '@tend/notification/testing';
import { inProcessTransport } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

/**
 * Health advisories delivered as notifications, on the real path: the external service computes
 * them from the fake Open-Meteo (its HTTP protocol on loopback) and the real health service's
 * profile, and sends them through the notification service's contract, which applies the
 * person's channels and quiet hours.
 */
describe('health advisories as notifications', () => {
  // 06:30 in Berlin (CEST): before the hour advisories go out.
  let now = new Date('2026-07-02T04:30:00Z');
  const clock = { now: () => now };
  let notification: NotificationHarness;
  let h: ExternalHarness;
  let dataDir: string;
  let ann = ''; // asthma and a diuretic, quiet hours 22:00–08:00
  let bob = ''; // no risk factors
  let mei = ''; // asthma, reads Chinese
  const hot = (maxC: number) => [
    { weatherCode: 0, maxC, minC: 19, precipitationMm: 0, precipitationProbability: 0, windKmh: 5 },
  ];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tend-advisory-'));
    notification = await startNotificationHarness(
      { kind: 'embedded' },
      { clock, dataDir, channels: { push: { subject: 'mailto:ops@tend.test' } } },
    );
    h = await startExternalHarness(
      { kind: 'embedded' },
      { clock, notification: inProcessTransport((router) => notification.notification.module.routes(router)) },
    );
    ann = await insertTestUser(h.health.context, { timeZone: 'Europe/Berlin' });
    bob = await insertTestUser(h.health.context, { timeZone: 'Europe/Berlin' });
    mei = await insertTestUser(h.health.context, { timeZone: 'Europe/Berlin' });
    for (const id of [ann, mei]) {
      await h.health.client.updateUser({ caller: healthPerson(id), profile: { conditions: { values: ['asthma'] } } });
    }
    await h.health.client.updateUser({ caller: healthPerson(mei), locale: 'zh' });
    await h.health.client.createMedication({
      caller: healthPerson(ann),
      name: 'Furosemide',
      dose: 40,
      doseUnit: 'mg',
      schedule: { times: ['08:00'] },
    });
    for (const id of [ann, bob, mei]) await h.client.setPlace({ caller: personCaller(id), location: 'Berlin' });
    const { preferences } = await notification.notification.client.getPreferences({ caller: healthPerson(ann) });
    await notification.notification.client.updatePreferences({
      caller: healthPerson(ann),
      preferences: create(PreferencesSchema, {
        ...preferences!,
        quietHours: create(QuietHoursSchema, { start: '22:00', end: '08:00' }),
        timeZone: 'Europe/Berlin',
      }),
    });
    // Hot (31 °C) and polluted air (US AQI 105, 126 at the fake's afternoon peak): a warning for
    // someone at risk, only "info" for someone who is not.
    h.fake.days = hot(31);
    h.fake.air = { europeanAqi: 62, usAqi: 105, pm2_5: 40, pm10: 50, ozone: 150, nitrogenDioxide: 30 };
  });
  afterAll(async () => {
    await h?.stop();
    await notification?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const advisoriesOf = async (userId: string) => {
    const { notifications } = await notification.notification.client.listNotifications({
      caller: healthPerson(userId),
    });
    return notifications.filter((n) => n.kind === 'health_advisory');
  };
  /** When the push delivery of each of the person's advisories is first tried. */
  const pushTimes = async (userId: string) =>
    (
      await notification.db.primary
        .selectFrom('deliveries as d')
        .innerJoin('notifications as n', 'n.id', 'd.notification_id')
        .select(['n.title', 'd.next_attempt_at'])
        .where('n.user_id', '=', userId)
        .where('n.kind', '=', 'health_advisory')
        .where('d.channel', '=', 'push')
        .orderBy('n.created_at')
        .execute()
    ).map((row) => [row.title, row.next_attempt_at && new Date(row.next_attempt_at).toISOString()]);

  it('waits for the local morning, then tells each person at risk once a day per kind, in their language', async () => {
    expect(await h.advisoryNotices!.tick()).toEqual({ sent: 0, failed: 0 });

    now = new Date('2026-07-02T05:30:00Z'); // 07:30 in Berlin
    // Ann: heat (diuretic) and air (asthma); Mei: air; Bob: nothing above "info".
    expect(await h.advisoryNotices!.tick()).toEqual({ sent: 3, failed: 0 });
    const anns = await advisoriesOf(ann);
    expect(anns.map((n) => n.title).sort()).toEqual(['Air quality today', 'Hot day today']);
    expect(anns.find((n) => n.title === 'Hot day today')!.body).toMatch(
      /^Hot day: up to 31 °C\. Because of a diuretic/,
    );
    expect(await advisoriesOf(bob)).toEqual([]);
    const meis = await advisoriesOf(mei);
    expect(meis.map((n) => n.title)).toEqual(['今天的空气质量']);
    expect(meis[0]!.body).toMatch(/^今天空气质量/);

    // Later rounds the same day send nothing again.
    now = new Date('2026-07-02T09:30:00Z');
    expect(await h.advisoryNotices!.tick()).toEqual({ sent: 0, failed: 0 });
    expect(await advisoriesOf(ann)).toHaveLength(2);
  });

  it('holds a warning for push in quiet hours, and sends a danger at once', async () => {
    // Yesterday's warnings, sent at 07:30 in Ann's quiet hours: pushed when they end at 08:00.
    expect(await pushTimes(ann)).toEqual([
      [expect.any(String), '2026-07-02T06:00:00.000Z'],
      [expect.any(String), '2026-07-02T06:00:00.000Z'],
    ]);

    // The next day at 07:05, 37 °C: a danger for someone on a diuretic, pushed at once.
    h.fake.days = hot(37);
    now = new Date('2026-07-03T05:05:00Z');
    // Ann heat and air, Mei heat and air, Bob heat: 37 °C warns everyone.
    expect((await h.advisoryNotices!.tick()).sent).toBe(5);
    const today = (await pushTimes(ann)).slice(2);
    expect(today).toEqual(
      expect.arrayContaining([
        ['Hot day today', '2026-07-03T05:05:00.000Z'],
        ['Air quality today', '2026-07-03T06:00:00.000Z'],
      ]),
    );
    expect((await advisoriesOf(bob)).map((n) => n.title)).toEqual(['Hot day today']);
  });
});
