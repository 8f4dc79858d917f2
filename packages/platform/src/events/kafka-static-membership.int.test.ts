import { Admin } from '@platformatic/kafka';
import { realInfra, requireInfra } from '@tend/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { deleteTopics, runId } from './int-test-support.js';
import { KafkaEventBus } from './kafka-event-bus.js';
import { kafkaGroupId } from './kafka-subscription.js';

const { kafkaBrokers } = realInfra();
const hasKafka = requireInfra('Kafka (TEST_KAFKA_BROKERS)', kafkaBrokers);
const logger = createLogger({ level: 'silent' });

// Why it matters: after a broker restart, a consumer made again joins in its old member's
// place only if it carries the same group.instance.id; as a new member it waits for the group
// to give up on the old one first (a session timeout, measured 22 s in all after a restart).
describe.runIf(hasKafka)('consumer group membership on Kafka', () => {
  const topic = `membership_${runId()}`;
  afterAll(() => deleteTopics(kafkaBrokers!, [topic]));

  it('joins each subscription as a static member of its own, and leaves the group when closed', async () => {
    const bus = () =>
      new KafkaEventBus({ brokers: kafkaBrokers!, logger, topics: [{ name: topic, partitions: 2, retentionDays: 1 }] });
    const buses = [bus(), bus()];
    const admin = new Admin({ clientId: `membership-${runId()}`, bootstrapBrokers: kafkaBrokers! });
    const group = kafkaGroupId('members', topic);
    const members = async () => [
      ...((await admin.describeGroups({ groups: [group] })).get(group)?.members.values() ?? []),
    ];
    try {
      for (const b of buses) await b.start();
      const [first, second] = await Promise.all(
        buses.map((b) => b.subscribe({ topic, group: 'members', handler: async () => undefined })),
      );
      await expect.poll(async () => (await members()).length, { timeout: 60_000, interval: 250 }).toBe(2);
      const ids = (await members()).map((m) => m.groupInstanceId);
      expect(ids.every((id) => typeof id === 'string' && id.startsWith('tend-members-'))).toBe(true);
      expect(new Set(ids).size).toBe(2);

      // Static members still leave on a graceful close, so their partitions move at once.
      await first!.close();
      await expect.poll(async () => (await members()).length, { timeout: 30_000, interval: 250 }).toBe(1);
      await second!.close();
    } finally {
      await admin.close();
      for (const b of buses) await b.stop();
    }
  });
});
