import type { Kysely, Transaction } from 'kysely';

/** One versioned SQL migration of a service schema. */
export interface Migration {
  /** Monotonic, e.g. 1, 2, 3; taken from the file name `0001_people.sql`. */
  version: number;
  name: string;
  sql: string;
}

export interface TransactionOptions {
  /**
   * Whose write this is (a person's id). Reads with the same key then see it, even from a
   * replica: read-your-writes.
   */
  consistencyKey?: string;
}

/**
 * A service's view of PostgreSQL: its own schema, the primary for writes, replicas for reads.
 * Service code gets one of these and never knows whether the server is embedded or remote.
 */
export interface SchemaDatabase<DB> {
  /** The PostgreSQL schema, e.g. `health`; every query is scoped to it. */
  readonly schema: string;
  /** Queries on the primary. */
  readonly primary: Kysely<DB>;
  /**
   * Queries for reads that may be served by a replica: one that is healthy, within the lag
   * bound and, when `consistencyKey` is given, has replayed that key's last write. Otherwise the
   * primary.
   */
  reader(consistencyKey?: string): Kysely<DB>;
  /** Runs `work` in one transaction on the primary; commits or rolls back as a whole. */
  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Applies pending migrations in version order, each in its own transaction, under an advisory
   * lock so replicas starting at once do not race. Also creates the platform's tables in the
   * schema (the outbox, processed events).
   */
  migrate(migrations: Migration[]): Promise<void>;
}
