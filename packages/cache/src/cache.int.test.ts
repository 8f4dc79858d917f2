import { randomUUID } from 'node:crypto';
import {
  realInfra,
  requireRedisServer,
  redisServerProcess,
  requireInfra,
  type RedisServerProcess,
} from '@tend/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import type { Cache } from './cache.js';
import { CacheAside } from './cache-aside.js';
import { MemoryCache } from './memory-cache.js';
import { RedisCache } from './redis-cache.js';

const logger = createLogger({ level: 'silent' });
const { redisUrl } = realInfra();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const implementations: Array<{ kind: string; make: () => Cache }> = [{ kind: 'memory', make: () => new MemoryCache() }];
if (requireInfra('Redis (TEST_REDIS_URL)', redisUrl)) {
  // A prefix per run keeps runs (and engineers sharing the infra Redis) apart.
  implementations.push({
    kind: 'redis',
    make: () => new RedisCache({ url: redisUrl!, logger, keyPrefix: `tend-test:${randomUUID()}:` }),
  });
}

describe.each(implementations)('Cache contract ($kind)', ({ make }) => {
  let cache: Cache;
  beforeAll(async () => {
    cache = make();
    await cache.start();
  });
  afterAll(async () => {
    await cache.stop();
  });

  it('returns undefined for a key never set', async () => {
    expect(await cache.get(`missing:${randomUUID()}`)).toBeUndefined();
  });

  it('returns what was set, and the latest value after a second set', async () => {
    await cache.set('profile:1', '{"name":"Ada"}', 60_000);
    expect(await cache.get('profile:1')).toBe('{"name":"Ada"}');
    await cache.set('profile:1', '{"name":"Ada L."}', 60_000);
    expect(await cache.get('profile:1')).toBe('{"name":"Ada L."}');
  });

  it('keeps non-ASCII text intact', async () => {
    await cache.set('chat:title', '阿司匹林 8 点 — 💊', 60_000);
    expect(await cache.get('chat:title')).toBe('阿司匹林 8 点 — 💊');
  });

  it('reads several keys at once, in their order, missing ones as undefined', async () => {
    const missing = `missing:${randomUUID()}`;
    await cache.set('many:a', 'first', 60_000);
    await cache.set('many:b', 'второй', 60_000);
    expect(await cache.getMany(['many:b', missing, 'many:a'])).toEqual(['второй', undefined, 'first']);
    expect(await cache.getMany([])).toEqual([]);
  });

  it('deletes several keys in one call and ignores missing ones', async () => {
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    await cache.delete('a', 'b', `missing:${randomUUID()}`);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeUndefined();
    await expect(cache.delete()).resolves.toBeUndefined();
  });

  it('forgets an entry once its TTL has passed', async () => {
    await cache.set('short', 'v', 100);
    await cache.set('long', 'v', 60_000);
    expect(await cache.get('short')).toBe('v');
    await sleep(250);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('long')).toBe('v');
  });
});

describe.runIf(redisUrl)('RedisCache on the infra Redis', () => {
  it('writes under its key prefix with a PX TTL', async () => {
    const prefix = `tend-test:${randomUUID()}:`;
    const cache = new RedisCache({ url: redisUrl!, logger, keyPrefix: prefix });
    const raw = new Redis(redisUrl!);
    try {
      await cache.start();
      await cache.set('meds:1', '[]', 5000);
      const ttl = await raw.pttl(`${prefix}meds:1`);
      expect(ttl).toBeGreaterThan(4000);
      expect(ttl).toBeLessThanOrEqual(5000);
      await cache.delete('meds:1');
    } finally {
      raw.disconnect();
      await cache.stop();
    }
  });
});

describe.runIf(requireRedisServer())('Redis down, slow, and back', () => {
  let server: RedisServerProcess;
  let cache: RedisCache;
  let aside: CacheAside;
  let load: ReturnType<typeof vi.fn<() => Promise<{ name: string }>>>;

  beforeAll(async () => {
    server = await redisServerProcess(); // not started: nothing listens on server.url yet
  });
  afterEach(async () => {
    await cache?.stop();
  });
  afterAll(async () => {
    await server.stop();
  });

  function build() {
    cache = new RedisCache({ url: server.url, logger, connectTimeoutMs: 500, maxReconnectDelayMs: 100 });
    aside = new CacheAside({
      cache,
      metrics: new Metrics({ defaultMetrics: false }),
      logger,
      name: 'health',
      breakerHalfOpenAfterMs: 200,
    });
    load = vi.fn(async () => ({ name: 'Ada' }));
  }

  it('starts without Redis, fails fast, and cache-aside still answers from the source', async () => {
    await server.stop();
    build();
    const started = performance.now();
    await expect(cache.start()).resolves.toBeUndefined();
    expect(cache.state).toBe('running');
    expect(performance.now() - started).toBeLessThan(1500);

    const t0 = performance.now();
    await expect(cache.get('k')).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(100); // no offline queue: no waiting for a socket

    for (let i = 0; i < 10; i += 1) {
      expect(await aside.get({ key: 'profile:1', ttlMs: 60_000, load })).toEqual({ name: 'Ada' });
    }
    expect(load).toHaveBeenCalledTimes(10);
    await expect(aside.invalidate('profile:1')).resolves.toBeUndefined();
  });

  it('uses Redis again once it is back', async () => {
    await server.stop();
    build();
    await cache.start();
    expect(await aside.get({ key: 'profile:2', ttlMs: 60_000, load })).toEqual({ name: 'Ada' });

    await server.start();
    await vi.waitFor(() => expect(cache.connected).toBe(true), { timeout: 5000, interval: 50 });
    await sleep(250); // past the breaker's open period

    await vi.waitFor(async () => {
      await aside.get({ key: 'profile:2', ttlMs: 60_000, load });
      expect(aside.bypassing).toBe(false);
    });
    load.mockClear();
    expect(await aside.get({ key: 'profile:2', ttlMs: 60_000, load })).toEqual({ name: 'Ada' });
    expect(load).not.toHaveBeenCalled(); // served by the recovered Redis
    const raw = new Redis(server.url);
    expect(await raw.get('tend:profile:2')).toBe('{"name":"Ada"}');
    raw.disconnect();
  });

  it('a stalled Redis costs each read at most the command timeout', async () => {
    await server.start();
    build();
    await cache.start();
    const admin = new Redis(server.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
      const t0 = performance.now();
      expect(await aside.get({ key: 'profile:3', ttlMs: 60_000, load })).toEqual({ name: 'Ada' });
      expect(performance.now() - t0).toBeLessThan(450);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
  });
});
