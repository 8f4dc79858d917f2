import { databaseTargets, testDatabaseOptions, uniqueSchemaName, type TestDatabaseOptions } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tend/core';
import { createDatabase } from './create-database.js';
import type { Database, SchemaDatabase } from './database.js';
import { RetentionTask } from './retention.js';

const logger = createLogger({ level: 'silent' });
const day = 24 * 3_600_000;

describe.each(databaseTargets())('retention on $kind PostgreSQL', (target) => {
  let fixture: TestDatabaseOptions;
  let database: Database;
  let db: SchemaDatabase<unknown>;

  beforeAll(async () => {
    fixture = await testDatabaseOptions(target);
    database = createDatabase({ ...fixture.options, logger });
    await database.start();
    db = database.schema(uniqueSchemaName('retention'));
    await db.migrate([
      { version: 1, name: 'keys', sql: 'CREATE TABLE keys (k text PRIMARY KEY, created_at timestamptz NOT NULL)' },
    ]);
  }, 60_000);
  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(db.schema)} cascade`.execute(db.primary);
    await database.stop();
    await fixture.cleanup();
  });

  it('deletes rows past their window, in batches, and keeps the rest', async () => {
    const rows = (prefix: string, ageMs: number, count: number) =>
      sql`insert into ${sql.table(`${db.schema}.keys`)} (k, created_at)
          select ${prefix} || g, now() - make_interval(secs => ${ageMs / 1000}) from generate_series(1, ${count}) g`;
    await rows('old-', 2 * day, 25).execute(db.primary);
    await rows('fresh-', day / 2, 3).execute(db.primary);
    await sql`insert into ${sql.table(`${db.schema}.processed_events`)} (consumer_group, event_id, processed_at)
        values ('g', gen_random_uuid(), now() - interval '8 days'), ('g', gen_random_uuid(), now())`.execute(
      db.primary,
    );
    const task = new RetentionTask({
      db,
      logger,
      batchSize: 10,
      rules: [
        { table: 'keys', timeColumn: 'created_at', keepMs: day },
        { table: 'processed_events', timeColumn: 'processed_at', keepMs: 7 * day },
      ],
    });
    expect(await task.deleteExpired()).toEqual({ keys: 25, processed_events: 1 });
    const left = await sql<{ k: string }>`select k from ${sql.table(`${db.schema}.keys`)} order by k`.execute(
      db.primary,
    );
    expect(left.rows.map((r) => r.k)).toEqual(['fresh-1', 'fresh-2', 'fresh-3']);
    expect(await task.deleteExpired()).toEqual({ keys: 0, processed_events: 0 });
  });

  it('deletes only expired rows of a partitioned table, whose partitions repeat row positions', async () => {
    const table = sql.table(`${db.schema}.messages`);
    await sql`create table ${table} (k text not null, created_at timestamptz not null) partition by range (created_at)`.execute(
      db.primary,
    );
    await sql`create table ${sql.table(`${db.schema}.messages_old`)} partition of ${table}
        for values from ('2000-01-01') to ('2020-01-01')`.execute(db.primary);
    await sql`create table ${sql.table(`${db.schema}.messages_new`)} partition of ${table}
        for values from ('2020-01-01') to ('2200-01-01')`.execute(db.primary);
    // Each partition's first rows sit at the same ctids: (0,1), (0,2), (0,3).
    await sql`insert into ${table} (k, created_at) select 'old-' || g, '2010-06-01' from generate_series(1, 3) g`.execute(
      db.primary,
    );
    await sql`insert into ${table} (k, created_at) select 'fresh-' || g, now() from generate_series(1, 3) g`.execute(
      db.primary,
    );
    const task = new RetentionTask({
      db,
      logger,
      rules: [{ table: 'messages', timeColumn: 'created_at', keepMs: day }],
    });
    expect(await task.deleteExpired()).toEqual({ messages: 3 });
    const left = await sql<{ k: string }>`select k from ${table} order by k`.execute(db.primary);
    expect(left.rows.map((r) => r.k)).toEqual(['fresh-1', 'fresh-2', 'fresh-3']);
  });

  it('refuses a rule that is not a plain identifier', () => {
    expect(
      () => new RetentionTask({ db, logger, rules: [{ table: 'keys; drop table x', timeColumn: 'at', keepMs: 1 }] }),
    ).toThrow(/not a plain identifier/);
  });
});
