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
 * A long series thinned to what `columns` pixel columns can show (M4: per column of equal time,
 * its first, lowest, highest and last reading, in time order), so the line drawn is the one the
 * whole series would draw, a single spike included, from at most 4 points per column. A series
 * that already fits is returned as it is. `xs` must be ascending.
 */
export function thinToColumns(xs: readonly number[], ys: readonly number[], columns: number): [number[], number[]] {
  const n = xs.length;
  const width = Math.max(1, Math.floor(columns));
  if (n <= width * 4) return [[...xs], [...ys]];
  const first = xs[0]!;
  const span = xs[n - 1]! - first || 1;
  const outX: number[] = [];
  const outY: number[] = [];
  let i = 0;
  while (i < n) {
    const column = Math.min(width - 1, Math.floor(((xs[i]! - first) / span) * width));
    const start = i;
    let lo = i;
    let hi = i;
    while (i < n && Math.min(width - 1, Math.floor(((xs[i]! - first) / span) * width)) === column) {
      if (ys[i]! < ys[lo]!) lo = i;
      if (ys[i]! > ys[hi]!) hi = i;
      i++;
    }
    const kept = [...new Set([start, lo, hi, i - 1])].sort((a, b) => a - b);
    for (const k of kept) {
      outX.push(xs[k]!);
      outY.push(ys[k]!);
    }
  }
  return [outX, outY];
}
