import { Admin } from '@platformatic/kafka';
import { requireInfra } from '@tend/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tend/core';
import type { CloudEvent } from './cloud-event.js';
import { deleteTopics, eventually, runId } from '@tend/testing/events';
import { KafkaEventBus } from './kafka-event-bus.js';
import { kafkaConnectionOptions, type KafkaSecurity } from '@tend/core';

// The broker of scripts/infra.sh has a SASL_SSL listener with a CA the script generated.
const tlsBrokers = process.env.TEST_KAFKA_TLS_BROKERS?.split(',');
const plainBrokers = process.env.TEST_KAFKA_BROKERS?.split(',');
const hasTls = requireInfra('Kafka with TLS (TEST_KAFKA_TLS_BROKERS)', tlsBrokers && plainBrokers);
const logger = createLogger({ level: 'silent' });

const security = (overrides: Partial<KafkaSecurity> = {}): KafkaSecurity => ({
  protocol: 'sasl_ssl',
  caFile: process.env.TEST_KAFKA_TLS_CA_FILE,
  saslMechanism: 'plain',
  username: process.env.TEST_KAFKA_SASL_USERNAME,
  password: process.env.TEST_KAFKA_SASL_PASSWORD,
  ...overrides,
});

/** Lists the topics through the TLS listener with `connection`; rejects when the broker refuses it. */
async function listTopicsWith(connection: ReturnType<typeof kafkaConnectionOptions>): Promise<string[]> {
  const admin = new Admin({
    ...connection,
    clientId: `tls-probe-${runId()}`,
    bootstrapBrokers: tlsBrokers!,
    connectTimeout: 5_000,
    retries: 0,
  });
  try {
    return await admin.listTopics();
  } finally {
    await admin.close();
  }
}

describe.runIf(hasTls)('the event bus over TLS with SASL against the real broker', () => {
  const topic = `tls_${runId()}`;
  afterAll(() => deleteTopics(plainBrokers!, [topic]));

  it('publishes and consumes through the SASL_SSL listener, verifying the broker against the CA', async () => {
    const bus = new KafkaEventBus({
      brokers: tlsBrokers!,
      connection: kafkaConnectionOptions(security()),
      logger,
      topics: [{ name: topic, partitions: 1, retentionDays: 1 }],
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    });
    await bus.start();
    try {
      const received: string[] = [];
      await bus.subscribe({
        topic,
        group: 'tls',
        handler: async (event) => {
          received.push(event.id);
        },
      });
      const id = `tls-${runId()}`;
      await bus.publish([
        {
          topic,
          event: {
            specversion: '1.0',
            id,
            source: '/tend/test',
            type: 'tend.test.happened',
            time: new Date().toISOString(),
            datacontenttype: 'application/json',
            data: null,
            partitionkey: 'person-1',
          } satisfies CloudEvent,
        },
      ]);
      await eventually('the event consumed over TLS', () => received.includes(id), 60_000);
      expect(received).toEqual([id]);
    } finally {
      await bus.stop();
    }
  }, 90_000);

  it('is refused with a wrong password, without the CA, or in plain text', async () => {
    expect(await listTopicsWith(kafkaConnectionOptions(security()))).toEqual(expect.any(Array));
    await expect(listTopicsWith(kafkaConnectionOptions(security({ password: 'wrong' })))).rejects.toThrow();
    // The system's CAs do not know the test CA: the certificate check fails, nothing is sent.
    await expect(listTopicsWith(kafkaConnectionOptions(security({ caFile: undefined })))).rejects.toThrow();
    await expect(listTopicsWith({})).rejects.toThrow();
  }, 60_000);
});
