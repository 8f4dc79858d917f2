import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { BucketSize, VitalSummarySchema } from '@tend/proto/tend/health/v1/analytics';
import { AttentionReason, BloodPressureCategory, VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { vitalKinds } from './vital-kinds.js';
import { vitalOfRow, type VitalRow } from './vital-rows.js';
import { newestReading, summarizeVitals } from './vital-summary.js';

const cipher: FieldCipher = {
  encrypt: (s) => `enc:${s}`,
  decrypt: (s) => s.slice(4),
  reseal: () => undefined,
  blindIndex: (s) => Buffer.from(s),
};

/** What the handler passes as `latest`: the newest row, read whole, as the API shows it. */
function latestOf(rows: readonly VitalRow[]) {
  const newest = newestReading(rows);
  return newest && vitalOfRow(newest, cipher);
}

let n = 0;
function row(
  kind: VitalKind,
  iso: string,
  values: { value?: number; systolic?: number; diastolic?: number },
): VitalRow {
  const spec = vitalKinds[kind as Exclude<VitalKind, VitalKind.UNSPECIFIED>];
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    user_id: '00000000-0000-4000-8000-000000000000',
    kind: spec.name,
    value: values.value ?? null,
    systolic: values.systolic ?? null,
    diastolic: values.diastolic ?? null,
    unit: spec.unit,
    loinc: spec.loinc,
    measured_at: new Date(iso),
    period_start: null,
    source: 'app',
    note_encrypted: null,
    recorded_by_user_id: null,
    created_at: new Date(iso),
  };
}

const from = new Date('2026-03-01T00:00:00Z');
const to = new Date('2026-03-08T00:00:00Z');

describe('vital summary', () => {
  it('classifies the mean blood pressure, not single readings', () => {
    const rows = [
      row(VitalKind.BLOOD_PRESSURE, '2026-03-01T08:00:00Z', { systolic: 185, diastolic: 85 }),
      row(VitalKind.BLOOD_PRESSURE, '2026-03-02T08:00:00Z', { systolic: 115, diastolic: 75 }),
      row(VitalKind.BLOOD_PRESSURE, '2026-03-03T08:00:00Z', { systolic: 110, diastolic: 70 }),
    ];
    const summary = summarizeVitals(
      rows,
      { spec: vitalKinds[VitalKind.BLOOD_PRESSURE], from, to, bucketSize: BucketSize.DAY, unit: '', timeZone: 'UTC' },
      latestOf(rows),
    );
    expect(summary.count).toBe(3);
    expect(summary.systolic?.mean).toBeCloseTo(136.67, 2);
    expect(summary.bpCategory).toBe(BloodPressureCategory.HYPERTENSION_STAGE_1);
    expect(summary.flags.map((f) => f.reason)).toEqual([AttentionReason.HYPERTENSIVE_CRISIS]);
    expect(summary.latest?.systolic).toBe(110);
    expect(summary.buckets).toHaveLength(7);
    expect(summary.value).toBeUndefined();
  });

  it('reports in the requested unit, with trend in that unit per week', () => {
    const rows = [
      row(VitalKind.GLUCOSE, '2026-03-01T08:00:00Z', { value: 90.08 }),
      row(VitalKind.GLUCOSE, '2026-03-08T07:59:59Z', { value: 108.096 }),
    ];
    const summary = summarizeVitals(
      rows,
      { spec: vitalKinds[VitalKind.GLUCOSE], from, to, bucketSize: BucketSize.WEEK, unit: 'mmol/L', timeZone: 'UTC' },
      latestOf(rows),
    );
    expect(summary.unit).toBe('mmol/L');
    expect(summary.value).toMatchObject({ min: 5, max: 6 });
    expect(summary.trendPerWeek).toBeCloseTo(1, 2);
    expect(summary.buckets.map((b) => [b.startDate, b.count])).toEqual([
      ['2026-02-23', 1],
      ['2026-03-02', 1],
    ]);
  });

  it('has no stats, trend or category without readings, but still lists the days', () => {
    const summary = summarizeVitals(
      [],
      { spec: vitalKinds[VitalKind.BLOOD_PRESSURE], from, to, bucketSize: BucketSize.DAY, unit: '', timeZone: 'UTC' },
      undefined,
    );
    expect(summary).toMatchObject({ count: 0, bpCategory: BloodPressureCategory.UNSPECIFIED });
    expect(summary.systolic).toBeUndefined();
    expect(summary.trendPerWeek).toBeUndefined();
    expect(summary.latest).toBeUndefined();
    expect(summary.buckets.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('flags a rapid weight change over the series, newest first', () => {
    const rows = [
      row(VitalKind.WEIGHT, '2026-03-01T08:00:00Z', { value: 80 }),
      row(VitalKind.WEIGHT, '2026-03-04T08:00:00Z', { value: 82.5 }),
    ];
    const summary = summarizeVitals(
      rows,
      { spec: vitalKinds[VitalKind.WEIGHT], from, to, bucketSize: BucketSize.DAY, unit: '', timeZone: 'UTC' },
      latestOf(rows),
    );
    expect(summary.flags).toHaveLength(1);
    expect(summary.flags[0]).toMatchObject({ reason: AttentionReason.RAPID_WEIGHT_CHANGE, vitalId: '' });
  });

  it('is the same to the last bit whatever order the rows come in; ties go by id', () => {
    // Values whose float sums depend on the order they are added in.
    const rows = Array.from({ length: 300 }, (_, i) =>
      row(VitalKind.GLUCOSE, new Date(from.getTime() + Math.floor(i / 3) * 3_600_000).toISOString(), {
        value: 70.1 + ((i * 37) % 101) / 7,
      }),
    );
    const request = {
      spec: vitalKinds[VitalKind.GLUCOSE],
      from,
      to,
      bucketSize: BucketSize.DAY,
      unit: 'mmol/L',
      timeZone: 'Europe/Berlin',
    } as const;
    const summaryOf = (ordered: VitalRow[]) =>
      toBinary(VitalSummarySchema, summarizeVitals(ordered, request, latestOf(ordered)));
    const shuffled = [...rows].sort((a, b) => ((a.value! * 1e6) % 97) - ((b.value! * 1e6) % 97));
    expect(summaryOf(shuffled)).toEqual(summaryOf(rows));
    expect(summaryOf([...rows].reverse())).toEqual(summaryOf(rows));
    // Three readings share the last instant: the one with the largest id is the latest.
    expect(newestReading(shuffled)).toBe(rows.at(-1));
    expect(summarizeVitals(rows, request, latestOf(shuffled)).latest?.id).toBe(rows.at(-1)!.id);
  });

  it('needs only each reading’s id, kind, time and values', () => {
    const rows = [
      row(VitalKind.BLOOD_PRESSURE, '2026-03-01T08:00:00Z', { systolic: 185, diastolic: 85 }),
      row(VitalKind.BLOOD_PRESSURE, '2026-03-02T08:00:00Z', { systolic: 115, diastolic: 75 }),
    ];
    const values = rows.map(({ id, kind, measured_at, value, systolic, diastolic }) => ({
      id,
      kind,
      measured_at,
      value,
      systolic,
      diastolic,
    }));
    const request = {
      spec: vitalKinds[VitalKind.BLOOD_PRESSURE],
      from,
      to,
      bucketSize: BucketSize.DAY,
      unit: '',
      timeZone: 'UTC',
    } as const;
    expect(summarizeVitals(values, request, latestOf(rows))).toEqual(summarizeVitals(rows, request, latestOf(rows)));
  });
});
