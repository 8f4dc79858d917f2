import { sql, type Kysely, type RawBuilder } from 'kysely';
import { VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import type { FieldCipher } from '../crypto/field-cipher.js';
import type { HealthTables } from '../db/tables.js';
import { bucketBounds, bucketize } from './analytics.js';
import { parseExact } from './exact-numbers.js';
import { addReading, emptySums, mergeSums, type ReadingSums, type SeriesSums } from './reading-sums.js';
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
const measuredAtMs = sql`floor(extract(epoch from measured_at) * 1000)::float8`;

/** A reading's values as the statement returns them (JSON). */
interface ValuesJson {
  id: string;
  kind: string;
  at: number;
  value: number | null;
  systolic: number | null;
  diastolic: number | null;
}

/** One series' sums as the statement returns them: numerics as text, extremes as numbers. */
type SeriesJson<N extends string> = { [K in `${N}_sum` | `${N}_sum_ty`]: string | null } & {
  [K in `${N}_min` | `${N}_max`]: number | null;
};

/** Sums of rollups of one kind and bucket as the statement returns them. */
type RollupJson = {
  kind: string;
  bucket: number;
  readings: string;
  first_ms: string;
  last_ms: string;
  sum_t: string;
  sum_tt: string;
} & SeriesJson<'value'> &
  SeriesJson<'systolic'> &
  SeriesJson<'diastolic'>;

/** A whole reading as the statement returns it: times as epoch ms. */
type WholeJson = Omit<VitalRow, 'measured_at' | 'period_start' | 'created_at'> & {
  measured_at: number;
  period_start: number | null;
  created_at: number;
};

/**
 * What a summary of each kind needs, read in time independent of the number of readings and in
 * ONE statement (one snapshot, one round trip): the hourly rollups of the whole UTC hours in the
 * period, summed per bucket by PostgreSQL; the readings themselves only in the partial hours at
 * its ends and in hours a local midnight cuts (in zones at :30 or :45); the flagged readings from
 * their own table; the weight series for weight's rapid-change flag; and the newest reading of
 * each kind, whole. `latest` is therefore always one of the readings counted, even while the
 * person records or deletes. Kinds without readings in the period are absent.
 */
export async function readSummaryParts(
  reader: Kysely<HealthTables>,
  schema: string,
  cipher: FieldCipher,
  period: SummaryPeriod,
): Promise<Map<string, SummaryParts>> {
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
  const table = (name: string) => sql.table(`${schema}.${name}`);
  const ofPerson = sql`user_id = ${period.userId} and kind = any(${kinds}::text[])`;
  const edgeRanges: [number, number][] = [
    [from, wholeFrom],
    [wholeTo, to],
    ...cutHours.map((h): [number, number] => [h, h + rollupHourMs]),
  ];
  const { rows } = await sql<{
    rollups: RollupJson[];
    edges: ValuesJson[];
    flagged: ValuesJson[];
    weights: ValuesJson[];
    newest: WholeJson[];
  }>`select
      (${rollupSums(table('vital_rollups'), ofPerson, bounds, wholeFrom, wholeTo, cutHours)}) as rollups,
      (${readingValues(table('vitals'), ofPerson, edgeRanges)}) as edges,
      (${flaggedReadings(table('vital_attention'), ofPerson, from, to)}) as flagged,
      (${kinds.includes('weight') ? readingValues(table('vitals'), sql`user_id = ${period.userId} and kind = 'weight'`, [[from, to]]) : sql`select '[]'::json`}) as weights,
      (${newestReadings(table('vitals'), period.userId, kinds, period.from, period.to)}) as newest`.execute(reader);
  const result = rows[0]!;
  const parts = new Map<string, SummaryParts>();
  const latest = new Map(result.newest.map((row) => [row.kind, row]));
  const edgesByKind = Map.groupBy(result.edges.map(readingOf), (row) => row.kind);
  const flaggedByKind = Map.groupBy(result.flagged.map(readingOf), (row) => row.kind);
  const rollupsByKind = Map.groupBy(result.rollups, (row) => row.kind);
  for (const spec of period.kinds) {
    const newestOfKind = latest.get(spec.name);
    // No newest reading: none in the period.
    if (!newestOfKind) continue;
    const buckets = starts.map((startDate) => ({ startDate, sums: emptySums() }));
    for (const row of rollupsByKind.get(spec.name) ?? []) {
      const bucket = buckets[row.bucket - 1];
      if (bucket) mergeSums(bucket.sums, sumsOf(row));
    }
    const raw = (edgesByKind.get(spec.name) ?? []).map((row) => ({ at: row.measured_at, row }));
    bucketize(raw, period.from, period.to, period.bucketSize, period.timeZone).forEach((bucket, i) => {
      for (const item of bucket.items) addReading(buckets[i]!.sums, item.row);
    });
    parts.set(spec.name, {
      buckets,
      flagged: flaggedByKind.get(spec.name) ?? [],
      weights: spec.kind === VitalKind.WEIGHT ? result.weights.map(readingOf) : [],
      latest: vitalOfRow(wholeRowOf(newestOfKind), cipher),
    });
  }
  return parts;
}

/** The rollups of whole hours [from, to) but the cut ones, summed per kind and bucket (1-based). */
function rollupSums(
  table: RawBuilder<unknown>,
  ofPerson: RawBuilder<unknown>,
  bounds: readonly number[],
  from: number,
  to: number,
  cutHours: readonly number[],
): RawBuilder<unknown> {
  if (from >= to) return sql`select '[]'::json`;
  const series = (['value', 'systolic', 'diastolic'] as const).map((name) => {
    const column = (suffix: string) => sql.id(`${name}_${suffix}`);
    return sql`sum(${column('sum')})::text as ${column('sum')}, min(${column('min')}) as ${column('min')},
      max(${column('max')}) as ${column('max')}, sum(${column('sum_ty')})::text as ${column('sum_ty')}`;
  });
  const isoBounds = bounds.map((b) => new Date(b).toISOString());
  const cut = cutHours.map((h) => new Date(h).toISOString());
  return sql`select coalesce(json_agg(r), '[]'::json) from (
      select kind, width_bucket(hour_start, ${isoBounds}::timestamptz[]) as bucket, sum(readings)::text as readings,
        min(first_ms)::text as first_ms, max(last_ms)::text as last_ms, sum(sum_t)::text as sum_t,
        sum(sum_tt)::text as sum_tt, ${sql.join(series)}
      from ${table}
      where ${ofPerson} and hour_start >= ${new Date(from)} and hour_start < ${new Date(to)}
        and hour_start <> all(${cut}::timestamptz[])
      group by kind, 2) as r`;
}

/** Readings' values in any of the ranges [from, to) of epoch ms, oldest first, ties by id. */
function readingValues(
  table: RawBuilder<unknown>,
  ofPerson: RawBuilder<unknown>,
  ranges: readonly [number, number][],
): RawBuilder<unknown> {
  const nonEmpty = ranges.filter(([from, to]) => from < to);
  if (nonEmpty.length === 0) return sql`select '[]'::json`;
  // One branch per range, each an index range scan: ORed ranges may become a filter over all of
  // the person's readings when the planner misjudges how many there are.
  const branches = nonEmpty.map(
    ([from, to]) => sql`select id, kind, ${measuredAtMs} as at, value, systolic, diastolic from ${table}
      where ${ofPerson} and measured_at >= ${new Date(from)} and measured_at < ${new Date(to)}`,
  );
  return sql`select coalesce(json_agg(r order by r.at, r.id), '[]'::json) from (${sql.join(branches, sql` union all `)}) as r`;
}

/** The readings with a single-reading flag in [from, to), oldest first, ties by id. */
function flaggedReadings(
  table: RawBuilder<unknown>,
  ofPerson: RawBuilder<unknown>,
  from: number,
  to: number,
): RawBuilder<unknown> {
  return sql`select coalesce(json_agg(r order by r.at, r.id), '[]'::json) from (
      select vital_id as id, kind, ${measuredAtMs} as at, value, systolic, diastolic from ${table}
      where ${ofPerson} and measured_at >= ${new Date(from)} and measured_at < ${new Date(to)}) as r`;
}

/** The newest reading of each kind in [from, to), whole: one index probe per kind. */
function newestReadings(
  table: RawBuilder<unknown>,
  userId: string,
  kinds: readonly string[],
  from: Date,
  to: Date,
): RawBuilder<unknown> {
  const ms = (column: string) => sql`floor(extract(epoch from ${sql.ref(column)}) * 1000)::float8`;
  // The newest one's key first, from the (user, kind, time) index alone, then its row: asked for
  // whole rows at once, the planner may sort a whole partition of one person's readings.
  return sql`select coalesce(json_agg(v), '[]'::json) from unnest(${kinds}::text[]) as k(kind)
    cross join lateral (
      select id, measured_at from ${table}
      where user_id = ${userId} and kind = k.kind and measured_at >= ${from} and measured_at < ${to}
      order by measured_at desc, id desc limit 1
    ) as n
    cross join lateral (
      select id, user_id, kind, value, systolic, diastolic, unit, loinc, ${ms('measured_at')} as measured_at,
        ${ms('period_start')} as period_start, source, note_encrypted, recorded_by_user_id,
        ${ms('created_at')} as created_at
      from ${table}
      where id = n.id and measured_at = n.measured_at and measured_at >= ${from} and measured_at < ${to}
    ) as v`;
}

function readingOf(row: ValuesJson): ReadingValues {
  return {
    id: row.id,
    kind: row.kind,
    measured_at: new Date(row.at),
    value: row.value,
    systolic: row.systolic,
    diastolic: row.diastolic,
  };
}

function wholeRowOf(row: WholeJson): VitalRow {
  return {
    ...row,
    measured_at: new Date(row.measured_at),
    period_start: row.period_start === null ? null : new Date(row.period_start),
    created_at: new Date(row.created_at),
  };
}

function sumsOf(row: RollupJson): ReadingSums {
  const series = (name: 'value' | 'systolic' | 'diastolic'): SeriesSums | undefined => {
    const sum = row[`${name}_sum`];
    const min = row[`${name}_min`];
    const max = row[`${name}_max`];
    const sumTY = row[`${name}_sum_ty`];
    if (sum === null || min === null || max === null || sumTY === null) return undefined;
    return { sum: parseExact(sum), min, max, sumTY: parseExact(sumTY) };
  };
  return {
    count: Number(row.readings),
    firstMs: Number(row.first_ms),
    lastMs: Number(row.last_ms),
    sumT: BigInt(row.sum_t),
    sumTT: BigInt(row.sum_tt),
    value: series('value'),
    systolic: series('systolic'),
    diastolic: series('diastolic'),
  };
}
