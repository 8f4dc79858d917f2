import { ConfigError } from '@tend/core';
import type { Logger } from '@tend/core';
import { validatePostgresUrl, validateReplicaUrls } from './connection-url.js';
import type { Database } from './database.js';
import { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
import { type DatabaseTuning, PostgresDatabase, compileDatabaseTuning } from './postgres-database.js';

/** How a process gets its database; the fields mirror the configuration variables. */
export interface CreateDatabaseOptions extends DatabaseTuning {
  /** `DATABASE_URL`: a real PostgreSQL primary. Unset (or empty) starts the embedded server. */
  url?: string | undefined;
  /** `DATABASE_REPLICA_URLS`: read replicas of `url`. @default [] */
  replicaUrls?: readonly string[];
  /** `TEND_DATA_DIR`: where the embedded server keeps its files. @default './.tend' */
  dataDir?: string;
  /** Port of the embedded server on 127.0.0.1; 0 picks a free one. @default 0 */
  embeddedPort?: number;
  /** Further options of the embedded server (settings, timeouts). @default {} */
  embedded?: Omit<EmbeddedPostgresOptions, 'dataDir' | 'port' | 'logger'>;
  logger: Logger;
}

/**
 * The one place that decides between a real PostgreSQL and the embedded one: with `url`, that
 * server (and its replicas); without, a server this process starts under `dataDir`. Either way
 * the result is started and stopped like any service (stop closes the pools, then the embedded
 * server) and hands out schemas. Every URL and number is checked here, so a bad
 * `DATABASE_URL` or `DATABASE_REPLICA_URLS` entry fails the boot with a `ConfigError` naming
 * the variable and never printing a password.
 */
export function createDatabase(options: CreateDatabaseOptions): Database {
  const { logger } = options;
  const url = options.url?.trim() || undefined;
  const replicaUrls = (options.replicaUrls ?? []).map((u) => u.trim()).filter(Boolean);
  const tuning = compileDatabaseTuning(options);
  if (url !== undefined) {
    validatePostgresUrl('DATABASE_URL', url);
    validateReplicaUrls('DATABASE_REPLICA_URLS', replicaUrls);
    return new PostgresDatabase({ ...tuning, primary: url, replicaUrls, logger });
  }
  if (replicaUrls.length > 0) {
    throw new ConfigError(
      'DATABASE_REPLICA_URLS',
      'read replicas need DATABASE_URL: the embedded server has none; set DATABASE_URL or unset DATABASE_REPLICA_URLS',
    );
  }
  const server = new EmbeddedPostgres({
    ...options.embedded,
    dataDir: options.dataDir ?? './.tend',
    port: options.embeddedPort ?? 0,
    logger,
  });
  return new PostgresDatabase({ ...tuning, primary: server, logger });
}
