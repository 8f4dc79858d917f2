import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { createEventBus } from '@tend/events';
import { freePort, isAlive, realInfra, requireInfra } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startNotificationHarness, type NotificationHarness } from '../testing/notification-harness.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const kafkaLibs = join(process.env.TEND_INFRA_DIR ?? join(repoRoot, '.infra'), 'kafka', 'libs');

/**
 * A Kafka broker of this suite's own (scripts/infra.sh in a scratch directory, on free ports,
 * with the jars the shared broker fetched), so that stopping it disturbs no other suite.
 */
class DedicatedKafka {
  #dir = '';
  #env: NodeJS.ProcessEnv = {};
  brokers = '';

  async start(): Promise<void> {
    if (!this.#dir) {
      this.#dir = await mkdtemp(join(tmpdir(), 'tend-kafka-'));
      const [port, controllerPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
      this.brokers = `127.0.0.1:${port}`;
      this.#env = {
        ...process.env,
        TEND_INFRA_DIR: this.#dir,
        TEND_INFRA_KAFKA_PORT: String(port),
        TEND_INFRA_KAFKA_CONTROLLER_PORT: String(controllerPort),
        // Its own TLS listener too: one set in the environment is the shared broker's.
        TEND_INFRA_KAFKA_TLS_PORT: String(tlsPort),
        TEND_INFRA_KAFKA_LIBS: kafkaLibs,
      };
    }
    await run('bash', [join(repoRoot, 'scripts/infra.sh'), 'up', 'kafka'], { env: this.#env, timeout: 180_000 });
  }

  /** Kills the broker outright (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const pidFile = join(this.#dir, 'kafka', 'kafka.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  async remove(): Promise<void> {
    await this.kill();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

const ready = requireInfra('Kafka (TEST_KAFKA_BROKERS)', realInfra().kafkaBrokers) && existsSync(kafkaLibs);

describe.runIf(ready)('reminders with the Kafka broker down', () => {
  const clock = new ManualClock(new Date('2026-10-01T06:59:00Z'));
  const kafka = new DedicatedKafka();
  let harness: NotificationHarness;

  beforeAll(async () => {
    await kafka.start();
    harness = await startNotificationHarness(
      { kind: 'embedded' },
      { clock, bus: (logger) => createEventBus({ brokers: kafka.brokers, logger }) },
    );
  }, 240_000);
  afterAll(async () => {
    await harness?.stop();
    await kafka.remove();
  }, 120_000);

  it('fires them into the inbox on PostgreSQL alone, and publishes their live events once it is back', async () => {
    const id = await insertTestUser(harness.health.context, { timeZone: 'UTC', displayName: 'Kim' });
    const caller = personCaller(id);
    await harness.health.client.createMedication({
      caller,
      name: 'Aspirin',
      dose: 100,
      doseUnit: 'mg',
      startDate: '2026-01-01',
      schedule: { times: ['07:00'] },
    });
    const scheduler = harness.notification.module.scheduler;
    const tick = async () => {
      await scheduler.reconcile();
      await scheduler.prepareAhead();
      return scheduler.dispatchDue();
    };
    await tick();

    await kafka.kill();
    clock.set('2026-10-01T07:00:01Z');
    expect((await tick()).fired).toBe(1);
    const inbox = await harness.notification.client.listNotifications({ caller });
    expect(inbox.notifications.map((n) => n.title)).toEqual(['Time for your Aspirin']);
    const event = () =>
      harness.db.primary
        .selectFrom('outbox' as never)
        .select(sql<Date | null>`published_at`.as('published_at'))
        .where(sql<boolean>`event->>'subject' = ${inbox.notifications[0]!.id}`)
        .executeTakeFirstOrThrow();
    expect((await event()).published_at).toBeNull();

    await kafka.start();
    const deadline = Date.now() + 90_000;
    while ((await event()).published_at === null) {
      if (Date.now() > deadline) throw new Error('the live event was not published after Kafka came back');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 240_000);
});
