import { describe, expect, it } from 'vitest';
import { errorRate } from './error-rate.js';

describe('error rates', () => {
  it('counts substitutions, insertions and deletions over the reference words', () => {
    expect(errorRate('I took my metformin', 'I took my metformin', 'word')).toBe(0);
    expect(errorRate('I took my metformin', 'I took metoprolol', 'word')).toBe(0.5);
    expect(errorRate('take aspirin', 'take an aspirin now', 'word')).toBe(1);
  });

  it('ignores case and punctuation', () => {
    expect(errorRate('Blood pressure, 140 over 90.', 'blood pressure 140 over 90', 'word')).toBe(0);
  });

  it('counts Chinese by characters, ignoring spaces', () => {
    expect(errorRate('我吃了二甲双胍', '我 吃了 二甲双瓜', 'char')).toBeCloseTo(1 / 7);
  });
});
