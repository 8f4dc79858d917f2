import type { Kysely, Transaction } from 'kysely';
import type { Lifecycle } from '@tend/core';

/** One versioned SQL migration of a service schema. */
export interface Migration {
  /** Monotonic, e.g. 1, 2, 3; taken from the file name `0001_people.sql`. */
  version: number;
  name: string;
  sql: string;
}

export interface TransactionOptions {
  /**
   * Whose write this is (a person's id), or whose several (a transaction that writes for several
   * people). Reads with the same key then see it, even from a replica: read-your-writes.
   */
  consistencyKey?: string | readonly string[];
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
   * Runs `work`, which must issue exactly ONE statement, on the primary without BEGIN and
   * COMMIT: PostgreSQL applies a single statement whole or not at all, so it needs no explicit
   * transaction, and leaving it out saves two round trips. For hot writes whose rows and events
   * fit one statement (see `writeWithEvents`); `consistencyKey` works as for `transaction`.
   */
  writeStatement<T>(work: (db: Kysely<DB>) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Applies pending migrations in version order, each in its own transaction, under an advisory
   * lock so replicas starting at once do not race. Also creates the platform's tables in the
   * schema (the outbox, processed events).
   */
  migrate(migrations: Migration[]): Promise<void>;
}

/** A read replica as the admin page shows it. */
export interface ReplicaStatus {
  /** Its URL without the password. */
  url: string;
  /** The last check reached it, and it is a hot standby. */
  up: boolean;
  /** How far behind the primary it is; unknown until both were seen. */
  lagMs: number | undefined;
  /** WAL position it has replayed, e.g. `0/3000060`. */
  replayLsn: string | undefined;
  /** Whether it takes reads now (up, and lag within the bound). */
  inRotation: boolean;
  /** Why it is down, when it is. */
  error: string | undefined;
}

/** What the admin page shows about the database. */
export interface DatabaseStatus {
  /** Whether the server is the embedded one this process runs. */
  embedded: boolean;
  primary: {
    /** Its URL without the password. */
    url: string;
    up: boolean;
    error: string | undefined;
  };
  replicas: ReplicaStatus[];
  /** Consistency keys whose recent writes currently steer their reads. */
  trackedWriteKeys: number;
}

/**
 * PostgreSQL for a whole process, embedded or real: started once, shared by every service, each
 * of which takes its own schema from it. This is what the binary wires; services only ever see a
 * `SchemaDatabase`.
 */
export interface Database extends Lifecycle {
  /** Whether the server is the embedded one this process runs. */
  readonly embedded: boolean;
  /**
   * The primary's connection string, for the few parts that hold their own session (the outbox
   * relay). Holds the password: never log it. Only once started.
   */
  readonly primaryUrl: string;
  /**
   * A service's schema; the same object for the same name. Usable before `start()`. Query-builder
   * queries are qualified with the schema (Kysely's `withSchema`, right with one pool shared by all
   * schemas, where a per-connection `search_path` would leak between services); raw `sql`
   * templates are not rewritten, so name tables there with `sql.table(db.schema + '.outbox')`.
   */
  schema<DB>(name: string): SchemaDatabase<DB>;
  /**
   * `SELECT 1` on the primary with a short timeout, for `/readyz`: resolves `true`, or throws an
   * `UnavailableError` / `TimeoutError` that says why not.
   */
  ping(): Promise<boolean>;
  /** The primary's reachability and each replica's health, lag and rotation. */
  status(): Promise<DatabaseStatus>;
}
