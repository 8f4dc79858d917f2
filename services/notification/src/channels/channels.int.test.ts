import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { DoseStatus } from '@tend/proto/tend/health/v1/doses';
import { Channel, DeviceKind } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from './twilio-api.js';
import { ShiftedClock, startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';
import { PushTestService } from '../testing/push-test-service.js';
import { SmtpTestServer } from '../testing/smtp-test-server.js';
import { TwilioTestServer } from '../testing/twilio-test-server.js';

const service = create(CallerSchema, { role: Role.SERVICE, service: 'test' });
const admin = create(CallerSchema, { role: Role.ADMIN, userId: '00000000-0000-4000-8000-000000000001' });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );

describe.each(databaseTargets())('delivery channels on $kind PostgreSQL', (target) => {
  const smtp = new SmtpTestServer();
  const twilio = new TwilioTestServer();
  const backup = new TwilioTestServer(`AC${'0'.repeat(31)}2`, 'backup-token');
  const pushService = new PushTestService();
  let harness: NotificationHarness;
  let dataDir: string;
  const clock = new ShiftedClock();

  beforeAll(async () => {
    await Promise.all([smtp.start(), twilio.start(), backup.start(), pushService.start()]);
    dataDir = await mkdtemp(join(tmpdir(), 'tend-notification-'));
    harness = await startNotificationHarness(target, {
      clock,
      dataDir,
      channels: {
        email: { smtpUrl: smtp.url, from: 'Tend <reminders@tend.test>' },
        sms: {
          providers: [
            {
              name: 'twilio',
              baseUrl: twilio.baseUrl,
              accountSid: twilio.accountSid,
              authToken: twilio.authToken,
              from: '+15005550006',
            },
            {
              name: 'signalwire',
              baseUrl: backup.baseUrl,
              accountSid: backup.accountSid,
              authToken: backup.authToken,
              from: '+15005550007',
            },
          ],
        },
        push: { subject: 'mailto:ops@tend.test' },
        publicUrl: 'https://tend.test',
      },
      delivery: { retryBaseMs: 40, retryMaxMs: 200, maxAttempts: 4, breakerThreshold: 3, breakerHalfOpenAfterMs: 300 },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await Promise.all([smtp.stop(), twilio.stop(), backup.stop(), pushService.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = () => harness.notification.client;
  const newPerson = async () => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'UTC' });
    return { id, caller: personCaller(id) };
  };
  const deliverUntilSettled = async (ms = 5_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      await harness.notification.module.delivery.deliverDue();
      const pending = await harness.db.primary
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow();
      if (Number(pending.n) === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** The next whole minute (UTC, the people's zone), as "HH:MM". */
  const nextMinute = () =>
    new Date(Math.ceil((clock.now().getTime() + 1) / 60_000) * 60_000).toISOString().slice(11, 16);
  /** Reconciles, then moves time just past the next whole minute: a dose there is due. */
  const reachNextMinute = async () => {
    await harness.notification.module.scheduler.reconcile();
    clock.jumpTo(new Date(Math.ceil((clock.now().getTime() + 1) / 60_000) * 60_000 + 500));
  };
  const verifyEmail = async (caller: ReturnType<typeof personCaller>, address: string) => {
    const { device } = await client().registerDevice({ caller, kind: DeviceKind.EMAIL, address });
    const mail = smtp.received.findLast((m) => m.to.includes(address))!;
    const code = /code is (\d{6})/.exec(mail.raw)![1]!;
    return (await client().verifyDevice({ caller, deviceId: device!.id, code })).device!;
  };

  it('verifies an e-mail address by the code sent to it, then e-mails in HTML and text', async () => {
    const ann = await newPerson();
    const { device } = await client().registerDevice({
      caller: ann.caller,
      kind: DeviceKind.EMAIL,
      address: 'ann@example.test',
    });
    expect(device!.verified).toBe(false);
    const wrong = await failure(client().verifyDevice({ caller: ann.caller, deviceId: device!.id, code: '000000' }));
    expect(wrong?.code).toBe(Code.InvalidArgument);
    const verified = await verifyEmail(ann.caller, 'ann@example.test');
    expect(verified.verified).toBe(true);

    const sent = await client().sendNotification({
      caller: service,
      userId: ann.id,
      channels: [Channel.EMAIL, Channel.IN_APP],
      title: 'Blood pressure alert',
      body: 'A reading of 185/125 was recorded.',
      kind: 'urgent_reading',
      idempotencyKey: 'alert-1',
    });
    expect(sent.notifications.map((n) => n.channel).sort()).toEqual([Channel.EMAIL, Channel.IN_APP].sort());
    await deliverUntilSettled();
    const mail = smtp.received.findLast((m) => m.raw.includes('Blood pressure alert'))!;
    expect(mail.to).toEqual(['ann@example.test']);
    expect(mail.raw).toContain('Content-Type: text/plain');
    expect(mail.raw).toContain('Content-Type: text/html');
    const rows = await harness.db.primary.selectFrom('deliveries').selectAll().where('channel', '=', 'email').execute();
    expect(rows.some((r) => r.status === 'sent' && r.provider_ref)).toBe(true);
  });

  it('refuses a phone number not in E.164 and an invalid push subscription, storing nothing', async () => {
    const ben = await newPerson();
    const phone = await failure(
      client().registerDevice({ caller: ben.caller, kind: DeviceKind.PHONE, address: '0151 2345678' }),
    );
    expect(phone?.code).toBe(Code.InvalidArgument);
    expect(phone?.rawMessage).toContain('address');
    const push = await failure(
      client().registerDevice({
        caller: ben.caller,
        kind: DeviceKind.PUSH,
        pushSubscription: { endpoint: 'https://push.example/x', p256dh: 'AAAA', auth: 'BBBB' },
      }),
    );
    expect(push?.rawMessage).toContain('push_subscription.p256dh');
    expect((await client().listDevices({ caller: ben.caller })).devices).toEqual([]);
  });

  it('texts through the backup provider when the first is down, after verifying the phone by code', async () => {
    const cat = await newPerson();
    twilio.failWith(503);
    try {
      const { device } = await client().registerDevice({
        caller: cat.caller,
        kind: DeviceKind.PHONE,
        address: '+4915123456789',
      });
      const code = /code is (\d{6})/.exec(backup.accepted.at(-1)!.body)![1]!;
      await client().verifyDevice({ caller: cat.caller, deviceId: device!.id, code });
      await client().sendNotification({
        caller: service,
        userId: cat.id,
        channels: [Channel.SMS],
        title: 'Emergency',
        body: 'Cat asked for help.',
        kind: 'emergency',
        idempotencyKey: 'sos-1',
      });
      await deliverUntilSettled();
      expect(backup.accepted.at(-1)).toMatchObject({ to: '+4915123456789', from: '+15005550007' });
      expect(backup.accepted.at(-1)!.body).toContain('Cat asked for help.');
    } finally {
      twilio.failWith(undefined);
    }
    expect(twilio.unauthorized + backup.unauthorized).toBe(0);
  });

  it('pushes a message the push service accepts by its VAPID token and the browser decrypts', async () => {
    const dan = await newPerson();
    const { publicKey } = await client().getVapidPublicKey({});
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    const subscription = pushService.subscribe();
    await client().registerDevice({ caller: dan.caller, kind: DeviceKind.PUSH, pushSubscription: subscription });
    await client().sendNotification({
      caller: service,
      userId: dan.id,
      channels: [Channel.PUSH],
      title: 'Heads up',
      body: 'Your reading was high.',
      kind: 'urgent_reading',
      idempotencyKey: 'push-1',
    });
    await deliverUntilSettled();
    const push = pushService.received.find((p) => p.subscriptionId === subscription.id)!;
    expect(JSON.parse(push.payload)).toMatchObject({ title: 'Heads up', body: 'Your reading was high.' });
    expect(pushService.refused).toEqual([]);

    // Unsubscribed in the browser: the push service answers 410, and the subscription is dropped.
    pushService.unsubscribe(subscription.id);
    await client().sendNotification({
      caller: service,
      userId: dan.id,
      channels: [Channel.PUSH],
      title: 'Again',
      body: 'x',
      kind: 'urgent_reading',
      idempotencyKey: 'push-2',
    });
    await deliverUntilSettled();
    expect((await client().listDevices({ caller: dan.caller })).devices).toEqual([]);
  });

  it('retries e-mail while the SMTP server refuses it and delivers it once when the server is back', async () => {
    const eve = await newPerson();
    await verifyEmail(eve.caller, 'eve@example.test');
    smtp.down();
    await client().sendNotification({
      caller: service,
      userId: eve.id,
      channels: [Channel.EMAIL],
      title: 'Retry me',
      body: 'Hello',
      kind: 'urgent_reading',
      idempotencyKey: 'retry-1',
    });
    await harness.notification.module.delivery.deliverDue();
    const queued = await harness.db.primary
      .selectFrom('deliveries')
      .selectAll()
      .where('last_error', 'is not', null)
      .where('status', '=', 'queued')
      .execute();
    expect(queued.length).toBeGreaterThan(0);
    smtp.up();
    await new Promise((resolve) => setTimeout(resolve, 350)); // the breaker half-opens
    await deliverUntilSettled();
    expect(smtp.received.filter((m) => m.raw.includes('Retry me'))).toHaveLength(1);
  });

  it('dead-letters a delivery after its last attempt, and shows it to admins only', async () => {
    const fay = await newPerson();
    await verifyEmail(fay.caller, 'fay@example.test');
    smtp.down();
    try {
      await client().sendNotification({
        caller: service,
        userId: fay.id,
        channels: [Channel.EMAIL],
        title: 'Never arrives',
        body: 'x',
        kind: 'urgent_reading',
        idempotencyKey: 'dead-1',
      });
      await deliverUntilSettled(10_000);
    } finally {
      smtp.up();
    }
    const { deadLetters } = await client().listDeadLetters({ caller: admin });
    expect(deadLetters.find((d) => d.title === 'Never arrives')).toMatchObject({ channel: Channel.EMAIL, attempts: 4 });
    const refused = await failure(client().listDeadLetters({ caller: fay.caller }));
    expect(refused?.code).toBe(Code.PermissionDenied);
    // Its page sizes are every list's, refused by the contract's rule on them in the same words.
    const oversized = await failure(client().listDeadLetters({ caller: admin, page: { limit: 101 } }));
    expect(oversized?.code).toBe(Code.InvalidArgument);
    expect(oversized?.rawMessage).toBe('page.limit: must be greater than or equal to 0 and less than or equal to 100');
  });

  it('logs a dose taken from a push action token once; a replayed or forged token changes nothing', async () => {
    const gus = await newPerson();
    const { medication } = await harness.health.client.createMedication({
      caller: gus.caller,
      name: 'Aspirin',
      dose: 81,
      doseUnit: 'mg',
      schedule: { times: [nextMinute()] },
    });
    await reachNextMinute();
    await harness.notification.module.scheduler.dispatchDue();
    const [reminder] = (await client().listNotifications({ caller: gus.caller })).notifications;
    expect(reminder?.title).toBe('Time for your Aspirin');
    const token = harness.notification.module.tokens.sign({
      notificationId: reminder!.id,
      userId: gus.id,
      action: 'taken',
      // By the service's clock, which earlier tests' jumps to the next minute have moved ahead.
      expiresAt: clock.now().getTime() + 60_000,
    });
    expect((await client().performAction({ token })).action).toBe('taken');
    const replay = await failure(client().performAction({ token }));
    expect(replay?.code).toBe(Code.AlreadyExists);
    const forged = await failure(client().performAction({ token: `${token.split('.')[0]}.AAAA` }));
    expect(forged?.code).toBe(Code.InvalidArgument);
    const { entries } = await harness.health.client.listDoseLog({ caller: gus.caller, medicationId: medication!.id });
    expect(entries.map((e) => e.status)).toEqual([DoseStatus.TAKEN]);
  });

  it('logs a dose from an SMS reply "1", and refuses a webhook whose signature does not match', async () => {
    const hal = await newPerson();
    const { device } = await client().registerDevice({
      caller: hal.caller,
      kind: DeviceKind.PHONE,
      address: '+14155552671',
    });
    const code = /code is (\d{6})/.exec(twilio.accepted.at(-1)!.body)![1]!;
    await client().verifyDevice({ caller: hal.caller, deviceId: device!.id, code });
    const { medication } = await harness.health.client.createMedication({
      caller: hal.caller,
      name: 'Metformin',
      dose: 500,
      doseUnit: 'mg',
      schedule: { times: [nextMinute()] },
    });
    await reachNextMinute();
    await harness.notification.module.scheduler.dispatchDue();
    const url = 'https://tend.test/api/v1/sms/inbound';
    const params = { From: '+14155552671', To: '+15005550006', Body: '1', MessageSid: 'SM0001' };
    const forged = await failure(
      client().handleSmsReply({ url, params, signature: twilioSignature('wrong', url, params) }),
    );
    expect(forged?.code).toBe(Code.Unauthenticated);
    expect(
      (await harness.health.client.listDoseLog({ caller: hal.caller, medicationId: medication!.id })).entries,
    ).toEqual([]);
    const answered = await client().handleSmsReply({
      url,
      params,
      signature: twilioSignature(twilio.authToken, url, params),
    });
    expect(answered.reply).toBe('Thanks, logged as taken.');
    const { entries } = await harness.health.client.listDoseLog({ caller: hal.caller, medicationId: medication!.id });
    expect(entries.map((e) => e.status)).toEqual([DoseStatus.TAKEN]);
  });
});
