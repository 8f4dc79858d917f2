import { LRUCache } from 'lru-cache';
import type { Clock } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Cache } from './cache.js';

/** Options of the in-process cache. */
export interface MemoryCacheOptions {
  /**
   * Most entries kept; the least recently used goes first. Bounded by count, not bytes: cached
   * values are small JSON documents (a profile, a medication list), so count bounds memory well
   * enough and costs nothing to compute.
   * @default 50_000
   */
  maxEntries?: number;
  /**
   * Where "now" comes from for TTLs; tests pass a clock they move. Without one, the monotonic
   * `performance.now()` is used, so wall-clock jumps do not expire or revive entries.
   * @default performance.now()
   */
  clock?: Clock;
  /** @default 'cache' */
  name?: string;
}

/**
 * The cache in all-in-one mode: an LRU with a TTL per entry, in this process only. Expired
 * entries are dropped when read or when they fall off the LRU end, so no timer runs.
 */
export class MemoryCache extends BaseService implements Cache {
  readonly kind = 'memory' as const;
  readonly #entries: LRUCache<string, string>;

  constructor(options: MemoryCacheOptions = {}) {
    super(options.name ?? 'cache');
    const maxEntries = options.maxEntries ?? 50_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    const clock = options.clock;
    this.#entries = new LRUCache<string, string>({
      max: maxEntries,
      // An injected clock is read on every check (resolution 0) so a test that moves it sees the
      // effect at once; lru-cache otherwise caches "now" for 1 ms.
      ...(clock ? { perf: { now: () => clock.now().getTime() }, ttlResolution: 0 } : {}),
    });
  }

  /** Entries held, including expired ones not yet dropped. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#entries.get(key));
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.#entries.get(key)));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, value, { ttl: positiveTtl(ttlMs) });
  }

  delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(key);
    return Promise.resolve();
  }

  protected doStart(): Promise<void> {
    return Promise.resolve();
  }

  protected doStop(): Promise<void> {
    this.#entries.clear();
    return Promise.resolve();
  }
}

/**
 * A TTL as both stores accept it: a whole number of milliseconds, at least 1. A zero or
 * negative TTL would mean "forever" to lru-cache and an error to Redis; neither is what a
 * caller asking for a short life means.
 */
export function positiveTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be a finite number, got ${ttlMs}`);
  return Math.max(1, Math.ceil(ttlMs));
}
