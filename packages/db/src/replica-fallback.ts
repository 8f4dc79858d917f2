import type { Kysely, PostgresPool, PostgresPoolClient } from 'kysely';
import { UnavailableError } from '@tend/core';
import type { SchemaDatabase } from './database.js';

/** Statements that open or close a transaction, as Kysely sends them. */
const opensTransaction = /^\s*(begin|start\s+transaction)\b/i;
const closesTransaction = /^\s*(commit|rollback|end)\b/i;

/**
 * A replica's pool whose reads go to the primary when the replica cannot serve them. The replica
 * monitor takes a stopped replica out of rotation within a check or two, but a read routed to it
 * just before (or holding one of its pooled connections when it went away) would otherwise fail
 * with Unavailable, though the primary could have answered it. A statement that fails so is run
 * again on a primary connection, and the rest of that checkout stays there. Reads only: this is
 * the pool `reader()` uses, so nothing run through it is applied twice. Inside a transaction the
 * replica opened, the failure stands, since the statements before it cannot be moved.
 */
export function replicaWithFallback(
  replica: PostgresPool,
  primary: () => Promise<PostgresPool>,
  onFallback: (error: UnavailableError) => void,
): PostgresPool {
  const primaryClient = async (): Promise<PostgresPoolClient> => (await primary()).connect();
  return {
    Client: replica.Client,
    options: replica.options,
    async connect() {
      try {
        return fallingBack(await replica.connect(), primaryClient, onFallback);
      } catch (error) {
        if (!(error instanceof UnavailableError)) throw error;
        onFallback(error);
        return primaryClient();
      }
    },
    end: () => replica.end(),
  };
}

function fallingBack(
  replicaClient: PostgresPoolClient,
  primaryClient: () => Promise<PostgresPoolClient>,
  onFallback: (error: UnavailableError) => void,
): PostgresPoolClient {
  let current = replicaClient;
  let onReplica = true;
  let inTransaction = false;
  const query = async (sqlOrCursor: unknown, parameters?: readonly unknown[]): Promise<unknown> => {
    const run = (client: PostgresPoolClient) =>
      (client.query as (sql: unknown, parameters?: readonly unknown[]) => Promise<unknown>)(sqlOrCursor, parameters);
    if (typeof sqlOrCursor !== 'string') return run(current);
    const opening = opensTransaction.test(sqlOrCursor);
    try {
      const result = await run(current);
      if (opening) inTransaction = true;
      else if (closesTransaction.test(sqlOrCursor)) inTransaction = false;
      return result;
    } catch (error) {
      if (!onReplica || inTransaction || !(error instanceof UnavailableError)) throw error;
      onFallback(error);
      // The replica's connection is broken: drop it rather than return it to the pool.
      replicaClient.release(true);
      onReplica = false;
      current = await primaryClient();
      const result = await run(current);
      if (opening) inTransaction = true;
      return result;
    }
  };
  return {
    get processID() {
      return current.processID;
    },
    query: query as PostgresPoolClient['query'],
    release: (destroy?: boolean) => current.release(destroy),
  };
}

/** How `primaryOrReplica` may use a replica's answer. */
export interface ReplicaAnswerOptions<T> {
  /**
   * Whether the replica's answer may stand for the primary's; when it may not (a row the replica
   * has not replayed yet may be one written in the primary's last moments), the primary's error
   * stands. @default every answer stands
   */
  accept?: (answer: T) => boolean;
  /** Told when a replica's answer stood in for the primary's. @default nothing */
  onReplicaAnswer?: () => void;
}

/**
 * The opposite of `replicaWithFallback`: a read that belongs on the primary (it must see the
 * latest write), answered by a replica while the primary is unreachable (Unavailable, as during a
 * restart), for reads where an answer a moment old is better than none. Any other failure, a
 * database without replicas, or an answer `accept` refuses leaves the primary's error to the caller.
 */
export async function primaryOrReplica<DB, T>(
  db: Pick<SchemaDatabase<DB>, 'primary' | 'reader'>,
  read: (db: Kysely<DB>) => Promise<T>,
  options: ReplicaAnswerOptions<T> = {},
): Promise<T> {
  try {
    return await read(db.primary);
  } catch (error) {
    const replica = db.reader();
    if (!(error instanceof UnavailableError) || replica === db.primary) throw error;
    const answer = await read(replica);
    if (options.accept && !options.accept(answer)) throw error;
    options.onReplicaAnswer?.();
    return answer;
  }
}
