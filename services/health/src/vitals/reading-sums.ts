import {
  addExact,
  exactOf,
  nearestDouble,
  numeratorAt,
  tenTo,
  scaleExact,
  type Exact,
  type LinearConversion,
} from './exact-numbers.js';
import type { ReadingValues } from './vital-rows.js';

/** Sums of one series (value, systolic or diastolic) of some readings; every reading has one. */
export interface SeriesSums {
  sum: Exact;
  min: number;
  max: number;
  /** Σ t·y, t in epoch milliseconds. */
  sumTY: Exact;
}

/**
 * What a set of readings of one kind adds up to: enough for count, min, max, mean and the
 * least-squares trend of each series, exactly, and mergeable in any order. An hourly rollup row
 * holds one; a summary adds them up per bucket.
 */
export interface ReadingSums {
  count: number;
  firstMs: number;
  lastMs: number;
  sumT: bigint;
  sumTT: bigint;
  value?: SeriesSums;
  systolic?: SeriesSums;
  diastolic?: SeriesSums;
}

/** The sums of no readings. */
export function emptySums(): ReadingSums {
  return { count: 0, firstMs: Infinity, lastMs: -Infinity, sumT: 0n, sumTT: 0n };
}

/** Adds one reading to `sums` in place. */
export function addReading(
  sums: ReadingSums,
  reading: Pick<ReadingValues, 'measured_at' | 'value' | 'systolic' | 'diastolic'>,
): void {
  const t = reading.measured_at.getTime();
  const bigT = BigInt(t);
  sums.count += 1;
  if (t < sums.firstMs) sums.firstMs = t;
  if (t > sums.lastMs) sums.lastMs = t;
  sums.sumT += bigT;
  sums.sumTT += bigT * bigT;
  if (reading.value !== null) sums.value = addToSeries(sums.value, reading.value, bigT);
  if (reading.systolic !== null) sums.systolic = addToSeries(sums.systolic, reading.systolic, bigT);
  if (reading.diastolic !== null) sums.diastolic = addToSeries(sums.diastolic, reading.diastolic, bigT);
}

/** Adds `more` into `sums` in place. */
export function mergeSums(sums: ReadingSums, more: ReadingSums): void {
  if (more.count === 0) return;
  sums.count += more.count;
  sums.firstMs = Math.min(sums.firstMs, more.firstMs);
  sums.lastMs = Math.max(sums.lastMs, more.lastMs);
  sums.sumT += more.sumT;
  sums.sumTT += more.sumTT;
  sums.value = mergeSeries(sums.value, more.value);
  sums.systolic = mergeSeries(sums.systolic, more.systolic);
  sums.diastolic = mergeSeries(sums.diastolic, more.diastolic);
}

/**
 * The mean of a series of `count` readings in the unit `conversion` leads to: the exact mean,
 * converted exactly, rounded once. Undefined for no readings.
 */
export function seriesMean(
  series: SeriesSums | undefined,
  count: number,
  conversion: LinearConversion,
): number | undefined {
  if (!series || count === 0) return undefined;
  const n = BigInt(count);
  const { offset } = conversion;
  const scale = Math.max(series.sum.scale, offset.scale);
  const numerator = numeratorAt(series.sum, scale) * conversion.num + numeratorAt(offset, scale) * n * conversion.den;
  return nearestDouble(numerator, tenTo(scale) * n * conversion.den);
}

const dayMs = 86_400_000;
const weekMs = 7n * 86_400_000n;

/**
 * Least-squares slope of a series against time, per week, in the unit of `conversion`: exact, rounded once.
 * Undefined with fewer than two readings or when they span less than a day: a slope over minutes
 * says nothing about a trend.
 */
export function seriesTrend(
  sums: ReadingSums,
  series: SeriesSums | undefined,
  conversion: LinearConversion,
): number | undefined {
  if (!series || sums.count < 2 || sums.lastMs - sums.firstMs < dayMs) return undefined;
  const n = BigInt(sums.count);
  const denominator = n * sums.sumTT - sums.sumT * sums.sumT;
  if (denominator === 0n) return undefined;
  const scale = Math.max(series.sum.scale, series.sumTY.scale);
  const numerator = n * numeratorAt(series.sumTY, scale) - sums.sumT * numeratorAt(series.sum, scale);
  return nearestDouble(weekMs * numerator * conversion.num, denominator * tenTo(scale) * conversion.den);
}

function addToSeries(series: SeriesSums | undefined, y: number, t: bigint): SeriesSums {
  const exact = exactOf(y);
  if (!series) return { sum: exact, min: y, max: y, sumTY: scaleExact(exact, t) };
  series.sum = addExact(series.sum, exact);
  series.sumTY = addExact(series.sumTY, scaleExact(exact, t));
  if (y < series.min) series.min = y;
  if (y > series.max) series.max = y;
  return series;
}

function mergeSeries(a: SeriesSums | undefined, b: SeriesSums | undefined): SeriesSums | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  return {
    sum: addExact(a.sum, b.sum),
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sumTY: addExact(a.sumTY, b.sumTY),
  };
}
