import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type BucketSize,
  VitalBucketSchema,
  VitalStatsSchema,
  VitalSummarySchema,
  type VitalStats,
  type VitalSummary,
} from '@tend/proto/tend/health/v1/analytics';
import {
  AttentionFlagSchema,
  AttentionReason,
  AttentionSeverity,
  BloodPressureCategory,
  VitalKind,
  type AttentionFlag,
  type Vital,
} from '@tend/proto/tend/health/v1/vitals';
import { bucketize, statsOf, trendPerWeek } from './analytics.js';
import { bloodPressureCategory, rapidWeightChange } from './vital-attention.js';
import { fromCanonical, reportUnit, type VitalKindSpec } from './vital-kinds.js';
import { flagsOfRow, type ReadingValues } from './vital-rows.js';

/** What one summary covers. */
export interface SummaryRequest {
  spec: VitalKindSpec;
  from: Date;
  to: Date;
  bucketSize: BucketSize.DAY | BucketSize.WEEK;
  /** Unit to report in; empty means canonical. Checked by the caller. */
  unit: string;
  timeZone: string;
}

/**
 * The statistics of one kind over [from, to) from its rows (any order): count, min/max/mean,
 * latest, least-squares trend per week, local-day or ISO-week buckets, the guideline category of
 * the mean blood pressure, and attention flags (single readings plus rapid weight change),
 * newest first. Numbers are in the requested unit; `latest` stays canonical like every Vital.
 * `latest` is the `newestReading` of `rows` as the API shows it: only that one row needs to be
 * read whole.
 */
export function summarizeVitals(
  rows: readonly ReadingValues[],
  request: SummaryRequest,
  latest: Vital | undefined,
): VitalSummary {
  const { spec, from, to, bucketSize, timeZone } = request;
  const unit = reportUnit(spec, request.unit);
  const convert = (v: number) => fromCanonical(spec, v, request.unit);
  const sorted = [...rows].sort(compareReadings);
  const points = sorted.map((row) => ({
    row,
    at: row.measured_at,
    value: row.value === null ? null : convert(row.value),
    systolic: row.systolic === null ? null : convert(row.systolic),
    diastolic: row.diastolic === null ? null : convert(row.diastolic),
  }));
  const isBp = spec.kind === VitalKind.BLOOD_PRESSURE;
  // A loop, not flatMap: no array per reading. Built only for the kind's own numbers.
  const series = (pick: (p: (typeof points)[number]) => number | null) => {
    const out: { at: Date; value: number }[] = [];
    for (const p of points) {
      const value = pick(p);
      if (value !== null) out.push({ at: p.at, value });
    }
    return out;
  };
  const stats = (xs: readonly { value: number }[]) => toStats(statsOf(xs.map((x) => x.value)));
  const summary = create(VitalSummarySchema, {
    kind: spec.kind,
    unit,
    from: timestampFromDate(from),
    to: timestampFromDate(to),
    count: points.length,
    bucketSize,
    bpCategory: BloodPressureCategory.UNSPECIFIED,
  });
  if (isBp) {
    const systolics = series((p) => p.systolic);
    const diastolics = series((p) => p.diastolic);
    summary.systolic = stats(systolics);
    summary.diastolic = stats(diastolics);
    summary.trendPerWeek = trendPerWeek(systolics);
    summary.diastolicTrendPerWeek = trendPerWeek(diastolics);
    // Categories are defined in mm[Hg]: classify the canonical means.
    const canonicalMean = (pick: (r: ReadingValues) => number | null) =>
      statsOf(sorted.flatMap((r) => pick(r) ?? []))?.mean;
    const meanSystolic = canonicalMean((r) => r.systolic);
    const meanDiastolic = canonicalMean((r) => r.diastolic);
    if (meanSystolic !== undefined && meanDiastolic !== undefined) {
      summary.bpCategory = bloodPressureCategory(meanSystolic, meanDiastolic);
    }
  } else {
    const values = series((p) => p.value);
    summary.value = stats(values);
    summary.trendPerWeek = trendPerWeek(values);
  }
  if (latest) summary.latest = latest;
  summary.buckets = bucketize(points, from, to, bucketSize, timeZone).map((bucket) => {
    const inBucket = (pick: (p: (typeof points)[number]) => number | null) =>
      toStats(statsOf(bucket.items.flatMap((p) => pick(p) ?? [])));
    return create(VitalBucketSchema, {
      startDate: bucket.startDate,
      count: bucket.items.length,
      ...(isBp
        ? { systolic: inBucket((p) => p.systolic), diastolic: inBucket((p) => p.diastolic) }
        : { value: inBucket((p) => p.value) }),
    });
  });
  summary.flags = flagsOfSeries(spec, sorted);
  return summary;
}

/**
 * Oldest first, ties by id: the order the statistics add up in (so means are the same to the
 * last bit whatever order the rows came in), and the one `newestReading` picks the last of.
 */
export function compareReadings(a: ReadingValues, b: ReadingValues): number {
  return a.measured_at.getTime() - b.measured_at.getTime() || a.id.localeCompare(b.id);
}

/** The reading a summary reports as `latest`: the last in `compareReadings` order. */
export function newestReading<R extends ReadingValues>(rows: readonly R[]): R | undefined {
  let newest: R | undefined;
  for (const row of rows) if (newest === undefined || compareReadings(row, newest) > 0) newest = row;
  return newest;
}

/** Flags of single readings and of the series, newest first. */
export function flagsOfSeries(spec: VitalKindSpec, sortedRows: readonly ReadingValues[]): AttentionFlag[] {
  const flags = sortedRows.flatMap(flagsOfRow);
  if (spec.kind === VitalKind.WEIGHT) {
    const changed = rapidWeightChange(
      sortedRows.flatMap((row) => (row.value === null ? [] : [{ value: row.value, at: new Date(row.measured_at) }])),
    );
    if (changed) {
      flags.push(
        create(AttentionFlagSchema, {
          reason: AttentionReason.RAPID_WEIGHT_CHANGE,
          severity: AttentionSeverity.WARNING,
          kind: VitalKind.WEIGHT,
          measuredAt: timestampFromDate(changed.at),
        }),
      );
    }
  }
  return sortFlagsNewestFirst(flags);
}

/** Newest first by the time of the reading that raised the flag. */
export function sortFlagsNewestFirst(flags: AttentionFlag[]): AttentionFlag[] {
  const time = (f: AttentionFlag) =>
    f.measuredAt ? Number(f.measuredAt.seconds) * 1000 + f.measuredAt.nanos / 1e6 : 0;
  return flags.sort((a, b) => time(b) - time(a));
}

function toStats(stats: { min: number; max: number; mean: number } | undefined): VitalStats | undefined {
  return stats && create(VitalStatsSchema, stats);
}
