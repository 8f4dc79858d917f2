import { sql } from 'kysely';
import type { Clock } from '@tend/core';
import type { SchemaDatabase } from './database.js';

/** How many months before and after now the window of ready partitions covers. */
export interface PartitionWindow {
  monthsBack: number;
  monthsAhead: number;
}

/**
 * Which rows may have a partition made for them: those from `maxAgeMs` before now to
 * `maxAheadMs` after it. Outside, `ensureFor` refuses, so no caller can grow the partition count.
 */
export interface PartitionRange {
  maxAgeMs: number;
  maxAheadMs: number;
}

/** A row's time outside the range partitions are made for. */
export class PartitionRangeError extends RangeError {
  override name = 'PartitionRangeError';
  constructor(
    readonly table: string,
    readonly at: Date,
  ) {
    super(`no partition of ${table} is made for ${at.toISOString()}: outside the accepted range`);
  }
}

/** "YYYY-MM" of the UTC month an instant falls in. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The months from `at` shifted by `from` to `to` months, inclusive, as "YYYY-MM". */
export function monthsAround(at: Date, from: number, to: number): string[] {
  const months: string[] = [];
  for (let offset = from; offset <= to; offset++) {
    months.push(monthOf(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1))));
  }
  return months;
}

/** The partition of `table` for `month`: its table name and its bounds [from, to) as UTC timestamps. */
export function monthlyPartitionOf(table: string, month: string): { name: string; from: string; to: string } {
  const [year, mon] = month.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(year, mon, 1)).toISOString().slice(0, 7);
  return { name: `${table}_${month.replace('-', '_')}`, from: `${month}-01 00:00:00+00`, to: `${next}-01 00:00:00+00` };
}

/**
 * Keeps a month partition of a table partitioned by month (vitals, chat messages) ready for
 * every row. The window around now is ensured before the first write (and again once the month
 * changes); a row in any other month gets its partition on demand. DDL runs in its own short transaction, never in the reading's:
 * `CREATE TABLE ... PARTITION OF` takes an exclusive lock on the parent, and holding that across
 * a user's insert would serialise every writer. A transaction-scoped advisory lock makes
 * concurrent creators (threads of this process or other replicas) take turns; the loser then
 * finds the table and skips it, instead of failing on a duplicate `pg_type` entry.
 */
export class MonthlyPartitions<DB = unknown> {
  readonly #known = new Set<string>();
  #windowMonth: string | undefined;

  constructor(
    private readonly db: Pick<SchemaDatabase<DB>, 'schema' | 'transaction'>,
    private readonly table: string,
    private readonly clock: Clock,
    private readonly window: PartitionWindow = { monthsBack: 1, monthsAhead: 3 },
    private readonly range?: PartitionRange,
  ) {}

  /**
   * Ensures partitions for the window around now and for every month in `times`; a time outside
   * the range (when one is set) is a `PartitionRangeError` and nothing is created.
   */
  async ensureFor(times: readonly Date[]): Promise<void> {
    const now = this.clock.now();
    const range = this.range;
    if (range) {
      const outside = times.find(
        (at) =>
          !(at.getTime() >= now.getTime() - range.maxAgeMs) || !(at.getTime() <= now.getTime() + range.maxAheadMs),
      );
      if (outside) throw new PartitionRangeError(this.table, outside);
    }
    const needed = new Set(times.map(monthOf));
    if (this.#windowMonth !== monthOf(now)) {
      for (const month of monthsAround(now, -this.window.monthsBack, this.window.monthsAhead)) {
        needed.add(month);
      }
    }
    const missing = [...needed].filter((month) => !this.#known.has(month)).sort();
    if (missing.length > 0) await this.create(missing);
    this.#windowMonth = monthOf(now);
  }

  private async create(months: string[]): Promise<void> {
    const schema = this.db.schema;
    await this.db.transaction(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`${schema}.${this.table} partitions`}))`.execute(trx);
      const existing = await sql<{ relname: string }>`
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = ${schema} AND p.relname = ${this.table}`.execute(trx);
      const names = new Set(existing.rows.map((r) => r.relname));
      for (const month of months) {
        const partition = monthlyPartitionOf(this.table, month);
        if (names.has(partition.name)) continue;
        // Bounds are built from digits above, never from input: safe to inline (DDL takes no parameters).
        await sql`CREATE TABLE IF NOT EXISTS ${sql.id(schema, partition.name)} PARTITION OF ${sql.id(schema, this.table)}
          FOR VALUES FROM (${sql.lit(partition.from)}) TO (${sql.lit(partition.to)})`.execute(trx);
      }
    });
    for (const month of months) this.#known.add(month);
  }
}
