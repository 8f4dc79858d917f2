import { describe, expect, it } from 'vitest';
import { databaseTargets } from '@tend/testing';
import { insertTestUser, startHealthHarness } from './health-harness.js';

describe.each(databaseTargets())('health harness on $kind PostgreSQL', (target) => {
  it('migrates a fresh schema and stores a person with encrypted contact details', async () => {
    const harness = await startHealthHarness(target);
    try {
      const id = await insertTestUser(harness.context, { email: 'Ada@Example.test', timeZone: 'Europe/Berlin' });
      const row = await harness.context.db.primary
        .selectFrom('users')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.time_zone).toBe('Europe/Berlin');
      expect(row.email_encrypted).not.toContain('Ada');
      expect(harness.context.cipher.decrypt(row.email_encrypted)).toBe('Ada@Example.test');
    } finally {
      await harness.stop();
    }
  });
});
