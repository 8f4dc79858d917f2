import { sql, type QueryExecutorProvider } from 'kysely';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';

/** Rows of `table` whose `timeColumn` is older than `keepMs` are deleted. */
export interface RetentionRule {
  table: string;
  timeColumn: string;
  keepMs: number;
}

export interface RetentionTaskOptions {
  /** A service's database (its `SchemaDatabase`): the schema, and the primary to delete on. */
  db: { schema: string; primary: QueryExecutorProvider };
  rules: readonly RetentionRule[];
  logger: Logger;
  /** How often expired rows are deleted. @default 3_600_000 (1 h) */
  everyMs?: number;
  /** Rows one statement deletes; small enough to keep locks and WAL bursts short. @default 1000 */
  batchSize?: number;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

function positiveInteger(schema: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`retention of ${schema}: ${name} must be a positive integer (got ${value})`);
  return value;
}

/**
 * Deletes rows that have served their purpose (remembered event ids, expired idempotency keys)
 * on a timer, so such tables stay the size of their window instead of growing forever. Every
 * instance may run it: concurrent deletes of the same expired rows are harmless.
 */
export class RetentionTask extends BaseService {
  readonly #options: Required<RetentionTaskOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: RetentionTaskOptions) {
    super(`${options.db.schema}-retention`);
    for (const rule of options.rules) {
      if (!identifier.test(rule.table) || !identifier.test(rule.timeColumn)) {
        throw new RangeError(`retention rule ${rule.table}.${rule.timeColumn}: not a plain identifier`);
      }
    }
    // Filled with `??`, not by spreading over the defaults: an option passed as undefined (a
    // service handing on its own unset option) must get the default, not a 1 ms interval.
    this.#options = {
      ...options,
      everyMs: positiveInteger(options.db.schema, 'everyMs', options.everyMs ?? 3_600_000),
      batchSize: positiveInteger(options.db.schema, 'batchSize', options.batchSize ?? 1000),
    };
  }

  protected async doStart(): Promise<void> {
    this.#timer = setInterval(() => {
      this.#running ??= this.deleteExpired()
        .then(() => undefined)
        .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'retention: deleting expired rows failed'))
        .finally(() => (this.#running = undefined));
    }, this.#options.everyMs);
    this.#timer.unref();
  }

  protected async doStop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Deletes every expired row now, batch by batch. Returns how many went, per table. */
  async deleteExpired(): Promise<Record<string, number>> {
    const { db, rules, batchSize } = this.#options;
    const deleted: Record<string, number> = {};
    for (const rule of rules) {
      const table = sql.table(`${db.schema}.${rule.table}`);
      const column = sql.ref(rule.timeColumn);
      let total = 0;
      for (;;) {
        // A row's ctid is unique only within one table: a partitioned table's rows are matched by
        // partition and ctid, or a batch would also delete rows at the same place in newer partitions.
        const result = await sql`delete from ${table} where (tableoid, ctid) in (
            select tableoid, ctid from ${table} where ${column} < now() - make_interval(secs => ${rule.keepMs / 1000})
            limit ${batchSize})`.execute(db.primary);
        const count = Number(result.numAffectedRows ?? 0n);
        total += count;
        if (count < batchSize) break;
      }
      deleted[rule.table] = total;
    }
    return deleted;
  }
}
