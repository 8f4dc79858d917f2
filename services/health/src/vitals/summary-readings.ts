import { sql, type Kysely } from 'kysely';
import type { Vital } from '@tend/proto/tend/health/v1/vitals';
import type { FieldCipher } from '../crypto/field-cipher.js';
import type { HealthTables } from '../db/tables.js';
import { vitalOfRow, type ReadingValues } from './vital-rows.js';
import { newestReading } from './vital-summary.js';

/** A person's readings over a period, as summaries read them. */
export interface SummaryReadings {
  /** Every reading's values by kind (its REST name), oldest first; kinds without readings absent. */
  byKind: Map<string, ReadingValues[]>;
  /** The newest reading of each kind present (by its REST name), read whole, as the API shows it. */
  latest: Map<string, Vital>;
}

/** Whose readings, over [from, to), of one kind (its REST name) or of all. */
export interface SummaryPeriod {
  userId: string;
  from: Date;
  to: Date;
  kind?: string;
}

/**
 * `measured_at` as epoch milliseconds: the driver's parsing of a timestamp's text was the largest
 * cost of reading thousands of rows, and a number parses several times faster. Floored as the
 * driver floors, though readings are stored in whole milliseconds anyway; `extract` is exact
 * (numeric) since PostgreSQL 14.
 */
const measuredAtMs = sql<number>`floor(extract(epoch from measured_at) * 1000)::float8`.as('measured_at_ms');

/**
 * The readings a summary needs: the values and time of every one, and only the newest of each
 * kind read whole (its note decrypted). Reading every row whole cost more than summarising them:
 * the note, units and provenance of thousands of readings, of which a summary shows one. Both
 * reads see one snapshot, so `latest` is always one of the readings counted, even while the
 * person records or deletes.
 */
export function readSummaryReadings(
  reader: Kysely<HealthTables>,
  cipher: FieldCipher,
  period: SummaryPeriod,
): Promise<SummaryReadings> {
  return reader
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const byKind = Map.groupBy(await readingValues(trx, period), (row) => row.kind);
      const newest = [...byKind.values()].map((ofKind) => newestReading(ofKind)!);
      const whole =
        newest.length === 0
          ? []
          : await trx
              .selectFrom('vitals')
              .selectAll()
              .where(
                'id',
                'in',
                newest.map((row) => row.id),
              )
              // The period prunes the partitions searched for the ids.
              .where('measured_at', '>=', period.from)
              .where('measured_at', '<', period.to)
              .execute();
      return { byKind, latest: new Map(whole.map((row) => [row.kind, vitalOfRow(row, cipher)])) };
    });
}

async function readingValues(db: Kysely<HealthTables>, period: SummaryPeriod): Promise<ReadingValues[]> {
  let query = db
    .selectFrom('vitals')
    .select(['id', 'kind', 'value', 'systolic', 'diastolic', measuredAtMs])
    .where('user_id', '=', period.userId)
    .where('measured_at', '>=', period.from)
    .where('measured_at', '<', period.to);
  if (period.kind !== undefined) query = query.where('kind', '=', period.kind);
  // Oldest first, the order summaries add up in: sorting rows already in order costs little.
  const rows = await query.orderBy('measured_at').execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    measured_at: new Date(row.measured_at_ms),
    value: row.value,
    systolic: row.systolic,
    diastolic: row.diastolic,
  }));
}
