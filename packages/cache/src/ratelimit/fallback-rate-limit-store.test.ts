import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tend/core';
import { FallbackRateLimitStore } from './fallback-rate-limit-store.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

/** Stands in for Redis: answers "allowed, 99 left" or fails, as the test says. */
class ControlledStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  readonly name = 'controlled';
  readonly state = 'running' as const;
  failing = false;
  calls = 0;
  consume(_key: string, limit: number): Promise<RateLimitDecision> {
    this.calls += 1;
    if (this.failing) return Promise.reject(new Error('Connection is closed.'));
    return Promise.resolve({ allowed: true, limit, remaining: 99, resetMs: 60_000 });
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function capturedLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string });
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('FallbackRateLimitStore', () => {
  it('decides with the shared store while it answers', async () => {
    const primary = new ControlledStore();
    const store = new FallbackRateLimitStore(primary, new MemoryRateLimitStore(), capturedLogger());
    expect(await store.consume('user:1', 100, 60_000)).toMatchObject({ allowed: true, remaining: 99 });
    expect(store.kind).toBe('redis');
  });

  it('falls back to per-process limits when the shared store fails, logging once per outage', async () => {
    const primary = new ControlledStore();
    primary.failing = true;
    const { logger, lines } = capturedLogger();
    const store = new FallbackRateLimitStore(primary, new MemoryRateLimitStore(), { logger });

    const decisions = [];
    for (let i = 0; i < 12; i += 1) decisions.push(await store.consume('user:1', 10, 60_000));

    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.at(-1)).toMatchObject({ allowed: false, remaining: 0 });
    expect(store.kind).toBe('memory');
    expect(primary.calls).toBe(5); // then the breaker stops trying
    expect(lines.filter((l) => l.msg.includes('limiting per process'))).toHaveLength(1);
  });

  it('goes back to the shared store when it recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const primary = new ControlledStore();
    primary.failing = true;
    const { logger, lines } = capturedLogger();
    const store = new FallbackRateLimitStore(primary, new MemoryRateLimitStore(), {
      logger,
      breakerHalfOpenAfterMs: 10_000,
    });
    for (let i = 0; i < 6; i += 1) await store.consume('user:1', 100, 60_000);

    primary.failing = false;
    vi.advanceTimersByTime(10_001);
    expect(await store.consume('user:1', 100, 60_000)).toMatchObject({ remaining: 99 });
    expect(store.kind).toBe('redis');
    expect(lines.filter((l) => l.msg.includes('shared across replicas again'))).toHaveLength(1);
  });

  it('does not mistake a bad limit for an outage', async () => {
    const primary = new ControlledStore();
    const store = new FallbackRateLimitStore(primary, new MemoryRateLimitStore(), capturedLogger());
    for (let i = 0; i < 6; i += 1) await expect(store.consume('k', 0, 1000)).rejects.toThrow(RangeError);
    expect(store.policy.breakerState()).toBe('closed');
    expect(primary.calls).toBe(0);
  });
});
