import type { Clock } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Cache } from './cache.js';
import { MemoryCache } from './memory-cache.js';
import { RedisCache } from './redis-cache.js';
import { validateRedisUrl } from './redis-connection.js';

/** What the platform layer knows when it builds the process's cache. */
export interface CreateCacheOptions {
  /**
   * `REDIS_URL`. Set (and not blank): a {@link RedisCache} shared by all replicas. Unset: a
   * {@link MemoryCache} in this process (all-in-one mode).
   * @default undefined
   */
  url?: string;
  logger: Logger;
  /** Memory cache only. @default 50_000 */
  maxEntries?: number;
  /** Memory cache only. @default performance.now() */
  clock?: Clock;
  /** Redis only. @default 'tend:' */
  keyPrefix?: string;
  /** Redis only. @default 200 */
  commandTimeoutMs?: number;
  /** Redis only. @default 2000 */
  connectTimeoutMs?: number;
}

/**
 * The one place that picks the cache implementation, so service code never knows which one it
 * has. A malformed `REDIS_URL` throws `ConfigError('REDIS_URL', ...)` here, at boot; nothing
 * connects until `start()`.
 */
export function createCache(options: CreateCacheOptions): Cache {
  const url = options.url?.trim();
  if (!url) return new MemoryCache({ maxEntries: options.maxEntries, clock: options.clock });
  return new RedisCache({
    url: validateRedisUrl(url),
    logger: options.logger,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
  });
}
