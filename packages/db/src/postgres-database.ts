import { Kysely, PostgresDialect, type PostgresPool, type Transaction } from 'kysely';
import pg from 'pg';
import { ConfigError, UnavailableError } from '@tend/core';
import { BaseService, type Lifecycle } from '@tend/core';
import type { Logger } from '@tend/core';
import { describePostgresUrl, validatePostgresUrl, validateReplicaUrls } from './connection-url.js';
import type { Database, DatabaseStatus, Migration, SchemaDatabase, TransactionOptions } from './database.js';
import { parseLsn } from './lsn.js';
import { applyMigrations } from './migrations.js';
import { translateDatabaseError, translatingPool, withDeadline } from './query-errors.js';
import { replicaWithFallback } from './replica-fallback.js';
import { ReplicaMonitor } from './replica-monitor.js';
import { selectReplica } from './replica-selection.js';
import { validateSchemaName } from './schema-name.js';
import { WritePositions } from './write-positions.js';

/** A PostgreSQL server this process runs itself (the embedded one): started first, stopped last. */
export interface PostgresServer extends Lifecycle {
  /** Its connection string, once started. */
  readonly url: string;
}

/** Tuning of the pools, timeouts and replica routing; every value has a production default. */
export interface DatabaseTuning {
  /**
   * Longest a single statement may run before the server cancels it (per connection, set at
   * connect). Migrations are exempt.
   * @default 5000
   */
  statementTimeoutMs?: number;
  /** Longest wait for a new connection to the server. @default 5000 */
  connectTimeoutMs?: number;
  /** A session idle inside an open transaction this long is ended, releasing its locks. @default 60000 */
  idleInTransactionTimeoutMs?: number;
  /** Connections per pool (the primary's, and each replica's). @default 10 */
  poolSize?: number;
  /** A replica further behind the primary than this takes no reads. @default 1000 */
  replicaMaxLagMs?: number;
  /** How often each replica's replay position and health are checked. @default 100 */
  replicaPollIntervalMs?: number;
  /** A replica check slower than this counts as a failure. @default 1000 */
  replicaCheckTimeoutMs?: number;
  /** Longest pause between checks of a replica that keeps failing. @default 2000 */
  replicaRetryMaxMs?: number;
  /** How long a consistency key's last write position is remembered. @default 60000 */
  writePositionTtlMs?: number;
  /** How many consistency keys are remembered at most. @default 100000 */
  writePositionMaxKeys?: number;
  /** How long `ping()` (readiness) waits for `SELECT 1`. @default 1000 */
  pingTimeoutMs?: number;
  /** `application_name` of the connections, seen in `pg_stat_activity`. @default 'tend' */
  applicationName?: string;
}

/** What a `PostgresDatabase` connects to, plus its tuning. */
export interface PostgresDatabaseOptions extends DatabaseTuning {
  /** The primary: a connection string (`DATABASE_URL`) or a server to start first. */
  primary: string | PostgresServer;
  /** Read replicas (`DATABASE_REPLICA_URLS`). @default [] */
  replicaUrls?: readonly string[];
  logger: Logger;
}

type CompiledTuning = Required<DatabaseTuning>;

/**
 * Fills in and checks the tuning at construction, so a bad value fails the boot with a message
 * naming it rather than misbehaving later.
 */
export function compileDatabaseTuning(tuning: DatabaseTuning): CompiledTuning {
  const compiled: CompiledTuning = {
    statementTimeoutMs: tuning.statementTimeoutMs ?? 5_000,
    connectTimeoutMs: tuning.connectTimeoutMs ?? 5_000,
    idleInTransactionTimeoutMs: tuning.idleInTransactionTimeoutMs ?? 60_000,
    poolSize: tuning.poolSize ?? 10,
    replicaMaxLagMs: tuning.replicaMaxLagMs ?? 1_000,
    replicaPollIntervalMs: tuning.replicaPollIntervalMs ?? 100,
    replicaCheckTimeoutMs: tuning.replicaCheckTimeoutMs ?? 1_000,
    replicaRetryMaxMs: tuning.replicaRetryMaxMs ?? 2_000,
    writePositionTtlMs: tuning.writePositionTtlMs ?? 60_000,
    writePositionMaxKeys: tuning.writePositionMaxKeys ?? 100_000,
    pingTimeoutMs: tuning.pingTimeoutMs ?? 1_000,
    applicationName: tuning.applicationName ?? 'tend',
  };
  for (const [name, value] of Object.entries(compiled)) {
    if (typeof value === 'number' && (!Number.isInteger(value) || value <= 0)) {
      const variable = name === 'statementTimeoutMs' ? 'DATABASE_STATEMENT_TIMEOUT_MS' : `database.${name}`;
      throw new ConfigError(variable, `${value} is not a positive integer`);
    }
  }
  if (compiled.writePositionTtlMs <= compiled.replicaMaxLagMs) {
    // Forgetting a write before every replica in rotation must have it would break read-your-writes.
    throw new ConfigError('database.writePositionTtlMs', 'must be longer than replicaMaxLagMs');
  }
  return compiled;
}

