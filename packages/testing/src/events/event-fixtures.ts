import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Admin } from '@platformatic/kafka';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { createLogger, type Logger } from '@tend/core';
import type { IdempotencyDatabase } from '@tend/events';

/**
 * Shared by the events integration suites (not a test itself): a throw-away schema holding the
 * platform's outbox tables, exactly as `SchemaDatabase.migrate()` creates them, so the suites
 * do not depend on the database layer.
 */
/** A table the suites create to record what consumers applied. */
export interface TestTables {
  applied: { event_id: string; person: string | null; n: number | null; by: string | null };
}

export interface TestSchema extends IdempotencyDatabase<TestTables> {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly db: Kysely<TestTables>;
  drop(): Promise<void>;
}

/** A short random suffix that keeps schemas, topics and groups of different runs apart. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

export async function createTestSchema(databaseUrl: string, prefix = 'events'): Promise<TestSchema> {
  const schema = `${prefix}_${runId()}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const db = new Kysely<TestTables>({ dialect: new PostgresDialect({ pool }) });
  await sql
    .raw(
      `create schema ${schema};
       create table ${schema}.outbox (seq bigserial primary key, id uuid not null unique, topic text not null,
         partition_key text not null, event jsonb not null, created_at timestamptz not null default now(),
         published_at timestamptz);
       create index outbox_unpublished on ${schema}.outbox (seq) where published_at is null;
       create table ${schema}.processed_events (consumer_group text not null, event_id uuid not null,
         processed_at timestamptz not null default now(), primary key (consumer_group, event_id));`,
    )
    .execute(db);
  return {
    schema,
    pool,
    db,
    transaction: <T>(work: (trx: Transaction<TestTables>) => Promise<T>) => db.transaction().execute(work),
    drop: async () => {
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(db);
      await db.destroy();
    },
  };
}

/** Log lines kept in memory, to assert on what an operator would read. */
export interface CapturedLog {
  logger: Logger;
  lines: Array<{ level: string; msg: string; [key: string]: unknown }>;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as CapturedLog['lines'][number]);
      }
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

/** Polls until `condition` holds; fails with `what` after the timeout. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A loopback port nothing listens on: a broker that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Deletes a run's topics, best effort (a leftover topic only costs disk until retention). */
export async function deleteTopics(brokers: string[], names: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'tend-test-cleanup', bootstrapBrokers: brokers });
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((name) => existing.has(name));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } catch {
    // best effort
  } finally {
    await admin.close().catch(() => undefined);
  }
}
