import type { Interceptor } from '@connectrpc/connect';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { topics, type Subscription } from '@tend/events';
import type { ListDueRemindersRequest, ListDueRemindersResponse } from '@tend/proto/tend/health/v1/reminders';
import { databaseTargets } from '@tend/testing';
import { eventually } from '@tend/testing/events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManualClock,
  addDailyMedication,
  startNotificationHarness,
  type NotificationHarness,
  type NotificationInstance,
} from '../testing/notification-harness.js';

/** Holds back the end of one kind of listing (full, or of some people) until released. */
class ListingGate {
  #held: ((request: ListDueRemindersRequest) => boolean) | undefined;
  #reached: (() => void) | undefined;
  #release: (() => void) | undefined;

  /** Run on the notification service's calls to health: the last page of a matching listing waits. */
  readonly interceptor: Interceptor = (next) => async (request) => {
    const response = await next(request);
    if (request.stream || response.stream || request.method.name !== 'ListDueReminders') return response;
    const listing = request.message as ListDueRemindersRequest;
    const lastPage = (response.message as ListDueRemindersResponse).page?.nextCursor === '';
    if (lastPage && this.#held?.(listing)) {
      this.#held = undefined;
      const released = new Promise<void>((resolve) => (this.#release = resolve));
      this.#reached?.();
      await released;
    }
    return response;
  };

  /** Holds the next listing that `matches`; resolves once it has listed everything and waits. */
  hold(matches: (request: ListDueRemindersRequest) => boolean): Promise<void> {
    this.#held = matches;
    return new Promise<void>((resolve) => (this.#reached = resolve));
  }

  release(): void {
    this.#release?.();
  }
}

const full = (request: ListDueRemindersRequest) => request.userIds.length === 0;
const targeted = (request: ListDueRemindersRequest) => request.userIds.length > 0;

describe.each(databaseTargets())('targeted reminder reconciles on $kind PostgreSQL', (target) => {
  const clock = new ManualClock(new Date('2026-06-01T08:50:00Z'));
  const gate = new ListingGate();
  let harness: NotificationHarness;
  let second: NotificationInstance;
  const forwarding: Subscription[] = [];
  /** Health's schedule events go to the first instance's bus, or to the second for these people. */
  const toSecond = new Set<string>();
  /** Events of these people are lost on the way (a Kafka fault). */
  const lost = new Set<string>();

  beforeAll(async () => {
    harness = await startNotificationHarness(target, { clock, healthInterceptors: [gate.interceptor] });
    second = await harness.startInstance();
    // As Kafka would: health's events, published by its outbox relay, reach the notification
    // service's consumer; each person's on the instance that holds their partition.
    for (const topic of [topics.notificationQueue.name, topics.analyticsEvents.name]) {
      forwarding.push(
        await harness.health.bus.subscribe({
          topic,
          group: `forward-${topic}`,
          handler: async (event) => {
            if (lost.has(event.partitionkey)) return;
            const instance = toSecond.has(event.partitionkey) ? second : harness.notification;
            await instance.bus.publish([{ topic, event }]);
          },
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(forwarding.map((s) => s.close()));
    await harness?.stop();
  });

  const scheduler = () => harness.notification.module.scheduler;
  const newPerson = async (name: string) => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'UTC', displayName: name });
    return { id, caller: personCaller(id) };
  };
  const addMedication = (caller: ReturnType<typeof personCaller>, name: string, times: string[]) =>
    addDailyMedication(harness, caller, name, times);
  const moveTo = (caller: ReturnType<typeof personCaller>, medicationId: string, times: string[]) =>
    harness.health.client.updateMedication({ caller, medicationId, schedule: { times } });
  /** The person's dose reminders still to fire: [fire time, state]. */
  const doses = async (userId: string) =>
    (
      await harness.db.primary
        .selectFrom('reminders')
        .select(['fire_at', 'state'])
        .where('patient_user_id', '=', userId)
        .where('kind', '=', 'dose_due')
        .orderBy('fire_at')
        .execute()
    ).map((r) => [new Date(r.fire_at).toISOString().slice(11, 16), r.state]);
  /** Waits until every event health wrote was published, i.e. heard of (or lost) by then. */
  const heard = () =>
    eventually('every event of health published', async () => {
      const { rows } = await sql<{ n: string }>`
        SELECT count(*) AS n FROM ${sql.table(`${harness.health.schema}.outbox`)} WHERE published_at IS NULL`.execute(
        harness.db.primary,
      );
      return Number(rows[0]!.n) === 0;
    });
  /** Before each case: no change of an earlier case is left to reconcile. */
  const settle = async () => {
    await heard();
    while (await scheduler().reconcileChanged());
  };
  const inboxOf = async (userId: string) =>
    (await harness.notification.client.listNotifications({ caller: personCaller(userId) })).notifications;
  const fire = async () => {
    await scheduler().prepareAhead();
    await scheduler().dispatchDue();
  };

  it("follows an edit and a stop a minute before the dose among many people, changing only that person's reminders", async () => {
    clock.set('2026-06-01T08:50:00Z');
    const others: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const other = await newPerson(`Other ${i}`);
      await addMedication(other.caller, 'Aspirin', ['09:00']);
      others.push(other.id);
    }
    const cat = await newPerson('Cat');
    const moved = await addMedication(cat.caller, 'Lisinopril', ['09:00']);
    const stopped = await addMedication(cat.caller, 'Vitamin D', ['09:00']);
    await heard();
    await scheduler().reconcile();
    // The creations' events were heard of too; the full reconcile listed after them.
    expect(await scheduler().reconcileChanged()).toBeUndefined();
    clock.set('2026-06-01T08:57:00Z');
    await scheduler().prepareAhead();
    const othersRows = () =>
      harness.db.primary
        .selectFrom('reminders')
        .select(['id', 'state', 'fire_at', 'updated_at', 'notification_id'])
        .where('patient_user_id', 'in', others)
        .orderBy('id')
        .execute();
    const before = await othersRows();
    expect(before.length).toBeGreaterThanOrEqual(80); // each: the dose and its missed-dose alert
    expect(await doses(cat.id)).toEqual([
      ['09:00', 'pending'],
      ['09:00', 'pending'],
    ]);

    clock.set('2026-06-01T08:59:00Z');
    await moveTo(cat.caller, moved.id, ['09:30']);
    await harness.health.client.updateMedication({ caller: cat.caller, medicationId: stopped.id, active: false });
    await heard();
    const result = await scheduler().reconcileChanged();
    expect(result).toMatchObject({ people: 1, upserted: 2, cancelled: 4 });
    expect(await othersRows()).toEqual(before);
    expect(await doses(cat.id)).toEqual([
      ['09:00', 'cancelled'],
      ['09:00', 'cancelled'],
      ['09:30', 'pending'],
    ]);
    expect(await harness.db.primary.selectFrom('reminder_changes').selectAll().execute()).toEqual([]);

    clock.set('2026-06-01T09:00:01Z');
    await fire();
    expect(await inboxOf(cat.id)).toEqual([]);
    expect((await inboxOf(others[0]!)).map((n) => n.title)).toEqual(['Time for your Aspirin']);
    clock.set('2026-06-01T09:30:01Z');
    await fire();
    expect((await inboxOf(cat.id)).map((n) => n.title)).toEqual(['Time for your Lisinopril']);
  });

  it('moves the reminders of a person who changes time zone a minute before the dose, from the event', async () => {
    clock.set('2026-06-06T08:50:00Z');
    await settle();
    const jon = await newPerson('Jon');
    await addMedication(jon.caller, 'Aspirin', ['09:00']);
    await heard();
    await scheduler().reconcile();
    clock.set('2026-06-06T08:59:00Z');
    // 09:00 stays 09:00 in the new zone: in São Paulo (UTC−3) that is 12:00Z.
    await harness.health.client.updateUser({ caller: jon.caller, timeZone: 'America/Sao_Paulo' });
    await heard();
    expect(await scheduler().reconcileChanged()).toMatchObject({ people: 1 });
    expect(await doses(jon.id)).toEqual([
      ['09:00', 'cancelled'],
      ['12:00', 'pending'],
    ]);
  });

  it('keeps the edit a targeted reconcile wrote while a full reconcile, listed before it, was writing', async () => {
    clock.set('2026-06-02T08:00:00Z');
    await settle();
    const eve = await newPerson('Eve');
    const aspirin = await addMedication(eve.caller, 'Aspirin', ['09:00']);
    await scheduler().reconcile();
    // The full reconcile lists everyone, with Eve at 09:00, and waits before writing.
    const listed = gate.hold(full);
    const fullPass = scheduler().reconcile();
    await listed;
    await moveTo(eve.caller, aspirin.id, ['09:15']);
    await heard();
    expect(await scheduler().reconcileChanged()).toMatchObject({ people: 1 });
    expect(await doses(eve.id)).toEqual([
      ['09:00', 'cancelled'],
      ['09:15', 'pending'],
    ]);
    gate.release();
    await fullPass;
    expect(await doses(eve.id)).toEqual([
      ['09:00', 'cancelled'],
      ['09:15', 'pending'],
    ]);
  });

  it('keeps what a full reconcile wrote over a targeted reconcile that listed before it began', async () => {
    clock.set('2026-06-03T08:00:00Z');
    await settle();
    const fay = await newPerson('Fay');
    const aspirin = await addMedication(fay.caller, 'Aspirin', ['09:00']);
    await scheduler().reconcile();
    await moveTo(fay.caller, aspirin.id, ['09:15']);
    await heard();
    // Fay's targeted reconcile lists her at 09:15 and waits; she moves again to 09:45, and that
    // event is lost; a full reconcile lists and writes 09:45; then the targeted one writes.
    const listed = gate.hold(targeted);
    const targetedPass = scheduler().reconcileChanged();
    await listed;
    lost.add(fay.id);
    await moveTo(fay.caller, aspirin.id, ['09:45']);
    await scheduler().reconcile();
    gate.release();
    expect(await targetedPass).toMatchObject({ people: 1, upserted: 0, cancelled: 0 });
    expect(await doses(fay.id)).toEqual([
      ['09:00', 'cancelled'],
      ['09:45', 'pending'],
    ]);
  });

  it('fixes a person whose event was lost at the next full reconcile', async () => {
    clock.set('2026-06-04T08:00:00Z');
    await settle();
    const gil = await newPerson('Gil');
    lost.add(gil.id);
    const aspirin = await addMedication(gil.caller, 'Aspirin', ['09:00']);
    await scheduler().reconcile();
    await moveTo(gil.caller, aspirin.id, ['10:00']);
    expect(await scheduler().reconcileChanged()).toBeUndefined();
    expect(await doses(gil.id)).toEqual([['09:00', 'pending']]);
    await scheduler().reconcile();
    expect(await doses(gil.id)).toEqual([
      ['09:00', 'cancelled'],
      ['10:00', 'pending'],
    ]);
  });

  it('reconciles people heard of by either replica, each once, and takes over a dead holder after its claim', async () => {
    clock.set('2026-06-05T08:00:00Z');
    await settle();
    const [hal, ivy] = [await newPerson('Hal'), await newPerson('Ivy')];
    toSecond.add(ivy.id);
    const hals = await addMedication(hal.caller, 'Aspirin', ['09:00']);
    const ivys = await addMedication(ivy.caller, 'Aspirin', ['09:00']);
    await heard();
    await scheduler().reconcile();
    await moveTo(hal.caller, hals.id, ['09:10']);
    await moveTo(ivy.caller, ivys.id, ['09:20']);
    await heard();
    const rounds = await Promise.all([scheduler().reconcileChanged(), second.module.scheduler.reconcileChanged()]);
    expect(rounds.reduce((sum, round) => sum + (round?.people ?? 0), 0)).toBe(2);
    expect((await doses(hal.id)).filter(([, state]) => state === 'pending')).toEqual([['09:10', 'pending']]);
    expect((await doses(ivy.id)).filter(([, state]) => state === 'pending')).toEqual([['09:20', 'pending']]);

    // A process took Hal's next change and died: no one else takes it until its claim lapses.
    await moveTo(hal.caller, hals.id, ['09:40']);
    await heard();
    await sql`UPDATE ${sql.table(`${harness.schema}.reminder_changes`)} SET claimed_until = now() + interval '1 hour'`.execute(
      harness.db.primary,
    );
    expect(await second.module.scheduler.reconcileChanged()).toBeUndefined();
    await sql`UPDATE ${sql.table(`${harness.schema}.reminder_changes`)} SET claimed_until = now() - interval '1 second'`.execute(
      harness.db.primary,
    );
    expect(await second.module.scheduler.reconcileChanged()).toMatchObject({ people: 1 });
    expect((await doses(hal.id)).filter(([, state]) => state === 'pending')).toEqual([['09:40', 'pending']]);
  });
});
