import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '@tend/core';
import type { Migration } from './database.js';
import { quoteIdentifier } from './schema-name.js';

/** A migration set or file that cannot be applied as it is; the message says what to fix. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    /** The directory or schema the problem is in. */
    readonly source: string,
    message: string,
    opts?: ErrorOptions,
  ) {
    super(message, opts);
  }
}

/** `0001_people.sql`: a version of at least four digits, an underscore, a name. */
const fileNamePattern = /^(\d{4,})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/**
 * Turns migration files into migrations: validated, sorted by version. Kept apart from the
 * directory read so the rules can be tested without a file system. Files not ending in `.sql`
 * are not migrations and are skipped (a README may sit beside them).
 */
export function parseMigrationFiles(source: string, files: readonly { fileName: string; sql: string }[]): Migration[] {
  const byVersion = new Map<number, string>();
  const migrations: Migration[] = [];
  for (const { fileName, sql } of files) {
    if (!fileName.endsWith('.sql')) continue;
    const match = fileNamePattern.exec(fileName);
    if (!match) {
      throw new MigrationError(
        source,
        `${source}: "${fileName}" is not a migration file name; expected NNNN_name.sql, e.g. 0001_people.sql`,
      );
    }
    const version = Number(match[1]);
    if (version < 1 || !Number.isSafeInteger(version) || version > 2 ** 31 - 1) {
      throw new MigrationError(source, `${source}: "${fileName}" has version ${match[1]}; versions start at 0001`);
    }
    const clash = byVersion.get(version);
    if (clash !== undefined) {
      throw new MigrationError(source, `${source}: "${clash}" and "${fileName}" both have version ${version}`);
    }
    if (sql.trim() === '') throw new MigrationError(source, `${source}: "${fileName}" is empty`);
    byVersion.set(version, fileName);
    migrations.push({ version, name: match[2]!, sql });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/**
 * Reads a service's `NNNN_name.sql` migrations from `dir`, sorted and validated: a bad file name,
 * an empty file or two files with one version fail here, at boot, naming the files.
 */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new MigrationError(dir, `cannot read migrations from ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const files = await Promise.all(
    names
      .filter((fileName) => fileName.endsWith('.sql'))
      .map(async (fileName) => ({ fileName, sql: await readFile(join(dir, fileName), 'utf8') })),
  );
  return parseMigrationFiles(dir, files);
}

/**
 * Checks migrations handed to `migrate()` directly (not from files): positive integer versions,
 * each once, non-empty SQL. Returns them sorted by version.
 */
export function validateMigrations(source: string, migrations: readonly Migration[]): Migration[] {
  const seen = new Set<number>();
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version < 1 || m.version > 2 ** 31 - 1) {
      throw new MigrationError(
        source,
        `${source}: migration "${m.name}" has version ${m.version}; versions are integers from 1`,
      );
    }
    if (seen.has(m.version)) throw new MigrationError(source, `${source}: two migrations have version ${m.version}`);
    if (m.sql.trim() === '') throw new MigrationError(source, `${source}: migration ${label(m)} is empty`);
    seen.add(m.version);
  }
  return [...migrations].sort((a, b) => a.version - b.version);
}

/**
 * What identifies a migration's content. Line endings are normalised first, so a checkout with
 * CRLF line endings does not look like an edited migration.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * The platform's own tables in every service schema: the transactional outbox that the relay
 * publishes from, and the processed-event ids that make consumers idempotent. Versioned and
 * tracked on their own (`platform_migrations`), apart from the service's migrations, so the
 * platform can evolve them without taking version numbers from services.
 */
export const platformMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox_and_processed_events',
    sql: `CREATE TABLE IF NOT EXISTS outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  topic text NOT NULL,
  partition_key text NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS processed_events (
  consumer_group text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
`,
  },
];

/** Options of one `applyMigrations` run. */
export interface ApplyMigrationsOptions {
  /** The schema to migrate; created when missing. Must already be validated. */
  schema: string;
  /** The service's migrations, in any order. */
  migrations: readonly Migration[];
  logger: Logger;
  /**
   * How long to wait for another process that is migrating the same schema.
   * @default 60000
   */
  lockWaitMs?: number;
}

/** The advisory-lock key of a schema's migrations: 64 bits of a hash of its name. */
export function migrationLockKey(schema: string): bigint {
  const digest = createHash('sha256').update(`tend:migrations:${schema}`).digest();
  return digest.readBigInt64BE(0);
}

/**
 * Brings a schema up to date: platform tables first, then the service's migrations, each
 * migration in its own transaction, all under a session-level advisory lock keyed by the schema
 * name so that replicas of a service starting together apply each migration exactly once.
 *
 * It refuses to run when an applied migration's file changed (the database would no longer match
 * the code), or when a new migration sorts before one already applied (the order that was tested
 * is not the order that would run).
 */
export async function applyMigrations(pool: Pool, options: ApplyMigrationsOptions): Promise<void> {
  const { schema, logger } = options;
  const migrations = validateMigrations(`schema "${schema}"`, options.migrations);
  const client = await pool.connect();
  let broken = false;
  try {
    // The pool's statement timeout would cut long index builds and the wait for the lock short.
    await client.query(`SET statement_timeout = ${Math.max(0, Math.floor(options.lockWaitMs ?? 60_000))}`);
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [migrationLockKey(schema).toString()]);
    } catch (error) {
      throw new MigrationError(
        `schema "${schema}"`,
        `schema "${schema}": could not take the migration lock; another process may be stuck migrating it`,
        { cause: error },
      );
    }
    try {
      await client.query('SET statement_timeout = 0');
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      await applySet(client, schema, 'platform_migrations', platformMigrations, logger);
      await applySet(client, schema, 'schema_migrations', migrations, logger);
    } finally {
      // If this fails the session is unusable; destroying it below releases the lock too.
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [migrationLockKey(schema).toString()])
        .catch(() => (broken = true));
    }
    await client.query('RESET statement_timeout');
  } catch (error) {
    // A half-finished session (open transaction, lock state unknown) must not go back to the pool.
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

async function applySet(
  client: PoolClient,
  schema: string,
  table: string,
  migrations: readonly Migration[],
  logger: Logger,
): Promise<void> {
  const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualified} (
      version int PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`,
  );
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${qualified} ORDER BY version`,
  );
  const applied = new Map(rows.map((row) => [row.version, row]));
  const latestApplied = rows.at(-1)?.version ?? 0;
  const source = `schema "${schema}"`;

  for (const migration of migrations) {
    const row = applied.get(migration.version);
    if (row && row.checksum !== migrationChecksum(migration.sql)) {
      throw new MigrationError(
        source,
        `${source}: migration ${label(migration)} was changed after it was applied ` +
          `(${table} records checksum ${row.checksum.slice(0, 12)}…, the code now has ` +
          `${migrationChecksum(migration.sql).slice(0, 12)}…). Restore it and put the change in a new migration.`,
      );
    }
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  const early = pending.find((m) => m.version < latestApplied);
  if (early) {
    throw new MigrationError(
      source,
      `${source}: migration ${label(early)} is new but version ${latestApplied} is already applied; ` +
        `give it a version above ${latestApplied}`,
    );
  }
  const known = new Set(migrations.map((m) => m.version));
  const unknown = rows.filter((row) => !known.has(row.version));
  if (unknown.length > 0) {
    // A rolled-back deploy runs older code against a newer schema; that is allowed, but said.
    logger.warn(
      { schema, table, versions: unknown.map((row) => row.version) },
      'database has migrations this code does not know',
    );
  }

  for (const migration of pending) {
    const began = performance.now();
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}, public`);
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${qualified} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migrationChecksum(migration.sql),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new MigrationError(
        source,
        `${source}: migration ${label(migration)} failed: ${describeSqlError(error, migration.sql)}`,
        {
          cause: error,
        },
      );
    }
    logger.info(
      {
        schema,
        table,
        version: migration.version,
        migration: migration.name,
        ms: Math.round(performance.now() - began),
      },
      'migration applied',
    );
  }
}

function label(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`;
}

/** The server's message, with the line of the migration it points at when it says. */
function describeSqlError(error: unknown, sql: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = Number((error as { position?: unknown }).position);
  if (!Number.isInteger(position) || position <= 0) return message;
  const line = sql.slice(0, position - 1).split('\n').length;
  return `${message} (line ${line})`;
}
