import { create } from '@bufbuild/protobuf';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { topics, type CloudEvent, type Subscription } from '@tend/events';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { databaseTargets } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';
import { ReminderFiredMeanwhileError, withdrawUnfired } from './reminder-store.js';

interface LiveEvent {
  id: string;
  title: string;
}

describe.each(databaseTargets())('live events written ahead on $kind PostgreSQL', (target) => {
  const clock = new ManualClock(new Date('2026-05-04T10:57:00Z'));
  let harness: NotificationHarness;
  let subscription: Subscription;
  /** What reached the event bus: the notification of each live event, in order. */
  const received: LiveEvent[] = [];

  beforeAll(async () => {
    harness = await startNotificationHarness(target, { clock, scheduler: { fireHeldAfterMs: 30_000 } });
    subscription = await harness.notification.bus.subscribe({
      topic: topics.notificationQueue.name,
      group: 'held-live-events-test',
      handler: async (event: CloudEvent) => {
        if (event.type === 'tend.notification.created') received.push(event.data as LiveEvent);
      },
    });
  });
  afterAll(async () => {
    await subscription?.close();
    await harness?.stop();
  });

  const newPerson = async (displayName: string) => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'UTC', displayName });
    return { id, caller: personCaller(id) };
  };
  const addMedication = async (caller: ReturnType<typeof personCaller>, name: string, time: string) =>
    (
      await harness.health.client.createMedication({
        caller,
        name,
        dose: 100,
        doseUnit: 'mg',
        startDate: '2026-01-01',
        schedule: { times: [time] },
      })
    ).medication!;
  const tick = async () => {
    await harness.notification.module.scheduler.reconcile();
    await harness.notification.module.scheduler.prepareAhead();
    return harness.notification.module.scheduler.dispatchDue();
  };
  const heldEvents = (userId: string) =>
    harness.db.primary
      .selectFrom('outbox' as never)
      .select([
        sql<Date | null>`deliver_at`.as('deliver_at'),
        sql<Date | null>`published_at`.as('published_at'),
        sql<string>`event->'data'->>'title'`.as('title'),
      ])
      .where(sql<boolean>`partition_key = ${userId} AND deliver_at IS NOT NULL`)
      .execute();
  /**
   * Sends a notification whose live event goes out at once and waits until it reached the bus:
   * the relay has then done a round (held events first) at the clock's present time.
   */
  const relayRound = async (userId: string) => {
    const marker = `marker ${received.length}-${Date.now()}`;
    await harness.notification.client.sendNotification({
      caller: create(CallerSchema, { role: Role.SERVICE, service: 'test' }),
      userId,
      title: marker,
      body: 'marker',
      kind: 'caregiver_alert',
      idempotencyKey: marker,
    });
    await until(() => received.some((event) => event.title === marker), 'the marker event');
  };

  it("publishes a reminder's live event, written ahead, at its time and not before, once", async () => {
    clock.set('2026-05-04T10:57:00Z');
    const ada = await newPerson('Ada');
    await addMedication(ada.caller, 'Aspirin', '11:00');
    await tick();
    expect(await heldEvents(ada.id)).toEqual([
      { deliver_at: new Date('2026-05-04T11:00:00Z'), published_at: null, title: 'Time for your Aspirin' },
    ]);
    clock.set('2026-05-04T10:59:59Z');
    await relayRound(ada.id);
    expect(received.filter((e) => e.title === 'Time for your Aspirin')).toEqual([]);

    clock.set('2026-05-04T11:00:00.200Z');
    await until(() => received.some((e) => e.title === 'Time for your Aspirin'), 'the reminder event');
    // Marked fired (and its nudge added) only 30 s on, apart from the publishing at a peak.
    expect((await tick()).fired).toBe(0);
    clock.set('2026-05-04T11:00:30Z');
    expect((await tick()).fired).toBe(1);
    await relayRound(ada.id);
    const inbox = (await harness.notification.client.listNotifications({ caller: ada.caller })).notifications;
    const reminder = inbox.find((n) => n.title === 'Time for your Aspirin')!;
    expect(received.filter((e) => e.title === 'Time for your Aspirin').map((e) => e.id)).toEqual([reminder.id]);
  });

  it('never publishes the live event of a reminder stopped or moved a minute before its time', async () => {
    clock.set('2026-05-05T10:57:00Z');
    const bo = await newPerson('Bo');
    const stopped = await addMedication(bo.caller, 'Vitamin D', '11:00');
    const moved = await addMedication(bo.caller, 'Lisinopril', '11:00');
    await tick();
    expect(await heldEvents(bo.id)).toHaveLength(2);

    clock.set('2026-05-05T10:59:00Z');
    await harness.health.client.updateMedication({ caller: bo.caller, medicationId: stopped.id, active: false });
    await harness.health.client.updateMedication({
      caller: bo.caller,
      medicationId: moved.id,
      schedule: { times: ['12:00'] },
    });
    await tick();
    expect(await heldEvents(bo.id)).toEqual([]);
    clock.set('2026-05-05T11:00:05Z');
    await tick();
    await relayRound(bo.id);
    expect(
      received.filter((e) => e.title === 'Time for your Vitamin D' || e.title === 'Time for your Lisinopril'),
    ).toEqual([]);
  });

  it('refuses to take back a reminder whose live event went out meanwhile, and changes nothing', async () => {
    clock.set('2026-05-06T10:57:00Z');
    const cy = await newPerson('Cy');
    await addMedication(cy.caller, 'Aspirin', '11:00');
    await tick();
    // The relay published it at its time while a change that read the clock before was running.
    await sql`UPDATE ${sql.table(`${harness.schema}.outbox`)} SET published_at = now()
              WHERE partition_key = ${cy.id} AND deliver_at IS NOT NULL`.execute(harness.db.primary);
    const change = harness.db.transaction(async (trx) => {
      await trx
        .updateTable('reminders')
        .set({ prepared: null, notification_id: null })
        .where('recipient_user_id', '=', cy.id)
        .execute();
      await withdrawUnfired(trx, harness.schema, new Date('2026-05-06T10:59:59Z'), [cy.id]);
    });
    await expect(change).rejects.toBeInstanceOf(ReminderFiredMeanwhileError);
    const reminder = await harness.db.primary
      .selectFrom('reminders')
      .select(['prepared', 'notification_id'])
      .where('recipient_user_id', '=', cy.id)
      .where('kind', '=', 'dose_due')
      .executeTakeFirstOrThrow();
    expect(reminder.prepared).not.toBeNull();
    const written = await harness.db.primary
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', cy.id)
      .execute();
    expect(written.map((n) => n.id)).toEqual([reminder.notification_id]);
  });
});

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} never reached the event bus`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
