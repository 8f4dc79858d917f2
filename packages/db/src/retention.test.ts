import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tend/core';
import { RetentionTask } from './retention.js';

const logger = createLogger({ level: 'silent' });
const hour = 3_600_000;

/** A database that runs nothing and records each statement it was given. */
function recordingDatabase(): { db: { schema: string; primary: Kysely<unknown> }; statements: CompiledQuery[] } {
  const statements: CompiledQuery[] = [];
  const primary = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => void statements.push(event.query),
  });
  return { db: { schema: 'keys', primary }, statements };
}

describe('RetentionTask', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs hourly when the interval is passed on unset, not in a tight loop', async () => {
    vi.useFakeTimers();
    const { db, statements } = recordingDatabase();
    const rules = [{ table: 'keys', timeColumn: 'created_at', keepMs: hour }];
    const task = new RetentionTask({ db, rules, logger, everyMs: undefined, batchSize: undefined });
    await task.start();
    await vi.advanceTimersByTimeAsync(hour - 1000);
    expect(statements).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toContain('delete from "keys"."keys"');
    expect(statements[0]!.parameters).toContain(1000);
    await task.stop();
  });

  it('names the option when the interval or the batch is not a positive integer', () => {
    const { db } = recordingDatabase();
    const rules = [{ table: 'keys', timeColumn: 'created_at', keepMs: hour }];
    expect(() => new RetentionTask({ db, rules, logger, everyMs: 0 })).toThrow(/everyMs must be a positive integer/);
    expect(() => new RetentionTask({ db, rules, logger, batchSize: 2.5 })).toThrow(
      /batchSize must be a positive integer/,
    );
  });
});
