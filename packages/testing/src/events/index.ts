// Fixtures for the event bus's integration suites: schemas, topics, captured logs, and the
// consumer process a suite kills mid-batch. Kept out of @tend/events so nothing ships them.
export {
  captureLog,
  closedPort,
  createTestSchema,
  deleteTopics,
  eventually,
  runId,
  type CapturedLog,
  type TestSchema,
  type TestTables,
} from './event-fixtures.js';

/**
 * The script of a consumer process that applies events idempotently and hangs after its N-th
 * commit (CONSUMER_* variables), for suites that kill a consumer mid-batch.
 */
export const consumerProcessScript: URL = new URL('./consumer-process.ts', import.meta.url);
