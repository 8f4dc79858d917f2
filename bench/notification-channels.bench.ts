// Sustained dispatch rate of each notification channel against the local servers the tests use:
// a real SMTP server (smtp-server), a server speaking Twilio's Messages API, and a push service
// that checks the VAPID token and decrypts the payload as a browser's would. N notifications to
// one person's verified device are queued, then the delivery worker (16 sends in flight, its
// default) drains them; in-app is the write of N notifications through the service's gRPC API.
// The servers, the service and embedded PostgreSQL share the machine.
//
//   npm run bench:channels -- [notifications per channel=500]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { startNotificationHarness } from '@tend/notification/testing';
import { PushTestService } from '@tend/notification/testing/push-service';
import { SmtpTestServer } from '@tend/notification/testing/smtp-server';
import { TwilioTestServer } from '@tend/notification/testing/twilio-server';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { Channel, DeviceKind } from '@tend/proto/tend/notification/v1/notification';

const count = Number(process.argv[2] ?? 500);
const service = create(CallerSchema, { role: Role.SERVICE, service: 'bench' });

const smtp = new SmtpTestServer();
const twilio = new TwilioTestServer();
const pushService = new PushTestService();
await Promise.all([smtp.start(), twilio.start(), pushService.start()]);
const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-channels-'));
const harness = await startNotificationHarness(
  { kind: 'embedded' },
  {
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
        ],
      },
      push: { subject: 'mailto:ops@tend.test' },
      publicUrl: 'https://tend.test',
    },
  },
);
try {
  const client = harness.notification.client;
  const userId = await insertTestUser(harness.health.context, { timeZone: 'UTC' });
  const caller = personCaller(userId);
  const email = await client.registerDevice({ caller, kind: DeviceKind.EMAIL, address: 'bench@example.test' });
  await client.verifyDevice({
    caller,
    deviceId: email.device!.id,
    code: /code is (\d{6})/.exec(smtp.received.at(-1)!.raw)![1]!,
  });
  const phone = await client.registerDevice({ caller, kind: DeviceKind.PHONE, address: '+4915123456789' });
  await client.verifyDevice({
    caller,
    deviceId: phone.device!.id,
    code: /code is (\d{6})/.exec(twilio.accepted.at(-1)!.body)![1]!,
  });
  await client.registerDevice({ caller, kind: DeviceKind.PUSH, pushSubscription: pushService.subscribe() });

  const send = (channel: Channel, i: number) =>
    client.sendNotification({
      caller: service,
      userId,
      channels: [channel],
      title: `Bench ${Channel[channel]} ${i}`,
      body: 'Your reading was high.',
      kind: 'urgent_reading',
      idempotencyKey: `bench-${channel}-${i}`,
    });

  // In-app: the write itself delivers; 16 calls in flight.
  let next = 0;
  let started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) await send(Channel.IN_APP, next++);
    }),
  );
  report('in-app (write + inbox event)', count, performance.now() - started);

  const received: Record<string, () => number> = {
    EMAIL: () => smtp.received.filter((m) => m.raw.includes('Bench EMAIL')).length,
    SMS: () => twilio.accepted.filter((m) => m.body.includes('Bench SMS')).length,
    PUSH: () => pushService.received.length,
  };
  for (const channel of [Channel.EMAIL, Channel.SMS, Channel.PUSH]) {
    for (let i = 0; i < count; i += 1) await send(channel, i);
    started = performance.now();
    while (received[Channel[channel]]!() < count) {
      await harness.notification.module.delivery.deliverDue();
      if (performance.now() - started > 300_000) throw new Error(`${Channel[channel]}: not all delivered in 5 min`);
    }
    report(Channel[channel].toLowerCase(), count, performance.now() - started);
  }
} finally {
  await harness.stop();
  await Promise.all([smtp.stop(), twilio.stop(), pushService.stop()]);
  await rm(dataDir, { recursive: true, force: true });
}

function report(what: string, n: number, ms: number) {
  console.log(
    `${what}: ${n} in ${(ms / 1000).toFixed(2)} s → ${((n * 1000) / ms).toFixed(0)}/s ` +
      `(load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
  );
}
