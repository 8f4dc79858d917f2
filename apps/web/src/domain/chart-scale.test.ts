import { describe, expect, it } from 'vitest';
import { chartScale, decimate } from './chart-scale.js';

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

describe('thinning a long series', () => {
  it('keeps the highest and lowest reading of each stretch', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((i) => (i === 537 ? 250 : i === 812 ? 40 : 120));
    const [outX, outY] = decimate(xs, ys, 100);
    expect(outX.length).toBeLessThanOrEqual(100);
    expect(outY).toContain(250);
    expect(outY).toContain(40);
    expect(outX).toEqual([...outX].sort((a, b) => a - b));
  });

  it('leaves a short series as it is', () => {
    expect(decimate([1, 2], [3, 4], 10)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
