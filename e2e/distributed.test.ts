import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realInfra, requireInfra } from '@tend/testing';
import { TendProcess, grpcHealth, testPorts } from './tend-process.js';

const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL primary + replica, Redis and Kafka (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_KAFKA_BROKERS)',
  infra.databaseUrl && infra.replicaUrls.length > 0 && infra.redisUrl && infra.kafkaBrokers,
);

describe.runIf(ready)('tend serve --target=health on real PostgreSQL, Redis and Kafka', () => {
  let tend: TendProcess;
  const admin = `http://127.0.0.1:${testPorts.admin}`;

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=health'], {
      DATABASE_URL: infra.databaseUrl!,
      DATABASE_REPLICA_URLS: infra.replicaUrls.join(','),
      REDIS_URL: infra.redisUrl!,
      KAFKA_BROKERS: infra.kafkaBrokers!.join(','),
      TEND_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      TEND_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    });
    await tend.waitForHttp(`${admin}/readyz`);
  });

  afterAll(async () => {
    await tend?.stop();
  });

  it('is ready, serving gRPC, with no embedded database started', async () => {
    expect(await grpcHealth(testPorts.health)).toBe('SERVING');
    expect(tend.output).not.toContain('embedded PostgreSQL ready');
    const report = await (await fetch(`${admin}/readyz`)).json();
    expect(report).toMatchObject({ ready: true, checks: { database: true } });
  });

  it('migrated its own schema on the real primary, and the replica has it too', async () => {
    expect(infra.replicaUrls.length, 'a replica to check').toBeGreaterThan(0);
    for (const url of [infra.databaseUrl!, ...infra.replicaUrls]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'health' ORDER BY table_name",
        );
        expect(rows.map((r) => r.table_name)).toEqual(
          expect.arrayContaining(['outbox', 'platform_migrations', 'processed_events']),
        );
      } finally {
        await client.end();
      }
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await tend.stop()).toBe(0);
  });
});
