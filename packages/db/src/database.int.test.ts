import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realInfra, requireInfra } from '@tend/testing';
import { type Generated, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TimeoutError, UnavailableError } from '@tend/core';
import { createLogger } from '@tend/core';
import { createDatabase } from './create-database.js';
import type { Database, Migration } from './database.js';
import { PostgresDatabase } from './postgres-database.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Tables {
  notes: { id: Generated<number>; person: string; body: string };
  outbox: {
    seq: Generated<string>;
    id: string;
    topic: string;
    partition_key: string;
    event: unknown;
    created_at: Generated<Date>;
    published_at: Date | null;
  };
}

/** Where the suite runs: a started database plus what it takes to open more on the same server. */
interface Target {
  kind: string;
  hasReplica: boolean;
  open(): Promise<{ database: Database; primaryUrl: string; replicaUrls: string[]; close(): Promise<void> }>;
}

const infra = realInfra();
const targets: Target[] = [
  {
    kind: 'embedded',
    hasReplica: false,
    async open() {
      const dataDir = await mkdtemp(join(tmpdir(), 'tend-db-int-'));
      const database = createDatabase({ dataDir, logger, embedded: { syncInit: false } });
      await database.start();
      return {
        database,
        primaryUrl: database.primaryUrl,
        replicaUrls: [],
        async close() {
          await database.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];
if (requireInfra('PostgreSQL primary + replica (TEST_DATABASE_URL)', infra.databaseUrl)) {
  targets.push({
    kind: 'real primary + replica',
    hasReplica: requireInfra('PostgreSQL streaming replica (TEST_DATABASE_REPLICA_URLS)', infra.replicaUrls.length > 0),
    async open() {
      const database = createDatabase({ url: infra.databaseUrl, replicaUrls: infra.replicaUrls, logger });
      await database.start();
      return {
        database,
        primaryUrl: infra.databaseUrl!,
        replicaUrls: infra.replicaUrls,
        close: () => database.stop(),
      };
    },
  });
}

const notesMigration: Migration = {
  version: 1,
  name: 'notes',
  sql: 'CREATE TABLE notes (id serial PRIMARY KEY, person text NOT NULL, body text NOT NULL);',
};

/** A closed port on loopback: a replica there is as unreachable as one that was stopped. */
async function closedPortUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
  return `postgres://tend:tend@127.0.0.1:${port}/tend`;
}

/** Whether a Kysely instance is bound to a hot standby. */
async function onReplica(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ standby: boolean }>`SELECT pg_is_in_recovery() AS standby`.execute(db);
  return rows[0]!.standby;
}

describe.each(targets)('Database ($kind)', (target) => {
  let opened: Awaited<ReturnType<Target['open']>>;
  let database: Database;
  const schemas: string[] = [];
  const newSchema = () => {
    const name = `t_${randomBytes(5).toString('hex')}`;
    schemas.push(name);
    return name;
  };

  beforeAll(async () => {
    opened = await target.open();
    database = opened.database;
  });

  afterAll(async () => {
    if (!opened) return;
    // Leave a shared server as it was found.
    for (const schema of schemas)
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.schema(schema).primary);
    await opened.close();
  });

  it('answers ping and reports its status', async () => {
    expect(await database.ping()).toBe(true);
    const status = await database.status();
    expect(status.primary.up).toBe(true);
    expect(status.primary.url).not.toContain(':tend@');
    expect(status.replicas).toHaveLength(opened.replicaUrls.length);
  });

  it('applies migrations once, with the platform tables, and again is a no-op', async () => {
    const db = database.schema<Tables>(newSchema());
    await db.migrate([notesMigration]);
    await db.migrate([notesMigration]);
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${db.schema} ORDER BY table_name`.execute(
      db.primary,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'notes',
      'outbox',
      'platform_migrations',
      'processed_events',
      'schema_migrations',
    ]);
    const applied = await sql<{ version: number; name: string }>`
      SELECT version, name FROM ${sql.table(`${db.schema}.schema_migrations`)}`.execute(db.primary);
    expect(applied.rows).toEqual([{ version: 1, name: 'notes' }]);
  });

  it('applies each migration once when two processes migrate one schema at the same time', async () => {
    const schema = newSchema();
    // A second database object stands for a second process: its own pool, its own session.
    const other = new PostgresDatabase({ primary: opened.primaryUrl, logger });
    await other.start();
    try {
      // Neither statement survives running twice: a duplicate would fail or double the row.
      const migrations: Migration[] = [
        notesMigration,
        {
          version: 2,
          name: 'seed',
          sql: "INSERT INTO notes (person, body) VALUES ('system', 'seeded'); SELECT pg_sleep(0.2);",
        },
      ];
      await Promise.all([database.schema(schema).migrate(migrations), other.schema(schema).migrate(migrations)]);
      const db = database.schema<Tables>(schema);
      expect(await db.primary.selectFrom('notes').select('body').execute()).toEqual([{ body: 'seeded' }]);
    } finally {
      await other.stop();
    }
  });

  it('refuses to start when an applied migration was changed', async () => {
    const db = database.schema<Tables>(newSchema());
    await db.migrate([notesMigration]);
    const edited = { ...notesMigration, sql: notesMigration.sql.replace('body text', 'body varchar(200)') };
    await expect(db.migrate([edited])).rejects.toThrow(/migration 0001_notes was changed after it was applied/);
  });

  it('reports a failing migration with its line, and applies nothing of it', async () => {
    const db = database.schema<Tables>(newSchema());
    const broken: Migration = {
      version: 1,
      name: 'broken',
      sql: 'CREATE TABLE ok (id int);\nCREATE TABLE bad (id nosuchtype);',
    };
    await expect(db.migrate([broken])).rejects.toThrow(
      /migration 0001_broken failed: type "nosuchtype" does not exist \(line 2\)/,
    );
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${db.schema} AND table_name = 'ok'`.execute(
      db.primary,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('keeps schemas apart', async () => {
    const a = database.schema<Tables>(newSchema());
    const b = database.schema<Tables>(newSchema());
    await Promise.all([a.migrate([notesMigration]), b.migrate([notesMigration])]);
    await a.primary.insertInto('notes').values({ person: 'alice', body: 'in a' }).execute();
    expect(await b.primary.selectFrom('notes').selectAll().execute()).toEqual([]);
  });

  it('rolls a failed transaction back completely, outbox included', async () => {
    const db = database.schema<Tables>(newSchema());
    await db.migrate([notesMigration]);
    await expect(
      db.transaction(async (trx) => {
        await trx.insertInto('notes').values({ person: 'alice', body: 'took metformin' }).execute();
        await trx
          .insertInto('outbox')
          .values({
            id: crypto.randomUUID(),
            topic: 'analytics_events',
            partition_key: 'alice',
            event: JSON.stringify({}),
          })
          .execute();
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await db.primary.selectFrom('notes').selectAll().execute()).toEqual([]);
    expect(await db.primary.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('lets a person read their own write at once and afterwards, every time', async () => {
    const db = database.schema<Tables>(newSchema());
    await db.migrate([notesMigration]);
    const reads = { total: 0, fromReplica: 0, immediateFromReplica: 0 };
    const readOwnWrite = async (person: string, id: number, body: string, label: string) => {
      const reader = db.reader(person);
      const seen = await reader.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirst();
      expect(seen, `${label}: the write must be visible to its own key`).toEqual({ body });
      reads.total += 1;
      return target.hasReplica && (await onReplica(reader as Kysely<unknown>));
    };
    for (let i = 0; i < 150; i++) {
      const person = `person-${i % 7}`;
      const body = `note ${i}`;
      const id = await db.transaction(
        async (trx) =>
          (await trx.insertInto('notes').values({ person, body }).returning('id').executeTakeFirstOrThrow()).id,
        { consistencyKey: person },
      );
      if (await readOwnWrite(person, id, body, `round ${i}, at once`)) {
        reads.fromReplica += 1;
        reads.immediateFromReplica += 1;
      }
      // Later reads land at every point of the replica catching up and the monitor noticing.
      if (i % 3 === 0) {
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 150));
        if (await readOwnWrite(person, id, body, `round ${i}, after ${(i * 7) % 150} ms`)) reads.fromReplica += 1;
      }
    }
    console.info(`[database ${target.kind}] read-your-writes: ${JSON.stringify(reads)}`);
  });

  // The replica cases exist only where a replica does: the embedded server has none, and the real
  // target requires one (requireInfra fails CI without it), so none of them is ever skipped.
  const withReplica = target.hasReplica ? it : undefined;

  withReplica?.("serves a key's reads from the replica once it has the write", async () => {
    const db = database.schema<Tables>(newSchema());
    await db.migrate([notesMigration]);
    await db.transaction((trx) => trx.insertInto('notes').values({ person: 'bob', body: 'bp 120/80' }).execute(), {
      consistencyKey: 'bob',
    });
    await vi.waitFor(async () => expect(await onReplica(db.reader('bob') as Kysely<unknown>)).toBe(true), {
      timeout: 3000,
    });
    const rows = await db.reader('bob').selectFrom('notes').select('body').where('person', '=', 'bob').execute();
    expect(rows).toEqual([{ body: 'bp 120/80' }]);
  });

  withReplica?.('sends a read without a key to a replica', async () => {
    const db = database.schema<Tables>(newSchema());
    await vi.waitFor(async () => expect(await onReplica(db.reader() as Kysely<unknown>)).toBe(true), { timeout: 3000 });
    const status = await database.status();
    expect(status.replicas[0]).toMatchObject({ up: true, inRotation: true });
    expect(status.replicas[0]!.lagMs).toBeLessThanOrEqual(1000);
  });

  withReplica?.('takes a lagging replica out of rotation, and back once it catches up', async () => {
    const schema = newSchema();
    await database.schema<Tables>(schema).migrate([notesMigration]);
    const watched = new PostgresDatabase({
      primary: opened.primaryUrl,
      replicaUrls: opened.replicaUrls,
      logger,
      replicaMaxLagMs: 300,
    });
    await watched.start();
    const db = watched.schema<Tables>(schema);
    const replicaSession = new pg.Client({ connectionString: opened.replicaUrls[0] });
    await replicaSession.connect();
    try {
      await vi.waitFor(async () => expect((await watched.status()).replicas[0]!.inRotation).toBe(true), {
        timeout: 3000,
      });
      // Replay paused: the replica keeps receiving WAL but shows none of it, as under heavy lag.
      await replicaSession.query('SELECT pg_wal_replay_pause()');
      await db.transaction(
        (trx) => trx.insertInto('notes').values({ person: 'dave', body: 'weight 80 kg' }).execute(),
        {
          consistencyKey: 'dave',
        },
      );
      const reader = db.reader('dave');
      expect(await onReplica(reader as Kysely<unknown>)).toBe(false);
      expect(await reader.selectFrom('notes').select('body').where('person', '=', 'dave').execute()).toHaveLength(1);
      await vi.waitFor(async () => expect((await watched.status()).replicas[0]!.inRotation).toBe(false), {
        timeout: 3000,
      });
      expect(await onReplica(db.reader() as Kysely<unknown>)).toBe(false);
    } finally {
      await replicaSession.query('SELECT pg_wal_replay_resume()');
      await replicaSession.end();
    }
    try {
      await vi.waitFor(async () => expect((await watched.status()).replicas[0]!.inRotation).toBe(true), {
        timeout: 5000,
      });
      expect(await onReplica(db.reader() as Kysely<unknown>)).toBe(true);
    } finally {
      await watched.stop();
    }
  });

  it('takes an unreachable replica out of rotation and keeps reads working', async () => {
    const schema = newSchema();
    await database.schema<Tables>(schema).migrate([notesMigration]);
    const deadReplica = await closedPortUrl();
    const withDead = new PostgresDatabase({
      primary: opened.primaryUrl,
      replicaUrls: [deadReplica, ...opened.replicaUrls],
      logger,
      replicaCheckTimeoutMs: 500,
    });
    await withDead.start();
    try {
      const status = await withDead.status();
      expect(status.replicas[0]).toMatchObject({ up: false, inRotation: false });
      expect(status.replicas[0]!.error).toMatch(/ECONNREFUSED/);
      expect(status.replicas[0]!.url).not.toContain(':tend@');
      const db = withDead.schema<Tables>(schema);
      // As every process does at start; it also makes reads wait until replicas have the schema.
      await db.migrate([notesMigration]);
      for (let i = 0; i < 20; i++) {
        await db.transaction(
          (trx) =>
            trx
              .insertInto('notes')
              .values({ person: 'carol', body: `n${i}` })
              .execute(),
          {
            consistencyKey: 'carol',
          },
        );
        expect(
          await db.reader('carol').selectFrom('notes').select('body').where('body', '=', `n${i}`).execute(),
        ).toHaveLength(1);
        // Without a key, a read may see an older state, but never an error.
        await db.reader().selectFrom('notes').select('id').limit(1).execute();
      }
    } finally {
      await withDead.stop();
    }
  });

  it('does not read from a "replica" that is not a hot standby', async () => {
    const misconfigured = new PostgresDatabase({
      primary: opened.primaryUrl,
      replicaUrls: [opened.primaryUrl],
      logger,
    });
    await misconfigured.start();
    try {
      const status = await misconfigured.status();
      expect(status.replicas[0]).toMatchObject({
        up: false,
        inRotation: false,
        error: expect.stringMatching(/not a hot standby/),
      });
      expect(misconfigured.schema('x').reader()).toBe(misconfigured.schema('x').primary);
    } finally {
      await misconfigured.stop();
    }
  });

  it('survives the server ending a connection a transaction holds between statements', async () => {
    const db = database.schema(newSchema());
    const failure = await db.primary
      .transaction()
      .execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(db.primary);
        // The server's notice arrives while no statement runs on that connection.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`SELECT 1`.execute(trx);
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnavailableError);
    // The process is alive, and the pool gives out working connections.
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db.primary)).rows).toEqual([{ one: 1 }]);
  });

  it('bounds a slow query with the statement timeout and says so', async () => {
    const quick = new PostgresDatabase({
      primary: opened.primaryUrl,
      replicaUrls: opened.replicaUrls,
      logger,
      statementTimeoutMs: 200,
    });
    await quick.start();
    try {
      const db = quick.schema(newSchema());
      const began = performance.now();
      const failure = await sql`SELECT pg_sleep(3)`.execute(db.primary).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TimeoutError);
      expect((failure as Error).message).toBe('database statement timed out after 200 ms');
      expect(performance.now() - began).toBeLessThan(2000);
      // The connection is still good afterwards.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db.primary)).rows).toEqual([{ one: 1 }]);
    } finally {
      await quick.stop();
    }
  });
});
