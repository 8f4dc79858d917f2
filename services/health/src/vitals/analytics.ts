import { formatLocalDate, instantOfLocal, localDateFormatter, localDateOf, parseLocalDate } from '@tend/core';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';

const dayMs = 24 * 60 * 60 * 1000;

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

/**
 * The start dates of the buckets covering [from, to) in the person's zone, in time order: every
 * local day (or the Monday of every ISO week) the period touches.
 */
export function bucketStarts(from: Date, to: Date, size: BucketSize.DAY | BucketSize.WEEK, timeZone: string): string[] {
  const keyOf = bucketKey(size);
  const first = keyOf(localDate(from, timeZone));
  const last = keyOf(localDate(new Date(Math.max(from.getTime(), to.getTime() - 1)), timeZone));
  const dates: string[] = [];
  for (let date = first; date <= last; date = addDays(date, bucketDays(size))) dates.push(date);
  return dates;
}

/**
 * The instants the buckets of [from, to) start at, plus the one after the last ends: local
 * midnight of each start date. A reading at `t` is in bucket i when bounds[i] ≤ t < bounds[i + 1].
 */
export function bucketBounds(
  from: Date,
  to: Date,
  size: BucketSize.DAY | BucketSize.WEEK,
  timeZone: string,
): { starts: string[]; bounds: number[] } {
  const starts = bucketStarts(from, to, size, timeZone);
  const after = addDays(starts.at(-1)!, bucketDays(size));
  return { starts, bounds: [...starts, after].map((date) => localMidnight(date, timeZone).getTime()) };
}

const bucketDays = (size: BucketSize.DAY | BucketSize.WEEK) => (size === BucketSize.WEEK ? 7 : 1);
const bucketKey = (size: BucketSize.DAY | BucketSize.WEEK) => (date: string) =>
  size === BucketSize.WEEK ? isoWeekStart(date) : date;

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
  const keyOf = bucketKey(size);
  const buckets: Bucket<T>[] = [];
  const byDate = new Map<string, Bucket<T>>();
  for (const date of bucketStarts(from, to, size, timeZone)) {
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
