import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { UnavailableError } from '@tend/core';

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
