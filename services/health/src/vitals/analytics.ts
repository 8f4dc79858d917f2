import { formatLocalDate, instantOfLocal, localDateFormatter, localDateOf, parseLocalDate } from '@tend/platform';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';

const dayMs = 24 * 60 * 60 * 1000;
const weekMs = 7 * dayMs;

/** Minimum, maximum and mean of a series; undefined for an empty one. */
export function statsOf(values: readonly number[]): { min: number; max: number; mean: number } | undefined {
  if (values.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}

/**
 * Least-squares slope of `value` against time, in value units per week. Undefined with fewer than
 * two points or when they span less than a day: a slope over minutes says nothing about a trend.
 */
export function trendPerWeek(points: readonly { at: Date; value: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const times = points.map((p) => p.at.getTime());
  if (spanOf(times) < dayMs) return undefined;
  // Centre the times so the sums stay small and precise.
  const t0 = times[0]!;
  const xs = times.map((t) => (t - t0) / weekMs);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = points.reduce((a, p) => a + p.value, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - meanX) * (points[i]!.value - meanY);
    sxx += (x - meanX) ** 2;
  });
  return sxx === 0 ? undefined : sxy / sxx;
}

/**
 * Latest minus earliest. A loop, not `Math.max(...times)`: spreading a year of minute-by-minute
 * readings as arguments overflows the stack.
 */
function spanOf(times: readonly number[]): number {
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return max - min;
}

/** The local calendar date of an instant in `timeZone`, "YYYY-MM-DD". */
export function localDate(at: Date, timeZone: string): string {
  return formatLocalDate(localDateOf(at.getTime(), timeZone));
}

/** The instant local midnight starts `date` ("YYYY-MM-DD") in `timeZone`. */
export function localMidnight(date: string, timeZone: string): Date {
  const day = parseLocalDate(date);
  if (!day) throw new Error(`not a calendar date: ${date}`);
  return new Date(instantOfLocal(day, 0, timeZone));
}

/** `date` plus `days` calendar days, both "YYYY-MM-DD". */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** The Monday of the ISO week `date` falls in. */
export function isoWeekStart(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

/** Default bucket size: days for periods up to 31 days, weeks beyond. */
export function defaultBucketSize(from: Date, to: Date): BucketSize.DAY | BucketSize.WEEK {
  return to.getTime() - from.getTime() <= 31 * dayMs ? BucketSize.DAY : BucketSize.WEEK;
}

/** One bucket's start date and the items that fell into it. */
export interface Bucket<T> {
  startDate: string;
  items: T[];
}

/**
 * Buckets covering [from, to) in the person's zone, in time order, every day (or ISO week) listed
 * even when empty. A day is local midnight to local midnight, so 23 or 25 h on DST days.
 */
export function bucketize<T extends { at: Date }>(
  items: readonly T[],
  from: Date,
  to: Date,
  size: BucketSize.DAY | BucketSize.WEEK,
  timeZone: string,
): Bucket<T>[] {
  const keyOf = (date: string) => (size === BucketSize.WEEK ? isoWeekStart(date) : date);
  const step = size === BucketSize.WEEK ? 7 : 1;
  const first = keyOf(localDate(from, timeZone));
  const last = keyOf(localDate(new Date(Math.max(from.getTime(), to.getTime() - 1)), timeZone));
  const buckets: Bucket<T>[] = [];
  const byDate = new Map<string, Bucket<T>>();
  for (let date = first; date <= last; date = addDays(date, step)) {
    const bucket = { startDate: date, items: [] };
    buckets.push(bucket);
    byDate.set(date, bucket);
  }
  const dateOf = localDateFormatter(timeZone);
  // Items come mostly in time order: consecutive ones share a day, so its bucket is looked up once.
  let previousDate = '';
  let current: Bucket<T> | undefined;
  for (const item of items) {
    const date = dateOf(item.at.getTime());
    if (date !== previousDate) {
      previousDate = date;
      current = byDate.get(keyOf(date));
    }
    current?.items.push(item);
  }
  return buckets;
}
