import type { VitalKind } from './units.js';

/** The usual range of a kind in its canonical unit, for shading; undefined where none applies. */
export const normalRanges: Readonly<Partial<Record<VitalKind, { low: number; high: number }>>> = {
  // Systolic below 120 mmHg (ACC/AHA 2017 "normal").
  blood_pressure: { low: 90, high: 120 },
  heart_rate: { low: 60, high: 100 },
  spo2: { low: 95, high: 100 },
  temperature: { low: 36.1, high: 37.2 },
  // Fasting 70–99 mg/dL; up to 140 two hours after a meal (ADA).
  glucose: { low: 70, high: 140 },
  sleep: { low: 7, high: 9 },
};

/**
 * The vertical extent of a chart: every value and the normal range in view, with 10 % room
 * above and below so a point on the edge is not cut, and never an empty span.
 */
export function chartScale(
  values: readonly number[],
  normal: { low: number; high: number } | undefined,
): { min: number; max: number } {
  const all = normal ? [...values, normal.low, normal.high] : [...values];
  if (all.length === 0) return { min: 0, max: 1 };
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return { min: min - pad, max: max + pad };
  }
  const pad = (max - min) * 0.1;
  min -= pad;
  max += pad;
  return { min, max };
}

/**
 * At most `limit` points from a long series, keeping each stretch's lowest and highest reading
 * so a peak never disappears from a year-long chart (min/max decimation).
 */
export function decimate(xs: readonly number[], ys: readonly number[], limit: number): [number[], number[]] {
  if (xs.length <= limit) return [[...xs], [...ys]];
  const buckets = Math.max(1, Math.floor(limit / 2));
  const size = xs.length / buckets;
  const outX: number[] = [];
  const outY: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(xs.length, Math.floor((b + 1) * size));
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (ys[i]! < ys[lo]!) lo = i;
      if (ys[i]! > ys[hi]!) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) {
      if (outX.length > 0 && outX[outX.length - 1] === xs[i]) continue;
      outX.push(xs[i]!);
      outY.push(ys[i]!);
    }
  }
  return [outX, outY];
}
