import { realInfra, requireInfra } from '@tend/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import type { CloudEvent } from './cloud-event.js';
import { deleteTopics, eventually, runId } from '@tend/testing/events';
import { KafkaEventBus } from './kafka-event-bus.js';

const { kafkaBrokers } = realInfra();
const hasKafka = requireInfra('Kafka (TEST_KAFKA_BROKERS)', kafkaBrokers);
const logger = createLogger({ level: 'silent' });

/** `tend_events_consumer_lag` for one topic and group, as a scrape shows it. */
async function lag(metrics: Metrics, topic: string, group: string): Promise<number | undefined> {
  const series = `tend_events_consumer_lag{topic="${topic}",group="${group}"} `;
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.slice(series.length));
}

describe.runIf(hasKafka)('consumer lag on Kafka', () => {
  const topic = `lag_${runId()}`;
  afterAll(() => deleteTopics(kafkaBrokers!, [topic]));

  it('reports the events a group has not committed while its handler is stuck, and none once it catches up', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const bus = new KafkaEventBus({
      brokers: kafkaBrokers!,
      logger,
      metrics,
      topics: [{ name: topic, partitions: 1, retentionDays: 1 }],
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    });
    await bus.start();
    try {
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => (release = resolve));
      let handled = 0;
      await bus.subscribe({
        topic,
        group: 'lagging',
        handler: async () => {
          await stuck;
          handled += 1;
        },
      });
      const events = Array.from({ length: 5 }, (_, i) => ({
        topic,
        event: {
          specversion: '1.0',
          id: `lag-${i}-${runId()}`,
          source: '/tend/test',
          type: 'tend.test.happened',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: null,
          partitionkey: 'person-1',
        } satisfies CloudEvent,
      }));
      await bus.publish(events);
      await eventually('lag of 5 reported', async () => (await lag(metrics, topic, 'lagging')) === 5);
      release();
      await eventually('all handled', () => handled === 5);
      await eventually('lag back to 0', async () => (await lag(metrics, topic, 'lagging')) === 0);
      expect(handled).toBe(5);
    } finally {
      await bus.stop();
    }
  });
});
