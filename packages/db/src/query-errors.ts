import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { TimeoutError, UnavailableError } from '@tend/core';

/** Node socket errors that mean the server cannot be reached, not that the query was wrong. */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * SQLSTATEs of a server that is going away or not there yet: connection exceptions (class 08),
 * administrator / crash shutdown and "the database system is starting up".
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/**
 * Turns the driver's errors that mean "slow" or "down" into the platform's `TimeoutError` and
 * `UnavailableError`, so they reach the edge as DeadlineExceeded / Unavailable with a clear
 * message instead of Internal. Every other error (a unique violation a service maps to a
 * conflict, a syntax error) passes through untouched, with its SQLSTATE `code`.
 */
export function translateDatabaseError(error: unknown, statementTimeoutMs: number): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === '57014' && error.message.includes('statement timeout')) {
      return new TimeoutError('database statement', statementTimeoutMs, { cause: error });
    }
    if (isUnavailableState(code) || unreachableCodes.has(code)) {
      return new UnavailableError('database', `database is unavailable: ${error.message}`, { cause: error });
    }
  }
  if (/^Connection terminated|timeout exceeded when trying to connect|is not queryable/.test(error.message)) {
    return new UnavailableError('database', `database is unavailable: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * The pool as Kysely sees it, with each query's error translated. Kysely takes any object with
 * pg's pool shape; wrapping here is the one place every query of every schema goes through.
 * Wrappers are kept per pooled client, so Kysely's own per-connection state stays stable.
 */
export function translatingPool(pool: pg.Pool, statementTimeoutMs: number): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const translate = (error: unknown): never => {
    throw translateDatabaseError(error, statementTimeoutMs);
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = (sqlOrCursor: unknown, parameters?: readonly unknown[]): unknown =>
      typeof sqlOrCursor === 'string'
        ? client.query(sqlOrCursor, parameters as unknown[]).catch(translate)
        : client.query(sqlOrCursor as pg.Submittable);
    return {
      // Kysely cancels a query through the backend's pid, when the driver exposes it.
      get processID() {
        return (client as { processID?: number }).processID;
      },
      query: query as PostgresPoolClient['query'],
      release: (destroy?: boolean) => client.release(destroy),
    };
  };
  return {
    Client: pg.Client,
    options: pool.options,
    async connect() {
      const client = await pool.connect().catch(translate);
      let adapter = wrapped.get(client);
      if (!adapter) {
        // The pool listens for errors only while a client is idle. One the server ends while it is
        // checked out between statements (a transaction, a replica stopped, an administrator's
        // terminate) emits 'error' with no listener, which crashes the process; the statement that
        // uses it next fails instead, and the pool drops it on release as no longer queryable.
        client.on('error', () => undefined);
        adapter = wrap(client);
        wrapped.set(client, adapter);
      }
      return adapter;
    },
    end: () => pool.end(),
  };
}

/**
 * `work`, or a `TimeoutError` after `ms`. The work is not cancelled (a pg query cannot be
 * abandoned mid-flight without losing its connection); its late result or error is dropped.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(operation, ms)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
