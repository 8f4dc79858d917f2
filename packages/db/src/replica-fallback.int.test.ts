import { DedicatedPostgres, realInfra, requireInfra } from '@tend/testing';
import type { Generated } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tend/core';
import { PostgresDatabase } from './postgres-database.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Tables {
  notes: { id: Generated<number>; body: string };
}

describe.runIf(requireInfra('PostgreSQL primary + replica (TEST_DATABASE_URL)', realInfra().replicaUrls.length > 0))(
  'reads when the replica stops between two checks',
  () => {
    const servers = new DedicatedPostgres();
    let database: PostgresDatabase;

    beforeAll(async () => {
      await servers.start();
      // The data first, straight on the primary, until the replica has it: the database under
      // test then starts with nothing it wrote itself, so its reads may go to the replica.
      const primary = new pg.Client({ connectionString: servers.primaryUrl });
      await primary.connect();
      await primary.query(
        'CREATE SCHEMA fallback; CREATE TABLE fallback.notes (id serial PRIMARY KEY, body text NOT NULL)',
      );
      await primary.query(`INSERT INTO fallback.notes (body) VALUES ('kept')`);
      await primary.end();
      await servers.caughtUp();
      database = new PostgresDatabase({
        primary: servers.primaryUrl,
        replicaUrls: [servers.replicaUrl],
        logger,
        // Checked once at start, then not for a minute: the stop is found by the reads alone, as
        // it is by every read in the moments before the monitor's next check.
        replicaPollIntervalMs: 60_000,
      });
      await database.start();
    }, 240_000);

    afterAll(async () => {
      await database?.stop();
      await servers.remove();
    }, 120_000);

    it('serves reads routed to the stopped replica from the primary, and takes it out of rotation', async () => {
      const db = database.schema<Tables>('fallback');
      const reader = db.reader();
      expect(reader).not.toBe(db.primary);
      expect(await reader.selectFrom('notes').select('body').execute()).toEqual([{ body: 'kept' }]);

      await servers.stop('replica');
      expect((await database.status()).replicas[0]).toMatchObject({ inRotation: true });

      // Chosen before the monitor knew: its reads reach the stopped replica and come from the primary.
      const rows = await reader.selectFrom('notes').select('body').execute();
      expect(rows).toEqual([{ body: 'kept' }]);
      expect((await database.status()).replicas[0]).toMatchObject({ up: false, inRotation: false });
      expect(db.reader()).toBe(db.primary);
      // A later read on the same replica's pool (its connection refused) goes to the primary too.
      expect(await reader.selectFrom('notes').select('body').execute()).toEqual([{ body: 'kept' }]);
    });
  },
);
