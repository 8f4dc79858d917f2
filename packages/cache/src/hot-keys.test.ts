import { describe, expect, it } from 'vitest';
import type { Clock } from '@tend/core';
import { HotKeyCounter, SpaceSaving } from './hot-keys.js';

class ManualClock implements Clock {
  #ms = Date.UTC(2026, 0, 1);
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

function readMany(sketch: { record(key: string): void }, key: string, times: number): void {
  for (let i = 0; i < times; i += 1) sketch.record(key);
}

describe('SpaceSaving', () => {
  it('lists keys most-read first with exact counts while under capacity', () => {
    const sketch = new SpaceSaving(10);
    readMany(sketch, 'profile:ada', 5);
    readMany(sketch, 'meds:ada', 9);
    readMany(sketch, 'profile:bob', 2);
    expect(sketch.top(3)).toEqual([
      { key: 'meds:ada', count: 9, maxOvercount: 0 },
      { key: 'profile:ada', count: 5, maxOvercount: 0 },
      { key: 'profile:bob', count: 2, maxOvercount: 0 },
    ]);
    expect(sketch.top(1)).toHaveLength(1);
  });

  it('stays bounded and still finds the heavy hitters in a long tail', () => {
    const sketch = new SpaceSaving(50);
    for (let i = 0; i < 20_000; i += 1) {
      sketch.record(`tail:${i}`); // 20 000 keys read once
      if (i % 10 === 0) sketch.record('hot:a'); // 2000 reads
      if (i % 20 === 0) sketch.record('hot:b'); // 1000 reads
    }
    expect(sketch.size).toBe(50);
    const [first, second] = sketch.top(2);
    expect(first?.key).toBe('hot:a');
    expect(second?.key).toBe('hot:b');
    // Never undercounts; overcount is bounded by what the entry inherited.
    expect(first!.count).toBeGreaterThanOrEqual(2000);
    expect(first!.count - first!.maxOvercount).toBeLessThanOrEqual(2000);
    expect(sketch.total).toBe(23_000);
  });
});

describe('HotKeyCounter', () => {
  it('forgets reads older than two windows', () => {
    const clock = new ManualClock();
    const counter = new HotKeyCounter({ windowMs: 1000, clock });
    readMany(counter, 'old', 10);
    clock.advance(1000);
    readMany(counter, 'new', 3);
    expect(counter.top(2).map((k) => [k.key, k.count])).toEqual([
      ['old', 10],
      ['new', 3],
    ]);
    clock.advance(1000);
    readMany(counter, 'new', 1);
    expect(counter.top(2).map((k) => [k.key, k.count])).toEqual([['new', 4]]);
    clock.advance(5000);
    expect(counter.top(2)).toEqual([]);
  });
});
