import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { Channel, DeliveryStatus, DeviceKind } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';
import { TwilioTestServer } from '../testing/twilio-test-server.js';

const service = create(CallerSchema, { role: Role.SERVICE, service: 'test' });
const admin = create(CallerSchema, { role: Role.ADMIN, userId: '00000000-0000-4000-8000-000000000001' });

// Each notification shows how it went out per channel: queued → sent → delivered (or failed),
// the SMS states as the provider's signed status callback reports them.
describe.each(databaseTargets())('delivery states on $kind PostgreSQL', (target) => {
  const twilio = new TwilioTestServer();
  let harness: NotificationHarness;
  let dataDir: string;

  beforeAll(async () => {
    await twilio.start();
    dataDir = await mkdtemp(join(tmpdir(), 'tend-states-'));
    harness = await startNotificationHarness(target, {
      dataDir,
      channels: {
        sms: {
          providers: [
            {
              name: 'twilio',
              baseUrl: twilio.baseUrl,
              accountSid: twilio.accountSid,
              authToken: twilio.authToken,
              from: '+15005550006',
            },
          ],
        },
        publicUrl: 'https://tend.test',
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await twilio.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = () => harness.notification.client;
  /** A person with a verified phone, and a text sent to them, delivered to the provider. */
  const textedPerson = async (phone: string, key: string) => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'UTC' });
    const caller = personCaller(id);
    const { device } = await client().registerDevice({ caller, kind: DeviceKind.PHONE, address: phone });
    const code = /code is (\d{6})/.exec(twilio.accepted.at(-1)!.body)![1]!;
    await client().verifyDevice({ caller, deviceId: device!.id, code });
    await client().sendNotification({
      caller: service,
      userId: id,
      channels: [Channel.IN_APP, Channel.SMS],
      title: 'Blood pressure alert',
      body: 'A reading of 185/125 was recorded.',
      kind: 'urgent_reading',
      idempotencyKey: key,
    });
    await harness.notification.module.delivery.deliverDue();
    const sms = twilio.accepted.at(-1)!;
    expect(sms.to).toBe(phone);
    return { caller, sid: sms.sid };
  };
  const statesOf = async (caller: ReturnType<typeof personCaller>) => {
    const [notification] = (await client().listNotifications({ caller })).notifications;
    return notification!.deliveries.map((d) => [d.channel, d.status]);
  };

  it('shows a text as sent when the provider accepts it, and delivered when its callback says so', async () => {
    const { caller, sid } = await textedPerson('+4915123450001', 'state-1');
    expect(await statesOf(caller)).toEqual([
      [Channel.IN_APP, DeliveryStatus.DELIVERED],
      [Channel.SMS, DeliveryStatus.SENT],
    ]);
    // The provider was told where to report: the same signed webhook as replies.
    expect(twilio.accepted.at(-1)!.statusCallback).toBe('https://tend.test/api/v1/sms/inbound');

    const sending = twilio.statusCallbackFor(sid, 'sending');
    expect((await client().handleSmsReply(sending)).reply).toBe('');
    expect(await statesOf(caller)).toContainEqual([Channel.SMS, DeliveryStatus.SENT]);
    const delivered = twilio.statusCallbackFor(sid, 'delivered');
    expect((await client().handleSmsReply(delivered)).reply).toBe('');
    expect(await statesOf(caller)).toContainEqual([Channel.SMS, DeliveryStatus.DELIVERED]);
    // A late "sent" or a repeated callback never moves it back.
    await client().handleSmsReply(twilio.statusCallbackFor(sid, 'undelivered', '30003'));
    expect(await statesOf(caller)).toContainEqual([Channel.SMS, DeliveryStatus.DELIVERED]);
  });

  it('marks a text the provider could not deliver failed, for admins to see, with its error code', async () => {
    const { caller, sid } = await textedPerson('+4915123450002', 'state-2');
    await client().handleSmsReply(twilio.statusCallbackFor(sid, 'undelivered', '30003'));
    expect(await statesOf(caller)).toContainEqual([Channel.SMS, DeliveryStatus.FAILED]);
    const { deadLetters } = await client().listDeadLetters({ caller: admin });
    expect(deadLetters.find((d) => d.title === 'Blood pressure alert' && d.userId === caller.userId)).toMatchObject({
      channel: Channel.SMS,
      lastError: 'the provider reported the text undelivered (error 30003)',
    });
  });

  it('refuses a status callback with a bad signature and changes nothing', async () => {
    const { caller, sid } = await textedPerson('+4915123450003', 'state-3');
    const forged = { ...twilio.statusCallbackFor(sid, 'delivered'), signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
    const refused = await client()
      .handleSmsReply(forged)
      .catch((error: unknown) => ConnectError.from(error));
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    expect(await statesOf(caller)).toContainEqual([Channel.SMS, DeliveryStatus.SENT]);
  });
});
