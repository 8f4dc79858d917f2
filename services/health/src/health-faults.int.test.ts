import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  realInfra,
  requireRedisServer,
  redisServerProcess,
  requireInfra,
  type RedisServerProcess,
} from '@tend/testing';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from './testing/health-harness.js';

const infra = realInfra();

describe.runIf(requireRedisServer())('health reads when Redis dies mid-test', () => {
  let redis: RedisServerProcess;
  let harness: HealthHarness;

  beforeAll(async () => {
    redis = await redisServerProcess();
    await redis.start();
    harness = await startHealthHarness({ kind: 'embedded' }, { redisUrl: redis.url });
  });

  afterAll(async () => {
    await harness?.stop();
    await redis?.stop();
  });

  it('keeps serving profiles and medications from the database, fresh after writes', async () => {
    const ada = await insertTestUser(harness.context, { displayName: 'Ada' });
    const caller = personCaller(ada);
    await harness.client.createMedication({
      caller,
      name: 'Metformin',
      dose: 500,
      doseUnit: 'mg',
      schedule: { times: ['08:00'] },
    });
    expect((await harness.client.getUser({ caller })).user?.displayName).toBe('Ada');
    expect((await harness.client.listMedications({ caller })).medications).toHaveLength(1);

    await redis.stop();
    for (let i = 0; i < 10; i++) {
      expect((await harness.client.getUser({ caller })).user?.displayName).toBe('Ada');
    }
    await harness.client.updateUser({ caller, displayName: 'Ada L.' });
    await harness.client.createMedication({
      caller,
      name: 'Aspirin',
      dose: 81,
      doseUnit: 'mg',
      schedule: { times: ['20:00'] },
    });
    expect((await harness.client.getUser({ caller })).user?.displayName).toBe('Ada L.');
    expect((await harness.client.listMedications({ caller })).medications.map((m) => m.name)).toEqual([
      'Aspirin',
      'Metformin',
    ]);
    expect(harness.context.cache.bypassing).toBe(true);

    // Back up: the cache is used again, and still never serves what a write replaced.
    await redis.start();
    await harness.client.updateUser({ caller, displayName: 'Ada Lovelace' });
    await expect
      .poll(async () => (await harness.client.getUser({ caller })).user?.displayName, { timeout: 40_000 })
      .toBe('Ada Lovelace');
  });
});

describe.runIf(
  requireInfra(
    'PostgreSQL primary + replica (TEST_DATABASE_URL, TEST_DATABASE_REPLICA_URLS)',
    infra.databaseUrl && infra.replicaUrls.length > 0,
  ),
)('health reads when the replica lags or is gone', () => {
  it('a person reads their own writes while the replica has stopped replaying', async () => {
    const harness = await startHealthHarness({ kind: 'real', url: infra.databaseUrl!, replicaUrls: infra.replicaUrls });
    const replica = new Client({ connectionString: infra.replicaUrls[0] });
    await replica.connect();
    try {
      const ada = await insertTestUser(harness.context);
      const caller = personCaller(ada);
      await replica.query('SELECT pg_wal_replay_pause()');
      for (let i = 0; i < 20; i++) {
        await harness.client.recordVital({ caller, vital: { kind: 2, value: 60 + i, unit: '/min' } });
        const { vitals } = await harness.client.listVitals({ caller });
        expect(vitals).toHaveLength(i + 1);
      }
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
      await replica.end();
      await harness.stop();
    }
  });

  it('serves every read from the primary when the replica is unreachable', async () => {
    const harness = await startHealthHarness({
      kind: 'real',
      url: infra.databaseUrl!,
      replicaUrls: ['postgres://tend:tend@127.0.0.1:1/tend'],
    });
    try {
      const ada = await insertTestUser(harness.context, { displayName: 'Ada' });
      const caller = personCaller(ada);
      await harness.client.recordVital({ caller, vital: { kind: 2, value: 70, unit: '/min' } });
      for (let i = 0; i < 5; i++) {
        expect((await harness.client.listVitals({ caller })).vitals).toHaveLength(1);
        expect((await harness.client.getUser({ caller })).user?.displayName).toBe('Ada');
      }
    } finally {
      await harness.stop();
    }
  });
});
