import { sql, type Kysely } from 'kysely';
import { VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import type { FieldCipher } from '../crypto/field-cipher.js';
import type { HealthTables } from '../db/tables.js';
import { bucketBounds, bucketize } from './analytics.js';
import { exactZero, parseExact } from './exact-numbers.js';
import { addReading, emptySums, mergeSums, type ReadingSums } from './reading-sums.js';
import { rollupHourMs } from './vital-rollups.js';
import { vitalOfRow, type ReadingValues, type VitalRow } from './vital-rows.js';
import type { VitalKindSpec } from './vital-kinds.js';
import type { SummaryParts } from './vital-summary.js';

/** Whose readings, over [from, to), of which kinds, bucketed how and in which zone. */
export interface SummaryPeriod {
  userId: string;
  from: Date;
  to: Date;
  kinds: readonly VitalKindSpec[];
  bucketSize: BucketSize.DAY | BucketSize.WEEK;
  timeZone: string;
}

/**
 * `measured_at` as epoch milliseconds: a number parses several times faster than a timestamp's
 * text. Exact (numeric) since PostgreSQL 14; readings are stored in whole milliseconds.
 */
const measuredAtMs = sql<number>`floor(extract(epoch from measured_at) * 1000)::float8`;

/**
 * What a summary of each kind needs, read in time independent of the number of readings: the
 * hourly rollups of the whole UTC hours in the period, summed per bucket by PostgreSQL; the
 * readings themselves only in the partial hours at its ends and in hours a local midnight cuts (in
 * zones at :30 or :45); the flagged readings from their own table; the weight series for weight's
 * rapid-change flag; and the newest reading of each kind, read whole. One snapshot for all, so
 * `latest` is one of the readings counted even while the person records or deletes.
 * Kinds without readings in the period are absent.
 */
export function readSummaryParts(
  reader: Kysely<HealthTables>,
  schema: string,
  cipher: FieldCipher,
  period: SummaryPeriod,
): Promise<Map<string, SummaryParts>> {
  return reader
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const { starts, bounds } = bucketBounds(period.from, period.to, period.bucketSize, period.timeZone);
      const from = period.from.getTime();
      const to = period.to.getTime();
      const wholeFrom = Math.ceil(from / rollupHourMs) * rollupHourMs;
      const wholeTo = Math.max(wholeFrom, Math.floor(to / rollupHourMs) * rollupHourMs);
      // Hours a bucket boundary falls inside are read reading by reading.
      const cutHours = [
        ...new Set(
          bounds
            .filter((b) => b % rollupHourMs !== 0 && b > wholeFrom && b < wholeTo)
            .map((b) => Math.floor(b / rollupHourMs) * rollupHourMs),
        ),
      ];
      const kinds = period.kinds.map((spec) => spec.name);
      const [rollups, edges, flagged, weights, newest] = await Promise.all([
        rollupSums(trx, period.userId, kinds, bounds, wholeFrom, wholeTo, cutHours),
        readingValues(trx, period.userId, kinds, [
          [from, wholeFrom],
          [wholeTo, to],
          ...cutHours.map((h): [number, number] => [h, h + rollupHourMs]),
        ]),
        flaggedReadings(trx, period.userId, kinds, from, to),
        kinds.includes('weight') ? readingValues(trx, period.userId, ['weight'], [[from, to]]) : [],
        newestReadings(trx, schema, period.userId, kinds, period.from, period.to),
      ]);
      const parts = new Map<string, SummaryParts>();
      const latest = new Map(newest.map((row) => [row.kind, row]));
      const edgesByKind = Map.groupBy(edges, (row) => row.kind);
      const flaggedByKind = Map.groupBy(flagged, (row) => row.kind);
      const rollupsByKind = Map.groupBy(rollups, (row) => row.kind);
      for (const spec of period.kinds) {
        const newestOfKind = latest.get(spec.name);
        // No newest reading: none in the period.
        if (!newestOfKind) continue;
        const buckets = starts.map((startDate) => ({ startDate, sums: emptySums() }));
        for (const row of rollupsByKind.get(spec.name) ?? []) {
          const bucket = buckets[row.bucket - 1];
          if (bucket) mergeSums(bucket.sums, row.sums);
        }
        const raw = (edgesByKind.get(spec.name) ?? []).map((row) => ({ at: row.measured_at, row }));
        bucketize(raw, period.from, period.to, period.bucketSize, period.timeZone).forEach((bucket, i) => {
          for (const item of bucket.items) addReading(buckets[i]!.sums, item.row);
        });
        parts.set(spec.name, {
          buckets,
          flagged: flaggedByKind.get(spec.name) ?? [],
          weights: spec.kind === VitalKind.WEIGHT ? weights : [],
          latest: vitalOfRow(newestOfKind, cipher),
        });
      }
      return parts;
    });
}

