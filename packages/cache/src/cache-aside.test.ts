import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import type { Cache } from './cache.js';
import { CacheAside, type CacheAsideOptions } from './cache-aside.js';
import { MemoryCache } from './memory-cache.js';

/** A cache whose health the test controls: healthy, failing, or hanging. */
class ControlledCache implements Cache {
  // Stands for a remote cache: one that can fail, hang and recover.
  readonly kind = 'redis' as const;
  readonly name = 'controlled';
  readonly state = 'running' as const;
  readonly entries = new Map<string, string>();
  mode: 'healthy' | 'failing' | 'hanging' = 'healthy';
  calls = 0;

  get(key: string): Promise<string | undefined> {
    return this.#op(() => this.entries.get(key));
  }
  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.#op(() => keys.map((key) => this.entries.get(key)));
  }
  set(key: string, value: string): Promise<void> {
    return this.#op(() => void this.entries.set(key, value));
  }
  delete(...keys: string[]): Promise<void> {
    return this.#op(() => keys.forEach((k) => this.entries.delete(k)));
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  #op<T>(work: () => T): Promise<T> {
    this.calls += 1;
    if (this.mode === 'failing') return Promise.reject(new Error('ECONNREFUSED'));
    if (this.mode === 'hanging') return new Promise(() => undefined);
    return Promise.resolve(work());
  }
}

const silent = createLogger({ level: 'silent' });

