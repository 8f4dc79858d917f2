import { randomUUID } from 'node:crypto';
import {
  realInfra,
  requireRedisServer,
  redisServerProcess,
  requireInfra,
  type RedisServerProcess,
} from '@tend/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tend/core';
import { FallbackRateLimitStore } from './fallback-rate-limit-store.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';

const logger = createLogger({ level: 'silent' });
const { redisUrl } = realInfra();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const testPrefix = `tend-test:${randomUUID()}:rl:`;

const implementations: Array<{ kind: string; make: () => RateLimitStore }> = [
  { kind: 'memory', make: () => new MemoryRateLimitStore() },
];
if (requireInfra('Redis (TEST_REDIS_URL)', redisUrl)) {
  implementations.push({
    kind: 'redis',
    make: () => new RedisRateLimitStore({ url: redisUrl!, logger, keyPrefix: testPrefix }),
  });
}

describe.each(implementations)('RateLimitStore contract ($kind)', ({ make }) => {
  let store: RateLimitStore;
  beforeAll(async () => {
    store = make();
    await store.start();
  });
  afterAll(async () => {
    await store.stop();
  });

  it('allows `limit` requests, counting down `remaining`, then denies', async () => {
    const key = `user:${randomUUID()}`;
    const decisions = [];
    for (let i = 0; i < 6; i += 1) decisions.push(await store.consume(key, 5, 60_000));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(decisions.every((d) => d.limit === 5)).toBe(true);
  });

  it('says when capacity frees: within the window, never negative', async () => {
    const key = `user:${randomUUID()}`;
    const first = await store.consume(key, 1, 10_000);
    expect(first.resetMs).toBeGreaterThan(9_000);
    expect(first.resetMs).toBeLessThanOrEqual(10_000);
    await sleep(50);
    const denied = await store.consume(key, 1, 10_000);
    expect(denied.allowed).toBe(false);
    expect(denied.resetMs).toBeGreaterThan(9_000);
    expect(denied.resetMs).toBeLessThanOrEqual(9_960);
  });

  it('allows again once the window has passed', async () => {
    const key = `user:${randomUUID()}`;
    for (let i = 0; i < 3; i += 1) await store.consume(key, 3, 300);
    expect((await store.consume(key, 3, 300)).allowed).toBe(false);
    await sleep(350);
    const after = await store.consume(key, 3, 300);
    expect(after).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts each key on its own', async () => {
    const [a, b] = [`user:${randomUUID()}`, `user:${randomUUID()}`];
    await store.consume(a, 1, 60_000);
    expect((await store.consume(a, 1, 60_000)).allowed).toBe(false);
    expect((await store.consume(b, 1, 60_000)).allowed).toBe(true);
  });
});

describe.runIf(redisUrl)('RedisRateLimitStore across replicas', () => {
  const replicas: RedisRateLimitStore[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      // Separate instances, separate connections: as two gateway processes would be.
      const store = new RedisRateLimitStore({ url: redisUrl!, logger, keyPrefix: testPrefix });
      await store.start();
      replicas.push(store);
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it('two replicas hammering one key concurrently allow exactly the limit in total', async () => {
    for (let round = 0; round < 3; round += 1) {
      const key = `user:${randomUUID()}`;
      const calls = replicas.flatMap((replica) => Array.from({ length: 150 }, () => replica.consume(key, 100, 60_000)));
      const decisions = await Promise.all(calls);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
      expect(Math.min(...decisions.map((d) => d.remaining))).toBe(0);
    }
  });

  it('keeps only the allowed requests in Redis, expiring with the window', async () => {
    const key = `user:${randomUUID()}`;
    for (let i = 0; i < 5; i += 1) await replicas[i % 2]!.consume(key, 3, 2000);
    const raw = new Redis(redisUrl!);
    try {
      expect(await raw.zcard(testPrefix + key)).toBe(3);
      const ttl = await raw.pttl(testPrefix + key);
      expect(ttl).toBeGreaterThan(1000);
      expect(ttl).toBeLessThanOrEqual(2000);
      // The script survives a SCRIPT FLUSH (EVALSHA → NOSCRIPT → EVAL).
      await raw.script('FLUSH');
      expect((await replicas[0]!.consume(`user:${randomUUID()}`, 1, 1000)).allowed).toBe(true);
    } finally {
      raw.disconnect();
    }
  });
});

describe.runIf(requireRedisServer())('Fallback when Redis is down, and back', () => {
  let server: RedisServerProcess;
  let store: FallbackRateLimitStore;

  beforeAll(async () => {
    server = await redisServerProcess(); // not started yet
    store = new FallbackRateLimitStore(
      new RedisRateLimitStore({ url: server.url, logger, connectTimeoutMs: 500, maxReconnectDelayMs: 100 }),
      new MemoryRateLimitStore(),
      { logger, breakerHalfOpenAfterMs: 200 },
    );
    await store.start();
  });
  afterAll(async () => {
    await store.stop();
    await server.stop();
  });

  it('still answers, per process, while Redis is down', async () => {
    const decisions = [];
    for (let i = 0; i < 12; i += 1) decisions.push(await store.consume('user:down', 10, 60_000));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(store.kind).toBe('memory');
  });

  it('shares limits through Redis again once it is back', async () => {
    await server.start();
    await sleep(250); // reconnect (≤ 100 ms backoff) and the breaker's open period
    await vi.waitFor(
      async () => {
        await store.consume(`probe:${randomUUID()}`, 10, 60_000);
        expect(store.kind).toBe('redis');
      },
      { timeout: 5000, interval: 100 },
    );
    await store.consume('user:back', 10, 60_000);
    const raw = new Redis(server.url);
    try {
      expect(await raw.zcard('tend:ratelimit:user:back')).toBe(1);
    } finally {
      raw.disconnect();
    }
  });
});
