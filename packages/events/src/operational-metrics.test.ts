import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '@tend/db';
import type { CloudEvent } from './cloud-event.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { createLogger } from '@tend/core';
import { createResiliencePolicy } from '@tend/core';
import { watchDatabase } from '@tend/db';
import { watchFilesystems } from '@tend/core';
import { Metrics } from '@tend/core';

const logger = createLogger({ level: 'silent' });

/** The value of one series in the exposition text, or undefined when it is not there. */
async function sample(metrics: Metrics, series: string): Promise<number | undefined> {
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function event(key: string): CloudEvent {
  return {
    specversion: '1.0',
    id: `e-${key}-${Math.floor(performance.now() * 1000)}`,
    source: '/tend/test',
    type: 'tend.test.happened',
    time: new Date(0).toISOString(),
    datacontenttype: 'application/json',
    data: null,
    partitionkey: key,
  };
}

describe('operational metrics', () => {
  it('shows a breaker as open (2) after it opens, and closed (0) before', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const policy = createResiliencePolicy({ name: 'weather-api', metrics, retries: 0, breakerThreshold: 2 });
    expect(await sample(metrics, 'tend_circuit_breaker_state{breaker="weather-api"}')).toBe(0);
    for (let i = 0; i < 2; i += 1) {
      await policy.execute(() => Promise.reject(new Error('provider down'))).catch(() => undefined);
    }
    expect(await sample(metrics, 'tend_circuit_breaker_state{breaker="weather-api"}')).toBe(2);
  });

  it('counts the events a consumer group of the in-process bus has not handled yet', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const bus = new MemoryEventBus({ logger, metrics, acknowledge: 'accepted' });
    await bus.start();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe({ topic: 'notification_queue', group: 'notification', handler: () => blocked });
    await bus.publish([1, 2, 3].map(() => ({ topic: 'notification_queue', event: event('person-1') })));
    expect(await sample(metrics, 'tend_events_consumer_lag{topic="notification_queue",group="notification"}')).toBe(3);
    release();
    await bus.stop();
    expect(await sample(metrics, 'tend_events_consumer_lag{topic="notification_queue",group="notification"}')).toBe(
      undefined,
    );
  });

  it('reports the size and free space of the data directory, and nothing for a path that is not there', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    watchFilesystems(metrics, [tmpdir(), '/no/such/directory']);
    const size = await sample(metrics, `tend_filesystem_size_bytes{path="${tmpdir()}"}`);
    const avail = await sample(metrics, `tend_filesystem_avail_bytes{path="${tmpdir()}"}`);
    expect(size).toBeGreaterThan(0);
    expect(avail).toBeGreaterThanOrEqual(0);
    expect(avail).toBeLessThanOrEqual(size!);
    expect(await metrics.text()).not.toContain('/no/such/directory');
  });

  it('shows each replica as the database reports it: up, lag in seconds, in rotation', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const status: DatabaseStatus = {
      embedded: false,
      primary: { url: 'postgres://db:5432/tend', up: true, error: undefined },
      replicas: [
        { url: 'r1:5432/tend', up: true, lagMs: 250, replayLsn: '0/1', inRotation: false, error: undefined },
        { url: 'r2:5432/tend', up: false, lagMs: undefined, replayLsn: undefined, inRotation: false, error: 'down' },
      ],
      trackedWriteKeys: 0,
    };
    watchDatabase(metrics, { status: async () => status });
    expect(await sample(metrics, 'tend_db_primary_up')).toBe(1);
    expect(await sample(metrics, 'tend_db_replica_lag_seconds{replica="r1:5432/tend"}')).toBe(0.25);
    expect(await sample(metrics, 'tend_db_replica_in_rotation{replica="r1:5432/tend"}')).toBe(0);
    expect(await sample(metrics, 'tend_db_replica_up{replica="r2:5432/tend"}')).toBe(0);
    expect(await sample(metrics, 'tend_db_replica_lag_seconds{replica="r2:5432/tend"}')).toBe(undefined);
  });
});
