import { randomUUID } from 'node:crypto';
import { insertTestUser, linkCaregiver, personCaller } from '@tend/health/testing';
import type { CloudEvent } from '@tend/events';
import { CaregiverScope } from '@tend/proto/tend/health/v1/caregivers';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';

const event = (type: string, personId: string, data: unknown, subject?: string): CloudEvent => ({
  specversion: '1.0',
  id: randomUUID(),
  source: type.startsWith('tend.health') ? '/tend/health' : '/tend/conversation',
  type,
  subject,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data,
  partitionkey: personId,
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(databaseTargets())('alerts on $kind PostgreSQL', (target) => {
  let harness: NotificationHarness;
  // Still unless a test moves it: how long a person's caregivers are reused is read from it.
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    harness = await startNotificationHarness(target, { clock });
  });
  afterAll(async () => harness?.stop());

  const inboxOf = async (userId: string) =>
    (await harness.notification.client.listNotifications({ caller: personCaller(userId) })).notifications;
  /** A patient with two caregivers: one may read vitals, one may not. */
  const family = async () => {
    const context = harness.health.context;
    const patient = await insertTestUser(context, { displayName: 'Ann' });
    const reader = await insertTestUser(context, {
      displayName: 'Bo',
      email: `bo-${patient}@example.test`,
      role: 'caregiver',
    });
    const other = await insertTestUser(context, {
      displayName: 'Cy',
      email: `cy-${patient}@example.test`,
      role: 'caregiver',
    });
    await linkCaregiver(harness.health.client, patient, reader, [CaregiverScope.READ_VITALS]);
    await linkCaregiver(harness.health.client, patient, other, [CaregiverScope.RECEIVE_MISSED_DOSE_ALERTS]);
    return { patient, reader, other };
  };

  it('tells the person and the caregivers who may read vitals about an urgent reading, once', async () => {
    const { patient, reader, other } = await family();
    const alert = event(
      'tend.health.alert.raised',
      patient,
      {
        reason: 'hypertensive_crisis',
        severity: 'urgent',
        kind: 'blood_pressure',
        systolic: 185,
        diastolic: 125,
        unit: 'mm[Hg]',
      },
      randomUUID(),
    );
    // Delivered twice (at least once), and also seen on the analytics topic: one notification each.
    await harness.notification.bus.publish([
      { topic: 'notification_queue', event: alert },
      { topic: 'notification_queue', event: alert },
      { topic: 'analytics_events', event: { ...alert, id: randomUUID() } },
    ]);
    const mine = await until(async () => {
      const inbox = await inboxOf(patient);
      return inbox.length > 0 ? inbox : undefined;
    });
    expect(mine.map((n) => [n.kind, n.title])).toEqual([['urgent_reading', 'Urgent reading']]);
    expect(mine[0]!.body).toContain('185/125 mm[Hg]');
    const theirs = await until(async () => {
      const inbox = await inboxOf(reader);
      return inbox.length > 0 ? inbox : undefined;
    });
    expect(theirs.map((n) => [n.kind, n.title])).toEqual([['caregiver_alert', 'Ann: urgent reading']]);
    expect(await inboxOf(other)).toEqual([]);
  });

  it("reads a person's caregivers again once over a second has passed on the service's clock", async () => {
    const { patient, reader } = await family();
    const urgent = () =>
      harness.notification.bus.publish([
        {
          topic: 'notification_queue',
          event: event(
            'tend.health.alert.raised',
            patient,
            {
              reason: 'hypertensive_crisis',
              severity: 'urgent',
              kind: 'blood_pressure',
              systolic: 190,
              diastolic: 120,
            },
            randomUUID(),
          ),
        },
      ]);
    const inboxHolds = (userId: string, count: number) =>
      until(async () => ((await inboxOf(userId)).length >= count ? true : undefined));
    await urgent();
    await inboxHolds(reader, 1);
    const late = await insertTestUser(harness.health.context, {
      displayName: 'Di',
      email: `di-${patient}@example.test`,
      role: 'caregiver',
    });
    await linkCaregiver(harness.health.client, patient, late, [CaregiverScope.READ_VITALS]);

    // Within the same second the first lookup still answers: the new caregiver is not told yet.
    await urgent();
    await inboxHolds(reader, 2);
    expect(await inboxOf(late)).toEqual([]);

    clock.advance(1_001);
    await urgent();
    await inboxHolds(late, 1);
    expect(await inboxOf(reader)).toHaveLength(3);
  });

  it('reaches every caregiver at once when the person tells Tend about an emergency', async () => {
    const { patient, reader, other } = await family();
    await harness.notification.bus.publish([
      {
        topic: 'conversation_events',
        event: event('tend.conversation.turn.completed', patient, {
          conversationId: randomUUID(),
          intent: 'emergency',
        }),
      },
    ]);
    for (const caregiver of [reader, other]) {
      const inbox = await until(async () => {
        const list = await inboxOf(caregiver);
        return list.length > 0 ? list : undefined;
      });
      expect(inbox.map((n) => [n.kind, n.title])).toEqual([['emergency', 'Ann may need help']]);
    }
  });
});
