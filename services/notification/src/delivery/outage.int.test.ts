import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { Channel, DeviceKind } from '@tend/proto/tend/notification/v1/notification';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';
import { SmtpTestServer } from '../testing/smtp-test-server.js';
import { TwilioTestServer } from '../testing/twilio-test-server.js';

// A provider down for a while under load, as long as the outage (60 s). The SMTP and the
// SMS outage run at the same time (concurrent cases on one service), so a target costs one outage
// of wall time; TEND_TEST_OUTAGE_MS shortens it for a quick local run.
const outageMs = Number(process.env.TEND_TEST_OUTAGE_MS ?? 60_000);
const people = 20;
const perPerson = 4;
const service = create(CallerSchema, { role: Role.SERVICE, service: 'test' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(databaseTargets())('a provider outage under load on $kind PostgreSQL', (target) => {
  const smtp = new SmtpTestServer();
  const twilio = new TwilioTestServer();
  let harness: NotificationHarness;
  let dataDir: string;

  beforeAll(async () => {
    await Promise.all([smtp.start(), twilio.start()]);
    dataDir = await mkdtemp(join(tmpdir(), 'tend-outage-'));
    harness = await startNotificationHarness(target, {
      dataDir,
      runScheduler: true,
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
          // A provider that does not answer is given up on after 1 s, not the default 10 s.
          timeoutMs: 1_000,
          breakerHalfOpenAfterMs: 250,
        },
        publicUrl: 'https://tend.test',
      },
      // Enough attempts to outlast the outage: nothing may be dead-lettered by it.
      delivery: {
        pollIntervalMs: 100,
        retryBaseMs: 100,
        retryMaxMs: 500,
        maxAttempts: 1_000,
        breakerThreshold: 5,
        breakerHalfOpenAfterMs: 250,
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await Promise.all([smtp.stop(), twilio.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Waits until no delivery of `channel` is queued any more (or fails after `ms`). */
  const settled = async (channel: 'email' | 'sms', ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const { n } = await harness.db.primary
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'queued')
        .where('channel', '=', channel)
        .executeTakeFirstOrThrow();
      if (Number(n) === 0) return;
      if (Date.now() > deadline) throw new Error(`${n} ${channel} deliveries still queued`);
      await sleep(100);
    }
  };

  /** `people` persons, each with a verified device of `kind` registered through the service. */
  const peopleWith = async (kind: DeviceKind, address: (i: number) => string, code: (address: string) => string) => {
    const recipients: string[] = [];
    for (let i = 0; i < people; i += 1) {
      const id = await insertTestUser(harness.health.context, { timeZone: 'UTC' });
      const caller = personCaller(id);
      const { device } = await harness.notification.client.registerDevice({ caller, kind, address: address(i) });
      await harness.notification.client.verifyDevice({ caller, deviceId: device!.id, code: code(address(i)) });
      recipients.push(id);
    }
    return recipients;
  };

  /**
   * Sends `perPerson` notifications to each recipient on `channel`, spread over the outage (the
   * load arrives while the provider is down). Returns the titles sent.
   */
  const sendThroughOutage = async (recipients: string[], channel: Channel, label: string) => {
    const titles: string[] = [];
    for (let round = 0; round < perPerson; round += 1) {
      for (const [i, userId] of recipients.entries()) {
        const title = `${label} ${round}-${String(i).padStart(2, '0')}`;
        titles.push(title);
        await harness.notification.client.sendNotification({
          caller: service,
          userId,
          channels: [channel],
          title,
          body: 'Hello',
          kind: 'urgent_reading',
          idempotencyKey: `${label}-${round}-${i}`,
        });
      }
      await sleep(outageMs / perPerson);
    }
    return titles;
  };

  /** Every delivery of `channel` sent, none dead-lettered, some retried; retries and the breaker in the metrics. */
  const expectRecovered = async (channel: 'email' | 'sms') => {
    const rows = await harness.db.primary
      .selectFrom('deliveries')
      .select(['status', 'dead_letter', 'attempts'])
      .where('channel', '=', channel)
      .execute();
    expect(rows).toHaveLength(people * perPerson);
    expect(rows.filter((r) => r.status !== 'sent' || r.dead_letter)).toEqual([]);
    expect(rows.some((r) => r.attempts > 1)).toBe(true);
    const metrics = await harness.notification.metrics.registry.metrics();
    expect(metrics).toMatch(
      new RegExp(`tend_notification_deliveries_total\\{channel="${channel}",status="retry"\\} [1-9]`),
    );
    for (const state of ['open', 'closed']) {
      expect(metrics).toMatch(
        new RegExp(
          `tend_circuit_breaker_transitions_total\\{breaker="notification-${channel}",state="${state}"\\} [1-9]`,
        ),
      );
    }
  };

  it.concurrent(
    'delivers every e-mail once after the SMTP server comes back, with the retries and the breaker in the metrics',
    async () => {
      const label = `Outage ${target.kind} mail`;
      const recipients = await peopleWith(
        DeviceKind.EMAIL,
        (i) => `p${i}-${target.kind}@example.test`,
        (address) => /code is (\d{6})/.exec(smtp.received.findLast((m) => m.to.includes(address))!.raw)![1]!,
      );
      smtp.down();
      const titles = await sendThroughOutage(recipients, Channel.EMAIL, label);
      expect(smtp.received.filter((m) => m.raw.includes(label))).toEqual([]);
      smtp.up();
      await settled('email', 60_000);

      for (const title of titles) {
        expect(smtp.received.filter((m) => m.raw.includes(title))).toHaveLength(1);
      }
      await expectRecovered('email');
    },
    outageMs + 120_000,
  );

  it.concurrent(
    'delivers every text once after the SMS provider refused and then timed out, with the retries and both breakers in the metrics',
    async () => {
      const label = `Outage ${target.kind} text`;
      const recipients = await peopleWith(
        DeviceKind.PHONE,
        (i) => `+14155552${String(i).padStart(3, '0')}`,
        (phone) => /code is (\d{6})/.exec(twilio.accepted.findLast((m) => m.to === phone)!.body)![1]!,
      );
      const acceptedBefore = twilio.accepted.length;
      // The first half of the outage the provider answers 503; the second half it answers nothing.
      twilio.failWith(503);
      const hanging = sleep(outageMs / 2).then(() => {
        twilio.failWith(undefined);
        twilio.hang();
      });
      const titles = await sendThroughOutage(recipients, Channel.SMS, label);
      await hanging;
      expect(twilio.accepted.length).toBe(acceptedBefore);
      twilio.answer();
      await settled('sms', 60_000);

      for (const title of titles) {
        expect(twilio.accepted.filter((m) => m.body.startsWith(`${title}:`))).toHaveLength(1);
      }
      expect(twilio.refused).toBeGreaterThan(0);
      await expectRecovered('sms');
      const metrics = await harness.notification.metrics.registry.metrics();
      // The provider's own breaker (timeouts count as failures) opened and closed too.
      for (const state of ['open', 'closed']) {
        expect(metrics).toMatch(
          new RegExp(`tend_circuit_breaker_transitions_total\\{breaker="sms-twilio",state="${state}"\\} [1-9]`),
        );
      }
    },
    outageMs + 120_000,
  );
});