/** The rollups of whole hours [from, to) but the cut ones, summed per kind and bucket (1-based). */
async function rollupSums(
  db: Kysely<HealthTables>,
  userId: string,
  kinds: readonly string[],
  bounds: readonly number[],
  from: number,
  to: number,
  cutHours: readonly number[],
): Promise<{ kind: string; bucket: number; sums: ReadingSums }[]> {
  if (from >= to) return [];
  const seriesColumns = (name: 'value' | 'systolic' | 'diastolic') => [
    sql<string | null>`sum(${sql.ref(`${name}_sum`)})::text`.as(`${name}_sum`),
    sql<number | null>`min(${sql.ref(`${name}_min`)})`.as(`${name}_min`),
    sql<number | null>`max(${sql.ref(`${name}_max`)})`.as(`${name}_max`),
    sql<string | null>`sum(${sql.ref(`${name}_sum_ty`)})::text`.as(`${name}_sum_ty`),
  ];
  const bucket = sql<number>`width_bucket(hour_start, ${bounds.map((b) => new Date(b).toISOString())}::timestamptz[])`;
  let query = db
    .selectFrom('vital_rollups')
    .select([
      'kind',
      bucket.as('bucket'),
      sql<string>`sum(readings)::text`.as('readings'),
      sql<string>`min(first_ms)::text`.as('first_ms'),
      sql<string>`max(last_ms)::text`.as('last_ms'),
      sql<string>`sum(sum_t)::text`.as('sum_t'),
      sql<string>`sum(sum_tt)::text`.as('sum_tt'),
      ...seriesColumns('value'),
      ...seriesColumns('systolic'),
      ...seriesColumns('diastolic'),
    ])
    .where('user_id', '=', userId)
    .where('kind', 'in', kinds)
    .where('hour_start', '>=', new Date(from))
    .where('hour_start', '<', new Date(to));
  if (cutHours.length > 0) {
    query = query.where(
      'hour_start',
      'not in',
      cutHours.map((h) => new Date(h)),
    );
  }
  const rows = await query.groupBy(['kind', sql`2`]).execute();
  const seriesOf = (sum: string | null, min: number | null, max: number | null, sumTY: string | null) =>
    sum === null || min === null || max === null
      ? undefined
      : { sum: parseExact(sum), min, max, sumTY: sumTY === null ? exactZero : parseExact(sumTY) };
  return rows.map((row) => ({
    kind: row.kind,
    bucket: row.bucket,
    sums: {
      count: Number(row.readings),
      firstMs: Number(row.first_ms),
      lastMs: Number(row.last_ms),
      sumT: BigInt(row.sum_t),
      sumTT: BigInt(row.sum_tt),
      value: seriesOf(row.value_sum, row.value_min, row.value_max, row.value_sum_ty),
      systolic: seriesOf(row.systolic_sum, row.systolic_min, row.systolic_max, row.systolic_sum_ty),
      diastolic: seriesOf(row.diastolic_sum, row.diastolic_min, row.diastolic_max, row.diastolic_sum_ty),
    },
  }));
}

/** Readings' values in any of the ranges [from, to) of epoch ms, oldest first, ties by id. */
async function readingValues(
  db: Kysely<HealthTables>,
  userId: string,
  kinds: readonly string[],
  ranges: readonly [number, number][],
): Promise<ReadingValues[]> {
  const nonEmpty = ranges.filter(([from, to]) => from < to);
  if (nonEmpty.length === 0) return [];
  const rows = await db
    .selectFrom('vitals')
    .select(['id', 'kind', 'value', 'systolic', 'diastolic', measuredAtMs.as('measured_at_ms')])
    .where('user_id', '=', userId)
    .where('kind', 'in', kinds)
    .where((eb) =>
      eb.or(
        nonEmpty.map(([from, to]) =>
          eb.and([eb('measured_at', '>=', new Date(from)), eb('measured_at', '<', new Date(to))]),
        ),
      ),
    )
    .orderBy('measured_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    measured_at: new Date(row.measured_at_ms),
    value: row.value,
    systolic: row.systolic,
    diastolic: row.diastolic,
  }));
}

/** The readings with a single-reading flag in [from, to), oldest first, ties by id. */
async function flaggedReadings(
  db: Kysely<HealthTables>,
  userId: string,
  kinds: readonly string[],
  from: number,
  to: number,
): Promise<ReadingValues[]> {
  const rows = await db
    .selectFrom('vital_attention')
    .select(['vital_id', 'kind', 'value', 'systolic', 'diastolic', measuredAtMs.as('measured_at_ms')])
    .where('user_id', '=', userId)
    .where('kind', 'in', kinds)
    .where('measured_at', '>=', new Date(from))
    .where('measured_at', '<', new Date(to))
    .orderBy('measured_at')
    .orderBy('vital_id')
    .execute();
  return rows.map((row) => ({
    id: row.vital_id,
    kind: row.kind,
    measured_at: new Date(row.measured_at_ms),
    value: row.value,
    systolic: row.systolic,
    diastolic: row.diastolic,
  }));
}

/** The newest reading of each kind in [from, to), whole: one index probe per kind. */
async function newestReadings(
  db: Kysely<HealthTables>,
  schema: string,
  userId: string,
  kinds: readonly string[],
  from: Date,
  to: Date,
): Promise<VitalRow[]> {
  const { rows } = await sql<VitalRow>`select v.* from unnest(${kinds}::text[]) as k(kind)
    cross join lateral (
      select * from ${sql.table(`${schema}.vitals`)}
      where user_id = ${userId} and kind = k.kind and measured_at >= ${from} and measured_at < ${to}
      order by measured_at desc, id desc limit 1
    ) as v`.execute(db);
  return rows;
}
