import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { DeviceKind, QuietHoursSchema } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';
import { PushTestService } from '../testing/push-test-service.js';

// Quiet hours delay what would wake a person, they do not drop it: the inbox has the reminder at
// once, and the push goes out when the quiet hours end. Time moves by the injected clock.
describe.each(databaseTargets())('quiet hours on $kind PostgreSQL', (target) => {
  const clock = new ManualClock(new Date('2026-06-01T21:58:00Z'));
  const pushService = new PushTestService();
  let harness: NotificationHarness;
  let dataDir: string;

  beforeAll(async () => {
    await pushService.start();
    dataDir = await mkdtemp(join(tmpdir(), 'tend-quiet-'));
    harness = await startNotificationHarness(target, {
      clock,
      dataDir,
      channels: { push: { subject: 'mailto:ops@tend.test' } },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await pushService.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A person in Berlin with quiet hours 22:00–07:00 local and a push subscription. */
  const quietPerson = async () => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'Europe/Berlin' });
    const caller = personCaller(id);
    const { preferences } = await harness.notification.client.getPreferences({ caller });
    await harness.notification.client.updatePreferences({
      caller,
      preferences: { ...preferences!, quietHours: create(QuietHoursSchema, { start: '22:00', end: '07:00' }) },
    });
    const subscription = pushService.subscribe();
    await harness.notification.client.registerDevice({
      caller,
      kind: DeviceKind.PUSH,
      pushSubscription: subscription,
    });
    return { id, caller, subscription };
  };
  const pushesTo = (subscriptionId: string) => pushService.received.filter((p) => p.subscriptionId === subscriptionId);

  it('puts a reminder in quiet hours in the inbox at once and pushes it when the quiet hours end', async () => {
    clock.set('2026-06-01T21:58:00Z'); // 23:58 in Berlin (CEST)
    const ann = await quietPerson();
    await harness.health.client.createMedication({
      caller: ann.caller,
      name: 'Melatonin',
      dose: 3,
      doseUnit: 'mg',
      startDate: '2026-06-01',
      schedule: { times: ['00:00'] },
    });
    await harness.notification.module.scheduler.reconcile();
    clock.set('2026-06-01T22:00:01Z'); // 00:00 in Berlin, inside the quiet hours
    await harness.notification.module.scheduler.dispatchDue();
    const inbox = (await harness.notification.client.listNotifications({ caller: ann.caller })).notifications;
    expect(inbox.map((n) => n.title)).toEqual(['Time for your Melatonin']);

    await harness.notification.module.delivery.deliverDue();
    expect(pushesTo(ann.subscription.id)).toEqual([]);
    const held = await harness.db.primary
      .selectFrom('deliveries')
      .selectAll()
      .where('notification_id', '=', inbox[0]!.id)
      .where('channel', '=', 'push')
      .executeTakeFirstOrThrow();
    expect(held).toMatchObject({ status: 'queued', next_attempt_at: new Date('2026-06-02T05:00:00Z') });

    clock.set('2026-06-02T04:59:59Z'); // 06:59:59: still quiet
    await harness.notification.module.delivery.deliverDue();
    expect(pushesTo(ann.subscription.id)).toEqual([]);

    clock.set('2026-06-02T05:00:01Z'); // 07:00:01: the quiet hours are over
    await harness.notification.module.delivery.deliverDue();
    const pushed = pushesTo(ann.subscription.id);
    expect(pushed).toHaveLength(1);
    expect(JSON.parse(pushed[0]!.payload)).toMatchObject({ title: 'Time for your Melatonin' });
    // Sent once: another round sends nothing more.
    await harness.notification.module.delivery.deliverDue();
    expect(pushesTo(ann.subscription.id)).toHaveLength(1);
  });

  it('sends an urgent reading in quiet hours at once', async () => {
    clock.set('2026-06-01T23:00:00Z'); // 01:00 in Berlin
    const ben = await quietPerson();
    await harness.notification.client.sendNotification({
      caller: create(CallerSchema, { role: Role.SERVICE, service: 'test' }),
      userId: ben.id,
      title: 'Blood pressure alert',
      body: 'A reading of 185/125 was recorded.',
      kind: 'urgent_reading',
      idempotencyKey: `urgent-${ben.id}`,
    });
    await harness.notification.module.delivery.deliverDue();
    expect(pushesTo(ben.subscription.id)).toHaveLength(1);
  });
});
