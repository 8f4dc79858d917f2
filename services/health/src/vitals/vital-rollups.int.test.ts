import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import { VitalInputSchema, VitalKind, VitalSource, type VitalInput } from '@tend/proto/tend/health/v1/vitals';
import { databaseTargets, requiredRedisUrl } from '@tend/testing';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import { localMidnight } from './analytics.js';
import { exactOf, parseExact } from './exact-numbers.js';
import { readingFlags } from './vital-attention.js';
import { vitalKinds } from './vital-kinds.js';
import { vitalOfRow, type VitalRow } from './vital-rows.js';
import { newestReading, summarizeVitals } from './vital-summary.js';

const targets = databaseTargets().map((target) => ({
  ...target,
  redisUrl: target.kind === 'real' ? requiredRedisUrl() : undefined,
}));

const minute = 60_000;
const glucose = (value: number, at: number, note = '') =>
  create(VitalInputSchema, {
    kind: VitalKind.GLUCOSE,
    value,
    source: VitalSource.DEVICE,
    measuredAt: timestampFromDate(new Date(at)),
    note,
  });

describe.each(targets)('vital rollups on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  beforeAll(async () => {
    h = await startHealthHarness(target, { redisUrl: target.redisUrl });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const rowsOf = (userId: string): Promise<VitalRow[]> =>
    h.context.db.primary.selectFrom('vitals').selectAll().where('user_id', '=', userId).execute();

  /** The summary of whole rows, as the service computed it before rollups. */
  const fromWholeRows = (
    rows: readonly VitalRow[],
    kind: VitalKind,
    request: { from: Date; to: Date; bucketSize: BucketSize; unit: string; timeZone: string },
  ) => {
    const spec = vitalKinds[kind as keyof typeof vitalKinds];
    const ofKind = rows.filter(
      (row) =>
        row.kind === spec.name && new Date(row.measured_at) >= request.from && new Date(row.measured_at) < request.to,
    );
    const newest = newestReading(ofKind);
    return summarizeVitals(
      ofKind,
      { ...request, spec, bucketSize: request.bucketSize as BucketSize.DAY | BucketSize.WEEK },
      newest && vitalOfRow(newest, h.context.cipher),
    );
  };

  it('summarises from rollups exactly as from the readings, after deletes, in zones cut at :30 and :45 and after a move', async () => {
    const ada = await insertTestUser(h.context, { timeZone: 'Asia/Kolkata' });
    const caller = personCaller(ada);
    // Every 7 minutes and a few milliseconds over four days, values with decimals, some flagged;
    // weights for the series flag; blood pressures for two series.
    const start = Date.parse('2026-03-26T00:00:00Z');
    const readings: VitalInput[] = Array.from({ length: 820 }, (_, i) =>
      glucose(40 + ((i * 37) % 260) + (i % 9) / 10, start + i * 7 * minute + (i % 5), i % 97 === 0 ? `n${i}` : ''),
    );
    readings.push(
      ...[80, 82.5, 79.9].map((value, d) =>
        create(VitalInputSchema, {
          kind: VitalKind.WEIGHT,
          value,
          measuredAt: timestampFromDate(new Date(start + d * 26 * 60 * minute)),
        }),
      ),
      ...[0, 1, 2, 3].map((d) =>
        create(VitalInputSchema, {
          kind: VitalKind.BLOOD_PRESSURE,
          systolic: 118 + d * 11.5,
          diastolic: 70 + d * 7.25,
          measuredAt: timestampFromDate(new Date(start + d * 23 * 60 * minute + 17 * minute)),
        }),
      ),
    );
    for (let i = 0; i < readings.length; i += 400) {
      await h.client.batchRecordVitals({ caller, vitals: readings.slice(i, i + 400) });
    }
    // Delete every 13th reading (hour extremes among them), and every reading of one hour.
    const stored = (await rowsOf(ada)).sort(
      (a, b) => new Date(a.measured_at).getTime() - new Date(b.measured_at).getTime(),
    );
    const hour = Date.parse('2026-03-27T05:00:00Z');
    const doomed = stored.filter((row, i) => {
      const t = new Date(row.measured_at).getTime();
      return i % 13 === 0 || (t >= hour && t < hour + 60 * minute);
    });
    for (const row of doomed) await h.client.deleteVital({ caller, vitalId: row.id });
    const rows = await rowsOf(ada);
    expect(rows).toHaveLength(stored.length - doomed.length);

    const from = new Date(start + 3 * 60 * minute + 1234);
    const to = new Date(start + 4 * 24 * 60 * minute - 7 * minute + 17);
    for (const timeZone of ['Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York']) {
      if (timeZone !== 'Asia/Kolkata') await h.client.updateUser({ caller, timeZone });
      for (const [kind, bucketSize, unit] of [
        [VitalKind.GLUCOSE, BucketSize.DAY, ''],
        [VitalKind.GLUCOSE, BucketSize.WEEK, 'mmol/L'],
        [VitalKind.WEIGHT, BucketSize.DAY, 'lb'],
        [VitalKind.BLOOD_PRESSURE, BucketSize.DAY, ''],
      ] as const) {
        const { summary } = await h.client.getVitalSummary({
          caller,
          kind,
          from: timestampFromDate(from),
          to: timestampFromDate(to),
          bucketSize,
          unit,
        });
        expect(summary, `${timeZone} ${VitalKind[kind]} ${unit}`).toEqual(
          fromWholeRows(rows, kind, { from, to, bucketSize, unit, timeZone }),
        );
      }
      const weekly = await h.client.getWeeklySummary({ caller, startDate: '2026-03-23' });
      const week = { from: localMidnight('2026-03-23', timeZone), to: localMidnight('2026-03-30', timeZone) };
      expect(weekly.summary?.vitals).toEqual(
        [VitalKind.BLOOD_PRESSURE, VitalKind.WEIGHT, VitalKind.GLUCOSE].map((kind) =>
          fromWholeRows(rows, kind, { ...week, bucketSize: BucketSize.DAY, unit: '', timeZone }),
        ),
      );
    }
  });

  it('keeps rollups by writes and deletes equal to the migration’s backfill of the same readings', async () => {
    const ada = await insertTestUser(h.context);
    const caller = personCaller(ada);
    const start = Date.parse('2026-03-10T10:00:00Z');
    const { vitals } = await h.client.batchRecordVitals({
      caller,
      vitals: Array.from({ length: 300 }, (_, i) => glucose(60 + (i % 17) * 3.3, start + i * 3 * minute)),
    });
    for (const vital of vitals.filter((_, i) => i % 4 === 1)) await h.client.deleteVital({ caller, vitalId: vital.id });
    await h.client.recordVital({ caller, vital: glucose(99.9, start + 5 * minute) });
    const schema = h.context.db.schema;
    const exact = (column: string) => sql`${sql.id(schema, 'vital_exact')}(${sql.ref(column)})`;
    const { rows: backfill } = await sql<Record<string, unknown>>`
      select kind, hour_start, count(*)::int as readings, min(t)::text as first_ms, max(t)::text as last_ms,
        sum(t::numeric)::text as sum_t, sum(t::numeric * t)::text as sum_tt, sum(${exact('value')})::text as value_sum,
        min(value) as value_min, max(value) as value_max, sum(t * ${exact('value')})::text as value_sum_ty
      from (select kind, date_trunc('hour', measured_at, 'UTC') as hour_start,
              floor(extract(epoch from measured_at) * 1000)::bigint as t, value
            from ${sql.table(`${schema}.vitals`)} where user_id = ${ada}) as r
      group by kind, hour_start order by hour_start`.execute(h.context.db.primary);
    const { rows: kept } = await sql<Record<string, unknown>>`
      select kind, hour_start, readings, first_ms::text, last_ms::text, sum_t::text, sum_tt::text, value_sum::text,
        value_min, value_max, value_sum_ty::text
      from ${sql.table(`${schema}.vital_rollups`)} where user_id = ${ada} order by hour_start`.execute(
      h.context.db.primary,
    );
    const numeric = (row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? normalize(value) : value,
        ]),
      );
    expect(kept.map(numeric)).toEqual(backfill.map(numeric));
    expect(kept.length).toBeGreaterThan(10);
    const flagged = await h.context.db.primary
      .selectFrom('vital_attention')
      .select('vital_id')
      .where('user_id', '=', ada)
      .orderBy('vital_id')
      .execute();
    const rows = await rowsOf(ada);
    const shouldBe = rows
      .filter((row) => readingFlags({ ...row, kind: VitalKind.GLUCOSE }).length > 0)
      .map((row) => row.id)
      .sort();
    expect(flagged.map((r) => r.vital_id)).toEqual(shouldBe);
    expect(shouldBe.length).toBeGreaterThan(0);
  });

  it('flags for the backfill as the service’s rules do, and writes doubles as the exact decimals they are', async () => {
    const cases: [VitalKind, number | null, number | null, number | null][] = [];
    for (const v of [34.9, 35, 37.9, 38, 39.9, 40]) cases.push([VitalKind.TEMPERATURE, v, null, null]);
    for (const v of [39, 40, 120, 121]) cases.push([VitalKind.HEART_RATE, v, null, null]);
    for (const v of [87, 88, 91.9, 92]) cases.push([VitalKind.SPO2, v, null, null]);
    for (const v of [53.9, 54, 69.9, 70, 250, 250.1]) cases.push([VitalKind.GLUCOSE, v, null, null]);
    for (const [s, d] of [
      [89, 70],
      [90, 60],
      [120, 59],
      [139, 89],
      [140, 70],
      [120, 90],
      [180, 70],
      [120, 120],
    ] as const) {
      cases.push([VitalKind.BLOOD_PRESSURE, null, s, d]);
    }
    cases.push([VitalKind.WEIGHT, 500, null, null], [VitalKind.STEPS, 0, null, null]);
    const schema = h.context.db.schema;
    for (const [kind, value, systolic, diastolic] of cases) {
      const name = vitalKinds[kind as keyof typeof vitalKinds].name;
      const { rows } = await sql<{ flagged: boolean }>`select ${sql.id(schema, 'vital_needs_attention')}(
          ${name}, ${value}::float8, ${systolic}::float8, ${diastolic}::float8) as flagged`.execute(
        h.context.db.primary,
      );
      expect(rows[0]?.flagged, `${name} ${value ?? `${systolic}/${diastolic}`}`).toBe(
        readingFlags({ kind, value, systolic, diastolic }).length > 0,
      );
    }
    for (const x of [99.1, 0.1, 1 / 3, 123456.789, -7.25, 2 ** 60, 1e-5]) {
      const { rows } = await sql<{
        exact: string;
      }>`select ${sql.id(schema, 'vital_exact')}(${x}::float8)::text as exact`.execute(h.context.db.primary);
      expect(parseExact(rows[0]!.exact)).toEqual(exactOf(x));
    }
  });
});

/** A decimal without trailing zeros after the point, for comparing sums of different scales. */
function normalize(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
