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

// A provider down for a while under load: the outage is 60 s; the suite takes
// TEND_TEST_OUTAGE_MS (default 3 s), which exercises the same retries and breaker.
const outageMs = Number(process.env.TEND_TEST_OUTAGE_MS ?? 3_000);
const people = 20;
const perPerson = 4;
const service = create(CallerSchema, { role: Role.SERVICE, service: 'test' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(databaseTargets())('a provider outage under load on $kind PostgreSQL', (target) => {
  const smtp = new SmtpTestServer();
  let harness: NotificationHarness;
  let dataDir: string;

  beforeAll(async () => {
    await smtp.start();
    dataDir = await mkdtemp(join(tmpdir(), 'tend-outage-'));
    harness = await startNotificationHarness(target, {
      dataDir,
      runScheduler: true,
      channels: {
        email: { smtpUrl: smtp.url, from: 'Tend <reminders@tend.test>' },
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
    await smtp.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Waits until no delivery is queued any more (or fails after `ms`). */
  const settled = async (ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const { n } = await harness.db.primary
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow();
      if (Number(n) === 0) return;
      if (Date.now() > deadline) throw new Error(`${n} deliveries still queued`);
      await sleep(100);
    }
  };

  it('delivers every e-mail once after the SMTP server comes back, with the retries and the breaker in the metrics', async () => {
    const addresses: string[] = [];
    const recipients: string[] = [];
    for (let i = 0; i < people; i += 1) {
      const id = await insertTestUser(harness.health.context, { timeZone: 'UTC' });
      const caller = personCaller(id);
      const address = `p${i}-${target.kind}@example.test`;
      const { device } = await harness.notification.client.registerDevice({
        caller,
        kind: DeviceKind.EMAIL,
        address,
      });
      const mail = smtp.received.findLast((m) => m.to.includes(address))!;
      const code = /code is (\d{6})/.exec(mail.raw)![1]!;
      await harness.notification.client.verifyDevice({ caller, deviceId: device!.id, code });
      addresses.push(address);
      recipients.push(id);
    }

    smtp.down();
    const titles: string[] = [];
    const sending = (async () => {
      // The load arrives while the server is down: spread over the outage.
      for (let round = 0; round < perPerson; round += 1) {
        for (const [i, userId] of recipients.entries()) {
          const title = `Outage ${target.kind} ${round}-${String(i).padStart(2, '0')}`;
          titles.push(title);
          await harness.notification.client.sendNotification({
            caller: service,
            userId,
            channels: [Channel.EMAIL],
            title,
            body: 'Hello',
            kind: 'urgent_reading',
            idempotencyKey: `outage-${round}-${i}`,
          });
        }
        await sleep(outageMs / perPerson);
      }
    })();
    await sending;
    expect(smtp.received.filter((m) => m.raw.includes(`Outage ${target.kind}`))).toEqual([]);
    smtp.up();
    await settled(60_000);

    // Every message once.
    for (const title of titles) {
      expect(smtp.received.filter((m) => m.raw.includes(title))).toHaveLength(1);
    }
    const rows = await harness.db.primary
      .selectFrom('deliveries')
      .select(['status', 'dead_letter', 'attempts'])
      .where('channel', '=', 'email')
      .execute();
    expect(rows.filter((r) => r.status !== 'sent' || r.dead_letter)).toEqual([]);
    expect(rows.some((r) => r.attempts > 1)).toBe(true);

    const metrics = await harness.notification.metrics.registry.metrics();
    expect(metrics).toMatch(/tend_notification_deliveries_total\{channel="email",status="retry"\} [1-9]/);
    expect(metrics).toMatch(
      /tend_circuit_breaker_transitions_total\{breaker="notification-email",state="open"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /tend_circuit_breaker_transitions_total\{breaker="notification-email",state="closed"\} [1-9]/,
    );
  }, 120_000);
});