/**
 * PostgreSQL for the whole process: one connection pool for the primary and one per read
 * replica, shared by every service schema; a monitor that keeps each replica's health and
 * replay position; and the memory of recent writes per consistency key, which lets reads go to
 * replicas without a person ever missing their own write.
 */
export class PostgresDatabase extends BaseService implements Database {
  readonly #tuning: CompiledTuning;
  readonly #logger: Logger;
  readonly #server: PostgresServer | undefined;
  readonly #replicaUrls: readonly string[];
  readonly #writes: WritePositions;
  readonly #primaryKysely: Kysely<unknown>;
  readonly #replicaKyselys: Kysely<unknown>[];
  readonly #schemas = new Map<string, SchemaDatabase<unknown>>();
  readonly #routing: SchemaRouting;
  #primaryUrl: string | undefined;
  #primaryPool: pg.Pool | undefined;
  #replicaPools: pg.Pool[] = [];
  #monitor: ReplicaMonitor | undefined;
  #turn = 0;

  constructor(options: PostgresDatabaseOptions) {
    super('database');
    this.#tuning = compileDatabaseTuning(options);
    this.#logger = options.logger.child({ component: 'database' });
    if (typeof options.primary === 'string') {
      validatePostgresUrl('DATABASE_URL', options.primary);
      this.#primaryUrl = options.primary;
    } else {
      this.#server = options.primary;
    }
    this.#replicaUrls = [...(options.replicaUrls ?? [])];
    validateReplicaUrls('DATABASE_REPLICA_URLS', this.#replicaUrls);
    this.#writes = new WritePositions({
      ttlMs: this.#tuning.writePositionTtlMs,
      maxKeys: this.#tuning.writePositionMaxKeys,
    });
    // Built now with pools resolved at first query, so services can take their schema at
    // construction, before the database (perhaps an embedded server) has started.
    // One adapter per pool: it keeps one wrapper (and one error listener) per pooled connection.
    let primaryAdapter: { of: pg.Pool; pool: PostgresPool } | undefined;
    const primaryPool = async () => {
      const pool = this.#requirePrimaryPool();
      if (primaryAdapter?.of !== pool)
        primaryAdapter = { of: pool, pool: translatingPool(pool, this.#tuning.statementTimeoutMs) };
      return primaryAdapter.pool;
    };
    this.#primaryKysely = this.#kysely(primaryPool);
    this.#replicaKyselys = this.#replicaUrls.map((_, index) =>
      this.#kysely(async () => {
        const replica = this.#replicaPools[index];
        if (!replica) throw new UnavailableError('database', 'the database is not started');
        return replicaWithFallback(translatingPool(replica, this.#tuning.statementTimeoutMs), primaryPool, (error) =>
          this.#monitor?.reportUnavailable(index, error.message),
        );
      }),
    );
    this.#routing = {
      primary: this.#primaryKysely,
      replica: (index) => this.#replicaKyselys[index]!,
      chooseReplica: (key) => this.#chooseReplica(key),
      recordWrite: (key) => this.#recordWrite(key),
      migrate: async (schema, migrations) => {
        await applyMigrations(this.#requirePrimaryPool(), { schema, migrations, logger: this.#logger });
        await this.#recordWrite(undefined);
      },
    };
  }

  /** Whether the server is the embedded one this process runs. */
  get embedded(): boolean {
    return this.#server !== undefined;
  }

  /**
   * A service's view, scoped to its schema: every table a built query names is qualified with it
   * (raw `sql` templates are not rewritten). The schema is created by `migrate()`. The same object
   * is returned for the same name.
   */
  schema<DB>(name: string): SchemaDatabase<DB> {
    let schema = this.#schemas.get(name);
    if (!schema) {
      schema = new PostgresSchema<unknown>(this.#routing, validateSchemaName(name));
      this.#schemas.set(name, schema);
    }
    return schema as SchemaDatabase<DB>;
  }

  /** The primary's connection string (with its password); only once started. */
  get primaryUrl(): string {
    if (this.#primaryUrl === undefined) throw new UnavailableError('database', 'the database is not started');
    return this.#primaryUrl;
  }

  /**
   * `SELECT 1` on the primary within `pingTimeoutMs`, for `/readyz`: resolves `true` when it
   * answers, throws `UnavailableError` / `TimeoutError` with the reason otherwise.
   */
  async ping(): Promise<boolean> {
    const pool = this.#requirePrimaryPool();
    const query = pool.query('SELECT 1').catch((error: unknown) => {
      throw translateDatabaseError(error, this.#tuning.statementTimeoutMs);
    });
    await withDeadline(query, this.#tuning.pingTimeoutMs, 'database ping');
    return true;
  }

  /** The primary's reachability and every replica's health, lag and rotation, for the admin page. */
  async status(): Promise<DatabaseStatus> {
    let up = false;
    let error: string | undefined;
    try {
      await this.ping();
      up = true;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    return {
      embedded: this.embedded,
      primary: { url: this.#primaryUrl ? describePostgresUrl(this.#primaryUrl) : 'not started', up, error },
      replicas: this.#monitor?.report() ?? [],
      trackedWriteKeys: this.#writes.size,
    };
  }

  /**
   * After a commit for `key` (or, without a key, one every reader must see: a migration),
   * remembers the primary's WAL position.
   */
  async #recordWrite(key: string | readonly string[] | undefined): Promise<void> {
    if (this.#replicaUrls.length === 0) return;
    let lsn: bigint;
    try {
      // The insert position, not pg_current_wal_lsn() (the write position): with
      // synchronous_commit = off, COMMIT returns before its record is written, so the write
      // position can still be short of it, and a replica "at" it would not show the write.
      const { rows } = await this.#requirePrimaryPool().query<{ lsn: string }>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      lsn = parseLsn(rows[0]!.lsn);
    } catch (error) {
      // The commit happened; failing now would invite a retry and a duplicate write. Send the
      // reads to the primary for a while instead, which is always correct.
      lsn = 0xffffffffffffffffn;
      this.#logger.warn(
        { err: error },
        'could not read the WAL position after a commit; reads go to the primary for now',
      );
    }
    if (key === undefined) this.#writes.recordForAll(lsn);
    else for (const one of typeof key === 'string' ? [key] : key) this.#writes.record(one, lsn);
  }

  protected async doStart(): Promise<void> {
    try {
      if (this.#server) {
        await this.#server.start();
        this.#primaryUrl = this.#server.url;
      }
      const primaryUrl = this.#primaryUrl!;
      this.#primaryPool = this.#pool(primaryUrl, 'primary');
      this.#replicaPools = this.#replicaUrls.map((url) => this.#pool(url, 'replica'));
      try {
        await this.#primaryPool.query('SELECT 1');
      } catch (error) {
        throw new UnavailableError(
          'database',
          `cannot reach the PostgreSQL primary at ${describePostgresUrl(primaryUrl)}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (this.#replicaUrls.length > 0) {
        this.#monitor = new ReplicaMonitor({
          primaryUrl,
          replicaUrls: this.#replicaUrls,
          logger: this.#logger,
          pollIntervalMs: this.#tuning.replicaPollIntervalMs,
          checkTimeoutMs: this.#tuning.replicaCheckTimeoutMs,
          maxLagMs: this.#tuning.replicaMaxLagMs,
          retryMaxMs: this.#tuning.replicaRetryMaxMs,
        });
        await this.#monitor.start();
      }
      this.#logger.info(
        {
          primary: describePostgresUrl(primaryUrl),
          replicas: this.#replicaUrls.map((url) => describePostgresUrl(url)),
          embedded: this.embedded,
        },
        'database ready',
      );
    } catch (error) {
      await this.#release();
      throw error;
    }
  }

  protected async doStop(): Promise<void> {
    await this.#release();
  }

  /** Closes what is open, in order: monitor, pools, then the embedded server. Safe to repeat. */
  async #release(): Promise<void> {
    const monitor = this.#monitor;
    this.#monitor = undefined;
    await monitor?.stop();
    const pools = [this.#primaryPool, ...this.#replicaPools].filter((pool) => pool !== undefined);
    this.#primaryPool = undefined;
    this.#replicaPools = [];
    // pool.end() waits for checked-out connections; a stuck query must not hold up shutdown.
    await Promise.all(
      pools.map((pool) =>
        withDeadline(pool.end(), this.#tuning.statementTimeoutMs + 1_000, 'closing database pool').catch(
          (error: unknown) => this.#logger.warn({ err: error }, 'database pool did not close cleanly'),
        ),
      ),
    );
    if (this.#server) {
      this.#primaryUrl = undefined;
      if (this.#server.state !== 'new') await this.#server.stop();
    }
  }

  #pool(url: string, role: 'primary' | 'replica'): pg.Pool {
    const pool = new pg.Pool({
      connectionString: url,
      max: this.#tuning.poolSize,
      connectionTimeoutMillis: this.#tuning.connectTimeoutMs,
      statement_timeout: this.#tuning.statementTimeoutMs,
      idle_in_transaction_session_timeout: this.#tuning.idleInTransactionTimeoutMs,
      application_name: this.#tuning.applicationName,
      keepAlive: true,
    });
    // An idle connection that dies is reported as an event; unhandled, it would crash the process.
    pool.on('error', (error) => {
      this.#logger.warn(
        { role, server: describePostgresUrl(url), error: error.message },
        'idle database connection lost',
      );
    });
    return pool;
  }

  #kysely(pool: () => Promise<PostgresPool>): Kysely<unknown> {
    return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  }

  #requirePrimaryPool(): pg.Pool {
    if (!this.#primaryPool) throw new UnavailableError('database', 'the database is not started');
    return this.#primaryPool;
  }

  #chooseReplica(consistencyKey: string | undefined): number | undefined {
    if (!this.#monitor) return undefined;
    this.#turn = (this.#turn + 1) % Number.MAX_SAFE_INTEGER;
    return selectReplica(this.#monitor.states, {
      requiredLsn: this.#writes.required(consistencyKey),
      maxLagMs: this.#tuning.replicaMaxLagMs,
      turn: this.#turn,
    });
  }
}

/** What a schema needs from its database; kept off the database's public surface. */
interface SchemaRouting {
  readonly primary: Kysely<unknown>;
  replica(index: number): Kysely<unknown>;
  chooseReplica(consistencyKey: string | undefined): number | undefined;
  recordWrite(consistencyKey: string | readonly string[]): Promise<void>;
  migrate(schema: string, migrations: readonly Migration[]): Promise<void>;
}

/** One service's schema on a `PostgresDatabase`. */
class PostgresSchema<DB> implements SchemaDatabase<DB> {
  readonly primary: Kysely<DB>;
  readonly #replicas: (Kysely<DB> | undefined)[] = [];

  constructor(
    private readonly routing: SchemaRouting,
    readonly schema: string,
  ) {
    this.primary = routing.primary.withSchema(schema) as Kysely<DB>;
  }

  reader(consistencyKey?: string): Kysely<DB> {
    const index = this.routing.chooseReplica(consistencyKey);
    if (index === undefined) return this.primary;
    return (this.#replicas[index] ??= this.routing.replica(index).withSchema(this.schema) as Kysely<DB>);
  }

  async transaction<T>(work: (trx: Transaction<DB>) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const result = await this.primary.transaction().execute(work);
    if (options?.consistencyKey !== undefined) await this.routing.recordWrite(options.consistencyKey);
    return result;
  }

  async writeStatement<T>(work: (db: Kysely<DB>) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const result = await work(this.primary);
    if (options?.consistencyKey !== undefined) await this.routing.recordWrite(options.consistencyKey);
    return result;
  }

  migrate(migrations: Migration[]): Promise<void> {
    return this.routing.migrate(this.schema, migrations);
  }
}