function setup(cache: Cache = new MemoryCache(), options: Partial<CacheAsideOptions> = {}) {
  const metrics = new Metrics({ defaultMetrics: false });
  const aside = new CacheAside({ cache, metrics, logger: silent, name: 'health', ...options });
  const counts = async () => {
    const { values } = await metrics.cacheRequests.get();
    const of = (result: string) =>
      values.find((v) => v.labels.cache === 'health' && v.labels.result === result)?.value ?? 0;
    return { hit: of('hit'), miss: of('miss'), error: of('error') };
  };
  return { aside, metrics, counts };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('CacheAside', () => {
  it('loads on a miss, fills the cache, and serves the next read from it', async () => {
    const { aside, counts } = setup();
    const load = vi.fn(async () => ({ name: 'Ada', meds: ['metformin'] }));

    expect(await aside.get({ key: 'profile:1', ttlMs: 60_000, load })).toEqual({ name: 'Ada', meds: ['metformin'] });
    expect(await aside.get({ key: 'profile:1', ttlMs: 60_000, load })).toEqual({ name: 'Ada', meds: ['metformin'] });

    expect(load).toHaveBeenCalledTimes(1);
    expect(await counts()).toEqual({ hit: 1, miss: 1, error: 0 });
  });

  it('decodes cached JSON with the caller’s decoder', async () => {
    const { aside } = setup();
    const read = {
      key: 'vital:1',
      ttlMs: 60_000,
      load: async () => ({ at: new Date('2026-01-01T08:00:00Z') }),
      decode: (json: unknown) => ({ at: new Date((json as { at: string }).at) }),
    };
    await aside.get(read);
    const cached = await aside.get(read);
    expect(cached.at).toBeInstanceOf(Date);
    expect(cached.at.toISOString()).toBe('2026-01-01T08:00:00.000Z');
  });

  it('an immutable value in a memory cache is decoded once and shared, frozen, until the key changes', async () => {
    const { aside, counts } = setup();
    const decode = vi.fn((json: unknown) => json as { meds: string[] });
    let stored = ['metformin'];
    const read = { key: 'meds:1', ttlMs: 60_000, load: async () => ({ meds: stored }), decode, immutable: true };

    await aside.get(read);
    const first = await aside.get(read);
    const second = await aside.get(read);
    expect(second).toBe(first);
    expect(first).toEqual({ meds: ['metformin'] });
    expect(decode).toHaveBeenCalledTimes(1);
    expect(() => first.meds.push('aspirin')).toThrow(TypeError);

    stored = ['metformin', 'aspirin'];
    await aside.invalidate('meds:1');
    await aside.get(read);
    const afterWrite = await aside.get(read);
    expect(afterWrite).toEqual({ meds: ['metformin', 'aspirin'] });
    expect(decode).toHaveBeenCalledTimes(2);
    expect(await counts()).toEqual({ hit: 3, miss: 2, error: 0 });
  });

  it('an immutable value that does not decode is reloaded and counted as an error', async () => {
    const cache = new MemoryCache();
    await cache.set('k', '{not json', 60_000);
    const { aside, counts } = setup(cache);
    expect(await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 42, immutable: true })).toBe(42);
    expect(await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 43, immutable: true })).toBe(42);
    expect(await counts()).toEqual({ hit: 1, miss: 0, error: 1 });
  });

  it('an immutable read of a remote cache still gets its own copy each time', async () => {
    const { aside } = setup(new ControlledCache());
    const read = { key: 'meds:1', ttlMs: 60_000, load: async () => ({ meds: ['metformin'] }), immutable: true };
    await aside.get(read);
    const first = await aside.get(read);
    expect(await aside.get(read)).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(false);
  });

  it('concurrent misses for one key share a single load', async () => {
    const { aside, counts } = setup();
    const source = deferred<string>();
    const load = vi.fn(() => source.promise);

    const readers = Array.from({ length: 20 }, () => aside.get({ key: 'meds:1', ttlMs: 60_000, load }));
    source.resolve('aspirin');

    expect(await Promise.all(readers)).toEqual(Array(20).fill('aspirin'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(await counts()).toEqual({ hit: 0, miss: 1, error: 0 });
  });

  it('a failed load reaches every waiting caller, and the next read tries again', async () => {
    const { aside } = setup();
    const source = deferred<string>();
    const first = aside.get({ key: 'k', ttlMs: 1000, load: () => source.promise });
    const second = aside.get({ key: 'k', ttlMs: 1000, load: () => Promise.resolve('unused') });
    source.reject(new Error('database down'));

    await expect(first).rejects.toThrow('database down');
    await expect(second).rejects.toThrow('database down');
    expect(await aside.get({ key: 'k', ttlMs: 1000, load: async () => 'fresh' })).toBe('fresh');
  });

  it('a failing cache still returns the loaded value, and the breaker opens after 5 failures', async () => {
    const cache = new ControlledCache();
    cache.mode = 'failing';
    const { aside, counts } = setup(cache);

    for (let i = 0; i < 8; i += 1) {
      expect(await aside.get({ key: `profile:${i}`, ttlMs: 1000, load: async () => `value ${i}` })).toBe(`value ${i}`);
    }

    expect(cache.calls).toBe(5); // reads 6 to 8 never touched the cache
    expect(aside.bypassing).toBe(true);
    expect(aside.policy.breakerState()).toBe('open');
    expect(await counts()).toEqual({ hit: 0, miss: 0, error: 8 });
  });

  it('a hanging cache costs at most the timeout, then the value comes from the source', async () => {
    const cache = new ControlledCache();
    cache.mode = 'hanging';
    const { aside, counts } = setup(cache, { timeoutMs: 20 });

    const started = performance.now();
    expect(await aside.get({ key: 'k', ttlMs: 1000, load: async () => 'from db' })).toBe('from db');
    expect(performance.now() - started).toBeLessThan(500);
    expect(await counts()).toMatchObject({ error: 1 });
  });

  it('uses the cache again once it recovers after the breaker’s open period', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new ControlledCache();
    cache.mode = 'failing';
    const { aside, counts } = setup(cache, { breakerHalfOpenAfterMs: 30_000 });
    for (let i = 0; i < 5; i += 1) await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 'v' });
    expect(aside.policy.breakerState()).toBe('open');

    cache.mode = 'healthy';
    vi.advanceTimersByTime(29_000);
    await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 'v' });
    expect(cache.calls).toBe(5); // still open

    vi.advanceTimersByTime(1_001);
    await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 'v' }); // trial call: miss, fill
    expect(aside.policy.breakerState()).toBe('closed');
    expect(await aside.get({ key: 'k', ttlMs: 60_000, load: async () => 'unused' })).toBe('v');
    expect(await counts()).toEqual({ hit: 1, miss: 1, error: 6 });
  });

  it('invalidate never throws, and a key it could not delete is bypassed until the delete gets through', async () => {
    const cache = new ControlledCache();
    const { aside } = setup(cache);
    await aside.get({ key: 'meds:1', ttlMs: 60_000, load: async () => ['aspirin'] });

    cache.mode = 'failing';
    await expect(aside.invalidate('meds:1')).resolves.toBeUndefined();

    // The cache answers again but still holds the old list: this process must not serve it.
    cache.mode = 'healthy';
    const after = await aside.get({ key: 'meds:1', ttlMs: 60_000, load: async () => ['aspirin', 'metformin'] });
    expect(after).toEqual(['aspirin', 'metformin']);
    expect(JSON.parse(cache.entries.get('meds:1')!)).toEqual(['aspirin', 'metformin']);
  });

  it('a write during a load keeps the possibly stale loaded value out of the cache', async () => {
    const cache = new ControlledCache();
    const { aside } = setup(cache);
    const source = deferred<string>();
    const reading = aside.get({ key: 'profile:1', ttlMs: 60_000, load: () => source.promise });
    await Promise.resolve();

    await aside.invalidate('profile:1'); // the write committed after the load began
    source.resolve('old name');
    expect(await reading).toBe('old name');
    expect(cache.entries.has('profile:1')).toBe(false);
    expect(await aside.get({ key: 'profile:1', ttlMs: 60_000, load: async () => 'new name' })).toBe('new name');
  });

  it('replaces a cached value that does not parse', async () => {
    const cache = new ControlledCache();
    cache.entries.set('k', '{not json');
    const { aside, counts } = setup(cache);
    expect(await aside.get({ key: 'k', ttlMs: 1000, load: async () => 42 })).toBe(42);
    expect(cache.entries.get('k')).toBe('42');
    expect(await counts()).toEqual({ hit: 0, miss: 0, error: 1 });
  });

  it('does not cache undefined', async () => {
    const cache = new ControlledCache();
    const { aside } = setup(cache);
    await aside.get({ key: 'nothing', ttlMs: 1000, load: async () => undefined });
    expect(cache.entries.has('nothing')).toBe(false);
  });

  it('reports the most-read keys first', async () => {
    const { aside } = setup();
    const read = (key: string) => aside.get({ key, ttlMs: 60_000, load: async () => key });
    for (let i = 0; i < 5; i += 1) await read('profile:ada');
    for (let i = 0; i < 9; i += 1) await read('meds:ada');
    await read('profile:bob');
    expect(aside.hotKeys(2).map((k) => [k.key, k.count])).toEqual([
      ['meds:ada', 9],
      ['profile:ada', 5],
    ]);
  });

  it('writes through, and a later read is a hit', async () => {
    const cache = new ControlledCache();
    const { aside, counts } = setup(cache);
    await aside.set('recent:c1', ['hello'], 1000);
    expect(await aside.lookup('recent:c1')).toEqual(['hello']);
    expect(await counts()).toEqual({ hit: 1, miss: 0, error: 0 });
  });

  it('looks up without a source: a miss or a failing cache is undefined, never an error', async () => {
    const cache = new ControlledCache();
    const { aside, counts } = setup(cache);
    expect(await aside.lookup('absent')).toBeUndefined();
    cache.mode = 'failing';
    expect(await aside.lookup('absent')).toBeUndefined();
    expect(await counts()).toEqual({ hit: 0, miss: 1, error: 1 });
  });

  it('a write-through that fails leaves no older value to be read', async () => {
    const cache = new ControlledCache();
    const { aside } = setup(cache);
    await aside.set('k', 'old', 1000);
    cache.mode = 'failing';
    await expect(aside.set('k', 'new', 1000)).resolves.toBeUndefined();
    cache.mode = 'healthy';
    // The failed write left the key to be invalidated: the old value is deleted, not served.
    expect(await aside.lookup('k')).toBeUndefined();
    expect(cache.entries.has('k')).toBe(false);
    await aside.set('k', 'new', 1000);
    expect(await aside.lookup('k')).toBe('new');
  });
});
