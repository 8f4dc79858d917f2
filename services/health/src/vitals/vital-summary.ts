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
import { bucketize, bucketStarts } from './analytics.js';
import { identityConversion } from './exact-numbers.js';
import {
  addReading,
  emptySums,
  mergeSums,
  seriesMean,
  seriesTrend,
  type ReadingSums,
  type SeriesSums,
} from './reading-sums.js';
import { bloodPressureCategory, rapidWeightChange } from './vital-attention.js';
import { exactConversion, fromCanonical, reportUnit, type VitalKindSpec } from './vital-kinds.js';
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

/** The sums of one bucket of a summary: a local day or an ISO week starting `startDate`. */
export interface BucketSums {
  startDate: string;
  sums: ReadingSums;
}

/**
 * What a summary is made of, however it was read: the sums of every bucket of the period (in
 * time order, empty ones included), the readings with a single-reading flag and, for weight, the
 * whole series (both oldest first, ties by id), and the newest reading as the API shows it.
 */
export interface SummaryParts {
  buckets: readonly BucketSums[];
  flagged: readonly ReadingValues[];
  weights: readonly ReadingValues[];
  latest: Vital | undefined;
}

/**
 * The statistics of one kind over [from, to) from its rows (any order): count, min/max/mean,
 * latest, least-squares trend per week, local-day or ISO-week buckets, the guideline category of
 * the mean blood pressure, and attention flags (single readings plus rapid weight change),
 * newest first. Numbers are in the requested unit; `latest` stays canonical like every Vital.
 * `latest` is the `newestReading` of `rows` as the API shows it. The same as `summaryOfParts` over
 * hourly rollups, to the bit: both add up exactly.
 */
export function summarizeVitals(
  rows: readonly ReadingValues[],
  request: SummaryRequest,
  latest: Vital | undefined,
): VitalSummary {
  const sorted = [...rows].sort(compareReadings);
  const items = sorted.map((row) => ({ at: row.measured_at, row }));
  const buckets = bucketize(items, request.from, request.to, request.bucketSize, request.timeZone).map((bucket) => {
    const sums = emptySums();
    for (const item of bucket.items) addReading(sums, item.row);
    return { startDate: bucket.startDate, sums };
  });
  const isWeight = request.spec.kind === VitalKind.WEIGHT;
  return summaryOfParts(request, { buckets, flagged: sorted, weights: isWeight ? sorted : [], latest });
}

/** The parts of a summary of a period without readings: every bucket, empty. */
export function noReadings(request: SummaryRequest): SummaryParts {
  const starts = bucketStarts(request.from, request.to, request.bucketSize, request.timeZone);
  return {
    buckets: starts.map((startDate) => ({ startDate, sums: emptySums() })),
    flagged: [],
    weights: [],
    latest: undefined,
  };
}

/**
 * A summary from its parts. Means and trends are exact values rounded once (so they do not depend
 * on the order readings are added in); minimum and maximum are the readings' own, converted.
 */
export function summaryOfParts(request: SummaryRequest, parts: SummaryParts): VitalSummary {
  const { spec, from, to, bucketSize } = request;
  const unit = reportUnit(spec, request.unit);
  const conversion = exactConversion(spec, request.unit);
  const total = emptySums();
  for (const bucket of parts.buckets) mergeSums(total, bucket.sums);
  const stats = (sums: ReadingSums, series: SeriesSums | undefined): VitalStats | undefined => {
    const mean = seriesMean(series, sums.count, conversion);
    if (!series || mean === undefined) return undefined;
    const convert = (v: number) => fromCanonical(spec, v, request.unit);
    return create(VitalStatsSchema, { min: convert(series.min), max: convert(series.max), mean });
  };
  const isBp = spec.kind === VitalKind.BLOOD_PRESSURE;
  const summary = create(VitalSummarySchema, {
    kind: spec.kind,
    unit,
    from: timestampFromDate(from),
    to: timestampFromDate(to),
    count: total.count,
    bucketSize,
    bpCategory: BloodPressureCategory.UNSPECIFIED,
  });
  if (isBp) {
    summary.systolic = stats(total, total.systolic);
    summary.diastolic = stats(total, total.diastolic);
    summary.trendPerWeek = seriesTrend(total, total.systolic, conversion);
    summary.diastolicTrendPerWeek = seriesTrend(total, total.diastolic, conversion);
    // Categories are defined in mm[Hg]: classify the canonical means.
    const meanSystolic = seriesMean(total.systolic, total.count, identityConversion);
    const meanDiastolic = seriesMean(total.diastolic, total.count, identityConversion);
    if (meanSystolic !== undefined && meanDiastolic !== undefined) {
      summary.bpCategory = bloodPressureCategory(meanSystolic, meanDiastolic);
    }
  } else {
    summary.value = stats(total, total.value);
    summary.trendPerWeek = seriesTrend(total, total.value, conversion);
  }
  if (parts.latest) summary.latest = parts.latest;
  summary.buckets = parts.buckets.map(({ startDate, sums }) =>
    create(VitalBucketSchema, {
      startDate,
      count: sums.count,
      ...(isBp
        ? { systolic: stats(sums, sums.systolic), diastolic: stats(sums, sums.diastolic) }
        : { value: stats(sums, sums.value) }),
    }),
  );
  summary.flags = flagsOfSeries(spec, parts.flagged, parts.weights);
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

/**
 * Flags of single readings (of `flagged`; readings without flags may be among them) and of the
 * weight series, newest first. Both lists oldest first, ties by id.
 */
export function flagsOfSeries(
  spec: VitalKindSpec,
  flagged: readonly ReadingValues[],
  weights: readonly ReadingValues[],
): AttentionFlag[] {
  const flags = flagged.flatMap(flagsOfRow);
  if (spec.kind === VitalKind.WEIGHT) {
    const changed = rapidWeightChange(
      weights.flatMap((row) => (row.value === null ? [] : [{ value: row.value, at: new Date(row.measured_at) }])),
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
