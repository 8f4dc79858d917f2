import { describe, expect, it } from 'vitest';
import { exactOf, identityConversion, nearestDouble, parseExact, tenTo } from './exact-numbers.js';
import { addReading, emptySums, mergeSums, seriesMean, seriesTrend, type ReadingSums } from './reading-sums.js';

const day = 86_400_000;
const start = Date.UTC(2026, 0, 1);

function sumsOf(points: readonly { at: number; value: number }[]): ReadingSums {
  const sums = emptySums();
  for (const p of points)
    addReading(sums, { measured_at: new Date(p.at), value: p.value, systolic: null, diastolic: null });
  return sums;
}

const trendOf = (points: readonly { at: number; value: number }[]) => {
  const sums = sumsOf(points);
  return seriesTrend(sums, sums.value, identityConversion);
};

describe('exact numbers', () => {
  it('holds every double exactly, as PostgreSQL’s vital_exact writes it', () => {
    expect(exactOf(99.1)).toEqual(parseExact('99.099999999999994315658113919198513031005859375'));
    expect(exactOf(140)).toEqual({ num: 140n, scale: 0 });
    expect(exactOf(-0.5)).toEqual({ num: -5n, scale: 1 });
    for (const x of [0.1, 1 / 3, 123.456, 2.5e-300, 1e300, -7.25]) {
      const { num, scale } = exactOf(x);
      expect(nearestDouble(num, tenTo(scale))).toBe(x);
    }
  });

  it('rounds a quotient to the nearest double, ties to even', () => {
    expect(nearestDouble(1n, 3n)).toBe(1 / 3);
    expect(nearestDouble(-2n, 3n)).toBe(-2 / 3);
    expect(nearestDouble(10n, 4n)).toBe(2.5);
    // 2^53 + 1 lies halfway between two doubles: the even one wins.
    expect(nearestDouble(2n ** 53n + 1n, 1n)).toBe(2 ** 53);
    expect(nearestDouble(2n ** 53n + 3n, 1n)).toBe(2 ** 53 + 4);
  });
});

describe('sums of readings', () => {
  it('give the exact mean, rounded once, where adding doubles in turn drifts', () => {
    const sums = sumsOf([0.1, 0.2, 0.3].map((value, i) => ({ at: start + i, value })));
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(seriesMean(sums.value, sums.count, identityConversion)).toBe(0.2);
    expect(sums.value).toMatchObject({ min: 0.1, max: 0.3 });
  });

  it('are the same however the readings are grouped and in whatever order', () => {
    const points = Array.from({ length: 500 }, (_, i) => ({
      at: start + ((i * 7919) % 500) * 60_000,
      value: 50 + (i % 97) / 7,
    }));
    const whole = sumsOf(points);
    const merged = emptySums();
    for (let i = 0; i < points.length; i += 37) mergeSums(merged, sumsOf(points.slice(i, i + 37).reverse()));
    expect(merged).toEqual(whole);
    expect(seriesTrend(merged, merged.value, identityConversion)).toBe(trendOf(points));
  });

  it('convert a mean exactly, offset included', () => {
    const sums = sumsOf([36.6, 37.2].map((value, i) => ({ at: start + i, value })));
    const fahrenheit = { num: 9n, den: 5n, offset: { num: 32n, scale: 0 } };
    expect(seriesMean(sums.value, sums.count, fahrenheit)).toBe(98.42);
  });
});

describe('trend per week', () => {
  it('is the least-squares slope in units per week', () => {
    // +1 kg per day on a line: +7 per week.
    expect(trendOf([0, 1, 2, 3].map((d) => ({ at: start + d * day, value: 70 + d })))).toBe(7);
  });

  it('fits noisy points by least squares', () => {
    // x in weeks 0, 1, 2; y 1, 3, 2 → slope 0.5.
    expect(trendOf([1, 3, 2].map((value, w) => ({ at: start + w * 7 * day, value })))).toBe(0.5);
  });

  it('falls when values fall', () => {
    expect(trendOf([0, 7].map((d, i) => ({ at: start + d * day, value: 140 - i * 10 })))).toBe(-10);
  });

  it('is flat over two months of equal readings a minute apart', () => {
    const points = Array.from({ length: 61 * 24 * 60 }, (_, i) => ({ at: start + i * 60_000, value: 100 }));
    expect(trendOf(points)).toBe(0);
  });

  it('is absent with one reading or a span under a day', () => {
    expect(trendOf([{ at: start, value: 1 }])).toBeUndefined();
    expect(
      trendOf([
        { at: start, value: 1 },
        { at: start + day - 1, value: 5 },
      ]),
    ).toBeUndefined();
  });
});
