import { describe, expect, it } from 'vitest';
import { monthOf, monthsAround, partitionOf } from './vital-partitions.js';

describe('month partitions', () => {
  it('names a month and bounds it in UTC', () => {
    expect(partitionOf('2026-12')).toEqual({
      name: 'vitals_2026_12',
      from: '2026-12-01 00:00:00+00',
      to: '2027-01-01 00:00:00+00',
    });
  });

  it('covers one month back and three ahead, across a year end', () => {
    expect(monthsAround(new Date('2026-11-24T19:00:00Z'), -1, 3)).toEqual([
      '2026-10',
      '2026-11',
      '2026-12',
      '2027-01',
      '2027-02',
    ]);
    expect(monthOf(new Date('2026-01-31T23:59:59Z'))).toBe('2026-01');
  });
});
