import type { Lifecycle } from '@tend/core';

/**
 * A string key/value cache with per-entry time to live. Redis when `REDIS_URL` is set, an
 * in-memory LRU otherwise. Values are strings; callers serialise (see `cacheAside`).
 */
export interface Cache extends Lifecycle {
  /** `'redis'` or `'memory'`, for metrics and the admin status page. */
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  /** The values of `keys`, in their order, read at once (one round trip to Redis). */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes the keys; missing keys are fine. */
  delete(...keys: string[]): Promise<void>;
}
