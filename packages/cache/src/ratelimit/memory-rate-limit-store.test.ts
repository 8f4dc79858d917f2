import { describe, expect, it } from 'vitest';
import type { Clock } from '@tend/core';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';

class ManualClock implements Clock {
  #ms = Date.UTC(2026, 0, 1);
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

describe('MemoryRateLimitStore', () => {
  it('allows `limit` requests in a window, then denies with the time until one fits', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });

    const remaining: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const decision = await store.consume('user:1', 5, 60_000);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.remaining);
      clock.advance(1000);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    const denied = await store.consume('user:1', 5, 60_000);
    expect(denied).toEqual({ allowed: false, limit: 5, remaining: 0, resetMs: 55_000 });
  });

  it('frees one slot as each old request leaves the window (sliding, not fixed)', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    await store.consume('k', 2, 1000); // t=0
    clock.advance(500);
    await store.consume('k', 2, 1000); // t=500
    expect((await store.consume('k', 2, 1000)).allowed).toBe(false);

    clock.advance(499); // t=999: the first is still inside the window
    expect((await store.consume('k', 2, 1000)).allowed).toBe(false);
    clock.advance(1); // t=1000: the first has left
    const again = await store.consume('k', 2, 1000);
    expect(again).toMatchObject({ allowed: true, remaining: 0, resetMs: 500 });
    expect((await store.consume('k', 2, 1000)).allowed).toBe(false);
  });

  it('allows a full window again once the window has passed', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    for (let i = 0; i < 3; i += 1) await store.consume('k', 3, 1000);
    expect((await store.consume('k', 3, 1000)).allowed).toBe(false);
    clock.advance(1000);
    const decisions = [];
    for (let i = 0; i < 4; i += 1) decisions.push((await store.consume('k', 3, 1000)).allowed);
    expect(decisions).toEqual([true, true, true, false]);
  });

  it('does not count denied requests, so hammering does not extend the lockout', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    await store.consume('k', 1, 1000);
    for (let i = 0; i < 100; i += 1) {
      clock.advance(9);
      await store.consume('k', 1, 1000);
    }
    clock.advance(100); // t=1000 since the only allowed request
    expect((await store.consume('k', 1, 1000)).allowed).toBe(true);
  });

  it('counts keys separately', async () => {
    const store = new MemoryRateLimitStore({ clock: new ManualClock() });
    expect((await store.consume('a', 1, 1000)).allowed).toBe(true);
    expect((await store.consume('a', 1, 1000)).allowed).toBe(false);
    expect((await store.consume('b', 1, 1000)).allowed).toBe(true);
  });

  it('refuses a limit or window that would make the limit meaningless', async () => {
    const store = new MemoryRateLimitStore();
    await expect(store.consume('k', 0, 1000)).rejects.toThrow(RangeError);
    await expect(store.consume('k', 1.5, 1000)).rejects.toThrow(RangeError);
    await expect(store.consume('k', 10, 0)).rejects.toThrow(RangeError);
  });
});
