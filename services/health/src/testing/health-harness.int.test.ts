import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '@tend/testing';
import { monthsAround, partitionOf } from '../vitals/vital-partitions.js';
import { insertTestUser, startHealthHarness } from './health-harness.js';
import { sealedAt } from '../crypto/sealed-columns.js';

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
      expect(harness.context.cipher.decrypt(row.email_encrypted, sealedAt.userEmail(id))).toBe('Ada@Example.test');
    } finally {
      await harness.stop();
    }
  });

  it('has the vitals month partitions around now before the first reading', async () => {
    const harness = await startHealthHarness(target);
    try {
      const { rows } = await sql<{ name: string }>`
        SELECT c.relname AS name FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = ${harness.schema} AND p.relname = 'vitals'`.execute(harness.context.db.primary);
      const expected = monthsAround(new Date(), -1, 3).map((m) => partitionOf(m).name);
      expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(expected));
    } finally {
      await harness.stop();
    }
  });
});
