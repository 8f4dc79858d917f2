import { validateRedisUrl } from '../redis-connection.js';
import type { Clock } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import { FallbackRateLimitStore } from './fallback-rate-limit-store.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';

/** What the platform layer knows when it builds the process's rate-limit store. */
export interface CreateRateLimitStoreOptions {
  /**
   * `REDIS_URL`. Set (and not blank): limits shared by all replicas through Redis, with a
   * per-process fallback while Redis is down. Unset: per-process limits (all-in-one mode).
   * @default undefined
   */
  url?: string;
  logger: Logger;
  metrics?: Metrics;
  /** Keys tracked by the in-memory store. @default 100_000 */
  maxKeys?: number;
  /** In-memory store only. @default systemClock */
  clock?: Clock;
  /** Redis only. @default 'tend:ratelimit:' */
  keyPrefix?: string;
  /** Redis only. @default 200 */
  commandTimeoutMs?: number;
  /** Redis only. @default 2000 */
  connectTimeoutMs?: number;
  /** Consecutive Redis failures before it is skipped. @default 5 */
  breakerThreshold?: number;
  /** How long Redis is skipped before one trial request. @default 30_000 */
  breakerHalfOpenAfterMs?: number;
}

/**
 * The one place that picks the rate-limit store, so the gateway never knows which it has. A
 * malformed `REDIS_URL` throws `ConfigError('REDIS_URL', ...)` here, at boot.
 */
export function createRateLimitStore(options: CreateRateLimitStoreOptions): RateLimitStore {
  const memory = new MemoryRateLimitStore({ maxKeys: options.maxKeys, clock: options.clock });
  const url = options.url?.trim();
  if (!url) return memory;
  const redis = new RedisRateLimitStore({
    url: validateRedisUrl(url),
    logger: options.logger,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  return new FallbackRateLimitStore(redis, memory, {
    logger: options.logger,
    metrics: options.metrics,
    breakerThreshold: options.breakerThreshold,
    breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs,
  });
}
