import { sql, type Kysely, type OperationNodeSource, type RawBuilder } from 'kysely';
import type { HealthTables } from '../db/tables.js';
import type { VitalRow } from './vital-rows.js';
import { flagsOfRow } from './vital-rows.js';

/** The rollup grain: one UTC hour. */
export const rollupHourMs = 3_600_000;

const series = ['value', 'systolic', 'diastolic'] as const;

/**
 * The statements that keep a person's rollups current as `rows` are written, to run in the same
 * statement as the insert (a data-modifying CTE sees the snapshot from before it, so the sums are
 * taken from the new readings themselves and added to each hour's row): the hourly sums, and the
 * readings that need attention. Exact sums come from `vital_exact` (migration 0011).
 */
export function rollupWrites(
  db: Kysely<HealthTables>,
  schema: string,
  userId: string,
  rows: readonly VitalRow[],
): OperationNodeSource[] {
  const writes: OperationNodeSource[] = [rollupUpsert(schema, userId, rows)];
  const flagged = rows.filter((row) => flagsOfRow(row).length > 0);
  if (flagged.length > 0) {
    writes.push(
      db.insertInto('vital_attention').values(
        flagged.map((row) => ({
          user_id: row.user_id,
          kind: row.kind,
          measured_at: row.measured_at,
          vital_id: row.id,
          value: row.value,
          systolic: row.systolic,
          diastolic: row.diastolic,
        })),
      ),
    );
  }
  return writes;
}

function rollupUpsert(schema: string, userId: string, rows: readonly VitalRow[]): RawBuilder<unknown> {
  const exact = (column: string) => sql`${sql.id(schema, 'vital_exact')}(${sql.ref(`n.${column}`)})`;
  const times = rows.map((row) => new Date(row.measured_at).getTime());
  const sums = series.map(
    (name) =>
      sql`sum(${exact(name)}), min(${sql.ref(`n.${name}`)}), max(${sql.ref(`n.${name}`)}), sum(n.t * ${exact(name)})`,
  );
  const updates = series.map((name) => {
    const column = (suffix: string) => sql.id(`${name}_${suffix}`);
    const added = (suffix: string) => sql`${column(suffix)} = r.${column(suffix)} + excluded.${column(suffix)}`;
    return sql`${added('sum')}, ${column('min')} = least(r.${column('min')}, excluded.${column('min')}),
      ${column('max')} = greatest(r.${column('max')}, excluded.${column('max')}), ${added('sum_ty')}`;
  });
  return sql`insert into ${sql.table(`${schema}.vital_rollups`)} as r
      (user_id, kind, hour_start, readings, first_ms, last_ms, sum_t, sum_tt,
       value_sum, value_min, value_max, value_sum_ty, systolic_sum, systolic_min, systolic_max, systolic_sum_ty,
       diastolic_sum, diastolic_min, diastolic_max, diastolic_sum_ty)
    select ${userId}::uuid, n.kind, to_timestamp(n.hour_s), count(*), min(n.t), max(n.t), sum(n.t::numeric),
      sum(n.t::numeric * n.t), ${sql.join(sums)}
    from unnest(${rows.map((row) => row.kind)}::text[], ${times.map((t) => Math.floor(t / rollupHourMs) * 3600)}::bigint[],
      ${times}::bigint[], ${rows.map((row) => row.value)}::float8[], ${rows.map((row) => row.systolic)}::float8[],
      ${rows.map((row) => row.diastolic)}::float8[]) as n(kind, hour_s, t, value, systolic, diastolic)
    group by n.kind, n.hour_s
    on conflict (user_id, kind, hour_start) do update set
      readings = r.readings + excluded.readings,
      first_ms = least(r.first_ms, excluded.first_ms),
      last_ms = greatest(r.last_ms, excluded.last_ms),
      sum_t = r.sum_t + excluded.sum_t,
      sum_tt = r.sum_tt + excluded.sum_tt,
      ${sql.join(updates)}`;
}

/**
 * Takes a deleted reading out of its hour's rollup and the attention list, inside the delete's
 * transaction. The rollup row is locked before the reading is deleted: a reading written into the
 * same hour meanwhile waits for it, and the hour's minimum, maximum and first and last times are
 * then read afresh from the readings that remain (a sum can be taken away from; an extreme cannot).
 */
export async function removeFromRollups(
  trx: Kysely<HealthTables>,
  schema: string,
  row: VitalRow,
  deleteReading: () => Promise<unknown>,
): Promise<void> {
  const t = new Date(row.measured_at).getTime();
  const hourStart = new Date(Math.floor(t / rollupHourMs) * rollupHourMs);
  const hourEnd = new Date(hourStart.getTime() + rollupHourMs);
  const ofHour = { user: row.user_id, kind: row.kind, hour: hourStart };
  await sql`select 1 from ${sql.table(`${schema}.vital_rollups`)}
    where user_id = ${ofHour.user} and kind = ${ofHour.kind} and hour_start = ${ofHour.hour} for update`.execute(trx);
  await deleteReading();
  await trx.deleteFrom('vital_attention').where('user_id', '=', row.user_id).where('vital_id', '=', row.id).execute();
  // The hour's last reading takes its row with it; otherwise the row is updated below.
  const emptied = await trx
    .deleteFrom('vital_rollups')
    .where('user_id', '=', row.user_id)
    .where('kind', '=', row.kind)
    .where('hour_start', '=', hourStart)
    .where('readings', '=', 1)
    .executeTakeFirst();
  if (emptied.numDeletedRows > 0n) return;
  const exact = (value: number | null) => sql`${sql.id(schema, 'vital_exact')}(${value}::float8)`;
  const taken = series.map((name) => {
    const column = (suffix: string) => sql.id(`${name}_${suffix}`);
    return sql`${column('sum')} = r.${column('sum')} - ${exact(row[name])},
      ${column('sum_ty')} = r.${column('sum_ty')} - ${t}::bigint * ${exact(row[name])},
      ${column('min')} = m.${column('min')}, ${column('max')} = m.${column('max')}`;
  });
  const remaining = series.map(
    (name) => sql`min(${sql.ref(name)}) as ${sql.id(`${name}_min`)},
    max(${sql.ref(name)}) as ${sql.id(`${name}_max`)}`,
  );
  await sql`update ${sql.table(`${schema}.vital_rollups`)} as r set
      readings = r.readings - 1,
      sum_t = r.sum_t - ${t}::bigint,
      sum_tt = r.sum_tt - ${t}::bigint::numeric * ${t}::bigint,
      first_ms = coalesce(m.first_ms, r.first_ms),
      last_ms = coalesce(m.last_ms, r.last_ms),
      ${sql.join(taken)}
    from (select min(floor(extract(epoch from measured_at) * 1000))::bigint as first_ms,
            max(floor(extract(epoch from measured_at) * 1000))::bigint as last_ms, ${sql.join(remaining)}
          from ${sql.table(`${schema}.vitals`)}
          where user_id = ${ofHour.user} and kind = ${ofHour.kind}
            and measured_at >= ${hourStart} and measured_at < ${hourEnd}) as m
    where r.user_id = ${ofHour.user} and r.kind = ${ofHour.kind} and r.hour_start = ${ofHour.hour}`.execute(trx);
}
