import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { DoseStatus } from '@tend/proto/tend/health/v1/doses';
import { QuietHoursSchema, ReminderState } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManualClock,
  addDailyMedication,
  startNotificationHarness,
  type NotificationHarness,
} from '../testing/notification-harness.js';

describe.each(databaseTargets())('reminder scheduler on $kind PostgreSQL', (target) => {
  const clock = new ManualClock(new Date('2026-03-28T06:58:00Z'));
  let harness: NotificationHarness;

  beforeAll(async () => {
    harness = await startNotificationHarness(target, { clock });
  });
  afterAll(async () => harness?.stop());

  const newPerson = async (timeZone: string, displayName = 'Ann') => {
    const id = await insertTestUser(harness.health.context, { timeZone, displayName });
    return { id, caller: personCaller(id) };
  };
  const addMedication = (caller: ReturnType<typeof personCaller>, name: string, times: string[]) =>
    addDailyMedication(harness, caller, name, times);
  const inboxOf = async (userId: string) =>
    (await harness.notification.client.listNotifications({ caller: personCaller(userId) })).notifications;
  // As the scheduler's loop does: reconcile, render what falls due soon, fire what is due.
  const tick = async () => {
    await harness.notification.module.scheduler.reconcile();
    await harness.notification.module.scheduler.prepareAhead();
    return harness.notification.module.scheduler.dispatchDue();
  };

  it('fires a dose reminder once, at its time, into the inbox', async () => {
    clock.set('2026-03-28T06:58:00Z'); // 07:58 in Berlin (CET)
    const ann = await newPerson('Europe/Berlin');
    await addMedication(ann.caller, 'Aspirin', ['08:00']);
    await tick();
    const { reminders } = await harness.notification.client.listUpcomingReminders({ caller: ann.caller });
    expect(reminders.map((r) => [r.kind, r.localTime, r.state])).toContainEqual([
      'dose_due',
      '08:00',
      ReminderState.PENDING,
    ]);
    expect(await inboxOf(ann.id)).toHaveLength(0);

    clock.set('2026-03-28T07:00:00.400Z');
    await tick();
    await tick();
    const inbox = await inboxOf(ann.id);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.title).toBe('Time for your Aspirin');
    expect(inbox[0]!.body).toBe('100 mg of Aspirin at 08:00.');
    expect(inbox[0]!.data.late).toBe('false');
    const listed = await harness.notification.client.listNotifications({ caller: ann.caller });
    expect(listed.unreadCount).toBe(1);
    const marked = await harness.notification.client.markRead({ caller: ann.caller, notificationIds: [inbox[0]!.id] });
    expect(marked.updated).toBe(1);
    expect((await harness.notification.client.listNotifications({ caller: ann.caller })).unreadCount).toBe(0);
  });

  it('writes a reminder ahead, shows it only from its time, and writes it again when the person changes language', async () => {
    clock.set('2026-03-28T10:57:00Z');
    const zoe = await newPerson('UTC', 'Zoe');
    await addMedication(zoe.caller, 'Aspirin', ['11:00']);
    await tick();
    const written = () =>
      harness.db.primary
        .selectFrom('notifications')
        .select(['title', 'created_at'])
        .where('user_id', '=', zoe.id)
        .execute()
        .then((rows) => rows.map((n) => [n.title, new Date(n.created_at).toISOString()]));
    expect(await written()).toEqual([['Time for your Aspirin', '2026-03-28T11:00:00.000Z']]);
    expect(await inboxOf(zoe.id)).toHaveLength(0);
    expect((await harness.notification.client.listNotifications({ caller: zoe.caller })).unreadCount).toBe(0);

    const { preferences } = await harness.notification.client.getPreferences({ caller: zoe.caller });
    await harness.notification.client.updatePreferences({
      caller: zoe.caller,
      preferences: { ...preferences!, language: 'zh' },
    });
    expect(await written()).toEqual([]);
    clock.set('2026-03-28T10:58:00Z');
    await tick();
    expect(await written()).toEqual([['该服用Aspirin了', '2026-03-28T11:00:00.000Z']]);
    clock.set('2026-03-28T11:00:00.300Z');
    const round = await tick();
    expect(round.fired).toBe(1);
    const inbox = await inboxOf(zoe.id);
    expect(inbox.map((n) => [n.title, n.data.late])).toEqual([['该服用Aspirin了', 'false']]);
    // Whole: its in-app delivery, its live event and the nudge 30 minutes on.
    const delivery = await harness.db.primary
      .selectFrom('deliveries')
      .select(['channel', 'status'])
      .where('notification_id', '=', inbox[0]!.id)
      .execute();
    expect(delivery).toEqual([{ channel: 'in_app', status: 'delivered' }]);
    const reminders = await harness.db.primary
      .selectFrom('reminders')
      .select(['kind', 'state', 'fire_at', 'notification_id'])
      .where('recipient_user_id', '=', zoe.id)
      .where('kind', 'in', ['dose_due', 'dose_follow_up'])
      .orderBy('fire_at')
      .execute();
    expect(reminders.map((r) => [r.kind, r.state, new Date(r.fire_at).toISOString()])).toEqual([
      ['dose_due', 'fired', '2026-03-28T11:00:00.000Z'],
      ['dose_follow_up', 'pending', '2026-03-28T11:30:00.000Z'],
    ]);
    expect(reminders[0]!.notification_id).toBe(inbox[0]!.id);
    const events = await harness.db.primary
      .selectFrom('outbox' as never)
      .select(sql<{ subject: string; data: { title: string } }>`event`.as('event'))
      .where(sql<boolean>`event->>'subject' = ${inbox[0]!.id}`)
      .execute();
    expect(events.map((e) => e.event.data.title)).toEqual(['该服用Aspirin了']);
    expect((await tick()).fired).toBe(0);
  });

  it('keeps a reminder at 08:00 local across DST, spring forward and fall back', async () => {
    clock.set('2026-03-28T12:00:00Z');
    const ben = await newPerson('Europe/Berlin', 'Ben');
    await addMedication(ben.caller, 'Metformin', ['08:00']);
    await tick();
    // 29 March 2026: Berlin moves to CEST (UTC+2); 08:00 is 06:00Z.
    const spring = (await harness.notification.client.listUpcomingReminders({ caller: ben.caller })).reminders;
    expect(
      spring
        .filter((r) => r.kind === 'dose_due')
        .map((r) => r.fireAt && new Date(Number(r.fireAt.seconds) * 1000).toISOString()),
    ).toEqual(['2026-03-29T06:00:00.000Z']);
    clock.set('2026-03-29T06:00:01Z');
    await tick();
    expect((await inboxOf(ben.id)).map((n) => n.body)).toEqual(['100 mg of Metformin at 08:00.']);

    // 25 October 2026: back to CET (UTC+1); 08:00 is 07:00Z, and nothing fires at 06:00Z.
    clock.set('2026-10-25T05:59:00Z');
    await tick();
    clock.set('2026-10-25T06:00:30Z');
    await tick();
    expect(await inboxOf(ben.id)).toHaveLength(1);
    clock.set('2026-10-25T07:00:01Z');
    await tick();
    const inbox = await inboxOf(ben.id);
    expect(inbox).toHaveLength(2);
    expect(inbox[0]!.body).toBe('100 mg of Metformin at 08:00.');
    expect(inbox[0]!.data.scheduledAt).toBe('2026-10-25T07:00:00.000Z');
  });

  it('follows a schedule edited, or a medication stopped, a minute before the dose', async () => {
    clock.set('2026-04-01T06:59:00Z'); // 08:59 in Berlin (CEST)
    const cat = await newPerson('Europe/Berlin', 'Cat');
    const moved = await addMedication(cat.caller, 'Lisinopril', ['09:00']);
    const stopped = await addMedication(cat.caller, 'Vitamin D', ['09:00']);
    await tick();
    const upcoming = (await harness.notification.client.listUpcomingReminders({ caller: cat.caller })).reminders;
    expect(upcoming.filter((r) => r.kind === 'dose_due')).toHaveLength(2);

    clock.set('2026-04-01T06:59:30Z');
    await harness.health.client.updateMedication({
      caller: cat.caller,
      medicationId: moved.id,
      schedule: { times: ['10:00'] },
    });
    await harness.health.client.updateMedication({ caller: cat.caller, medicationId: stopped.id, active: false });
    await tick();
    clock.set('2026-04-01T07:00:05Z');
    await tick();
    expect(await inboxOf(cat.id)).toHaveLength(0);
    clock.set('2026-04-01T08:00:01Z');
    await tick();
    expect((await inboxOf(cat.id)).map((n) => n.title)).toEqual(['Time for your Lisinopril']);
  });

  it('moves a reminder to 08:00 in the new zone when the person changes time zone', async () => {
    clock.set('2026-05-01T00:00:00Z');
    const dan = await newPerson('Europe/Berlin', 'Dan');
    await addMedication(dan.caller, 'Aspirin', ['08:00']);
    await tick();
    await harness.health.client.updateUser({ caller: dan.caller, timeZone: 'America/New_York' });
    await tick();
    const upcoming = (await harness.notification.client.listUpcomingReminders({ caller: dan.caller })).reminders;
    expect(upcoming.filter((r) => r.kind === 'dose_due').map((r) => [r.localTime, r.timeZone])).toEqual([
      ['08:00', 'America/New_York'],
    ]);
    clock.set('2026-05-01T06:00:01Z'); // 08:00 Berlin: nothing any more
    await tick();
    expect(await inboxOf(dan.id)).toHaveLength(0);
    clock.set('2026-05-01T12:00:01Z'); // 08:00 in New York (EDT)
    await tick();
    expect(await inboxOf(dan.id)).toHaveLength(1);
  });

  it('sends a reminder that fell due while down late, and marks one over 2 h overdue missed', async () => {
    clock.set('2026-06-01T05:00:00Z');
    const eve = await newPerson('UTC', 'Eve');
    await addMedication(eve.caller, 'Early', ['06:00']);
    await addMedication(eve.caller, 'Later', ['07:30']);
    await tick();
    // Down from 05:00 to 08:10: the 07:30 dose is 40 min overdue, the 06:00 one 2 h 10 min.
    clock.set('2026-06-01T08:10:00Z');
    await harness.notification.module.scheduler.dispatchDue();
    const inbox = await inboxOf(eve.id);
    // The 06:00 dose's own missed-dose alert (due at 08:00) speaks for it, late.
    expect(inbox.map((n) => [n.title, n.data.late]).sort()).toEqual([
      ['Missed dose: Early', 'true'],
      ['Time for your Later', 'true'],
    ]);
    expect(inbox.find((n) => n.title === 'Time for your Later')!.body).toBe(
      '(Late reminder) 100 mg of Later at 07:30.',
    );
    const states = await harness.db.primary
      .selectFrom('reminders')
      .select(['kind', 'state', 'payload'])
      .where('recipient_user_id', '=', eve.id)
      .where('kind', '=', 'dose_due')
      .execute();
    expect(states.map((s) => [s.payload.medicationName, s.state]).sort()).toEqual([
      ['Early', 'missed'],
      ['Later', 'fired'],
    ]);
  });

  it('nudges once about a dose not logged 30 minutes after its time, never about a logged one', async () => {
    clock.set('2026-07-01T07:59:00Z');
    const fay = await newPerson('UTC', 'Fay');
    const taken = await addMedication(fay.caller, 'Taken', ['08:00']);
    await addMedication(fay.caller, 'Forgotten', ['08:00']);
    await tick();
    clock.set('2026-07-01T08:00:01Z');
    await tick();
    await harness.health.client.logDose({
      caller: fay.caller,
      medicationId: taken.id,
      status: DoseStatus.TAKEN,
      scheduledAt: timestampFromDate(new Date('2026-07-01T08:00:00Z')),
    });
    clock.set('2026-07-01T08:30:01Z');
    await tick();
    clock.set('2026-07-01T08:31:00Z');
    await tick();
    const titles = (await inboxOf(fay.id)).map((n) => n.title);
    expect(titles.filter((t) => t.startsWith('Did you take'))).toEqual(['Did you take your Forgotten?']);
  });

  it('fires each reminder exactly once with two instances dispatching at the same time', async () => {
    clock.set('2026-08-01T08:59:00Z');
    const people = [];
    for (let i = 0; i < 120; i += 1) {
      const person = await newPerson('UTC', `P${i}`);
      await addMedication(person.caller, 'Aspirin', ['09:00']);
      people.push(person.id);
    }
    await tick();
    const second = await harness.startInstance();
    clock.set('2026-08-01T09:00:00.500Z');
    const rounds = await Promise.all([
      harness.notification.module.scheduler.dispatchDue(),
      second.module.scheduler.dispatchDue(),
      harness.notification.module.scheduler.dispatchDue(),
      second.module.scheduler.dispatchDue(),
    ]);
    expect(rounds.reduce((sum, r) => sum + r.fired, 0)).toBeGreaterThanOrEqual(120);
    const counts = await harness.db.primary
      .selectFrom('notifications')
      .select((eb) => [
        eb.fn.countAll<string>().as('all'),
        eb.fn.count<string>('idempotency_key').distinct().as('keys'),
      ])
      .where('user_id', 'in', people)
      .executeTakeFirstOrThrow();
    expect(Number(counts.all)).toBe(120);
    expect(Number(counts.keys)).toBe(120);
  });

  it('refuses quiet hours that start and end at once, naming the field, and keeps the old ones', async () => {
    const gus = await newPerson('UTC', 'Gus');
    const { preferences } = await harness.notification.client.getPreferences({ caller: gus.caller });
    expect(preferences!.followUpMinutes).toBe(30);
    await harness.notification.client.updatePreferences({
      caller: gus.caller,
      preferences: { ...preferences!, quietHours: create(QuietHoursSchema, { start: '22:00', end: '07:00' }) },
    });
    const refused = await harness.notification.client
      .updatePreferences({
        caller: gus.caller,
        preferences: { ...preferences!, quietHours: create(QuietHoursSchema, { start: '22:00', end: '22:00' }) },
      })
      .catch((error: unknown) => ConnectError.from(error));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toContain('preferences.quietHours.end');
    const after = await harness.notification.client.getPreferences({ caller: gus.caller });
    expect(after.preferences!.quietHours).toMatchObject({ start: '22:00', end: '07:00' });
  });

  it('sends a notification once per idempotency key', async () => {
    const hal = await newPerson('UTC', 'Hal');
    const service = create(CallerSchema, { role: Role.SERVICE, service: 'test' });
    const request = {
      caller: service,
      userId: hal.id,
      title: 'Hello',
      body: 'Hi',
      kind: 'urgent_reading',
      idempotencyKey: 'k1',
    };
    const first = await harness.notification.client.sendNotification(request);
    const second = await harness.notification.client.sendNotification(request);
    expect(second.notifications[0]!.id).toBe(first.notifications[0]!.id);
    expect(await inboxOf(hal.id)).toHaveLength(1);
    const refused = await harness.notification.client
      .sendNotification({ ...request, caller: hal.caller })
      .catch((error: unknown) => ConnectError.from(error));
    expect((refused as ConnectError).code).toBe(Code.PermissionDenied);
  });

  // Last: it stops this instance's event bus for good.
  it('fires reminders with the event bus down: the scheduler needs only PostgreSQL and the health service', async () => {
    clock.set('2026-09-01T06:59:00Z');
    const ivy = await newPerson('UTC', 'Ivy');
    await addMedication(ivy.caller, 'Aspirin', ['07:00']);
    await tick();
    await harness.notification.bus.stop();
    clock.set('2026-09-01T07:00:01Z');
    await tick();
    expect((await inboxOf(ivy.id)).map((n) => n.title)).toEqual(['Time for your Aspirin']);
    // The live event waits in the outbox for the bus to come back.
    const waiting = await harness.db.primary
      .selectFrom('outbox' as never)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(waiting.n)).toBeGreaterThan(0);
  });
});
