import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './delivery-backoff.js';

describe('delivery retry delay', () => {
  it('doubles with each attempt up to a minute, jittered within the upper half', () => {
    expect(retryDelayMs(1, () => 0)).toBe(1_000);
    expect(retryDelayMs(1, () => 1)).toBe(2_000);
    expect(retryDelayMs(3, () => 1)).toBe(8_000);
    expect(retryDelayMs(12, () => 1)).toBe(60_000);
    expect(retryDelayMs(12, () => 0)).toBe(30_000);
  });
});
