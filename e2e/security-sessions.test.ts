import { describe, expect, it } from 'vitest';
import { deploymentKeys } from './real-cluster.js';
import { TendProcess } from './tend-process.js';

// Revocation lives in PostgreSQL (services/gateway/src/auth/sessions.int.test.ts shows a logout
// surviving an empty or failed cache). What the cache still carries across replicas — rate
// limits, the fast path of revocation checks — must be shared, so distributed processes that
// use it refuse to start on a per-process memory cache.
describe('a distributed process that uses the cache', () => {
  it.each([['gateway'], ['health']])('--target=%s will not start without REDIS_URL, and says so', async (target) => {
    const process = await TendProcess.start(['serve', `--target=${target}`], {
      // The deployment's keys are present, so the check under test is the one that stops the start.
      ...(await deploymentKeys()),
      DATABASE_URL: 'postgres://tend@127.0.0.1:1/tend',
    });
    expect(await process.exited).toBe(78);
    expect(process.output).toContain('REDIS_URL: is required in distributed mode');
    await process.stop();
  });
});
