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
  readonly #entries: LRUCache<string, Entry>;

  constructor(options: MemoryCacheOptions = {}) {
    super(options.name ?? 'cache');
    const maxEntries = options.maxEntries ?? 50_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    const clock = options.clock;
    this.#entries = new LRUCache<string, Entry>({
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
    return Promise.resolve(this.#entries.get(key)?.json);
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.#entries.get(key)?.json));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { json: value }, { ttl: positiveTtl(ttlMs) });
  }

  /**
   * The value at `key`, parsed and turned by `decode` into what its readers use, deeply frozen
   * (as `{ value }`, since a decoded value may itself be undefined); undefined when there is none. It is decoded once per stored value and `decode`, and every
   * later read of that value gets the same object: it lives in the entry, so it goes when the
   * entry is replaced, deleted or expires, as the JSON does. Only for values their readers never
   * change (the freeze makes a change throw). A `decode` that throws leaves nothing behind.
   */
  getDecoded<T>(key: string, decode: (json: unknown) => T): { value: T } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.decoded?.by !== decode) entry.decoded = { by: decode, value: deepFreeze(decode(JSON.parse(entry.json))) };
    return entry.decoded as { value: T };
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

/** A stored value: its JSON, and what the last `getDecoded` made of it. */
interface Entry {
  json: string;
  decoded?: { by: (json: unknown) => unknown; value: unknown };
}

/** `value` and everything reachable from it, frozen (a `Date`'s time is not part of what freezes). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
  return value;
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
