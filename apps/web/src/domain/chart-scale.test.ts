import { describe, expect, it } from 'vitest';
import { chartScale, thinToColumns } from './chart-scale.js';

describe('chart ranges', () => {
  it('keep the normal range in view even when every reading is above it', () => {
    const { min, max } = chartScale([150, 160], { low: 90, high: 120 });
    expect(min).toBeLessThan(90);
    expect(max).toBeGreaterThan(160);
  });

  it('open a span around a single reading instead of a flat line', () => {
    expect(chartScale([80], undefined)).toEqual({ min: 72, max: 88 });
  });

  it('have a span when there is nothing to show', () => {
    expect(chartScale([], undefined)).toEqual({ min: 0, max: 1 });
  });
});

describe('thinning a long series to the pixel columns of a chart', () => {
  it('keeps the first, lowest, highest and last reading of each column, so a spike survives', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i * 300);
    const ys = xs.map((_, i) => (i === 537 ? 250 : i === 812 ? 40 : 120));
    const [outX, outY] = thinToColumns(xs, ys, 25);
    expect(outX.length).toBeLessThanOrEqual(100);
    expect(outY).toContain(250);
    expect(outY).toContain(40);
    expect(outX[0]).toBe(0);
    expect(outX.at(-1)).toBe(999 * 300);
    expect(outX).toEqual([...outX].sort((a, b) => a - b));
  });

  it('divides by time, so a week of sparse readings beside a dense day keeps the sparse ones', () => {
    const sparse = Array.from({ length: 6 }, (_, d) => d * 86_400);
    const dense = Array.from({ length: 2000 }, (_, i) => 6 * 86_400 + i * 30);
    const xs = [...sparse, ...dense];
    const [outX] = thinToColumns(
      xs,
      xs.map(() => 100),
      70,
    );
    expect(outX.slice(0, 6)).toEqual(sparse);
    expect(outX.length).toBeLessThanOrEqual(70 * 4);
  });

  it('leaves a series that fits as it is', () => {
    expect(thinToColumns([1, 2], [3, 4], 10)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
