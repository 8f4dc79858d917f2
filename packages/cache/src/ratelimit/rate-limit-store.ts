import type { Lifecycle } from '@tend/core';

/** The outcome of one request against a limit. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Milliseconds until the window frees capacity again. */
  resetMs: number;
}

/**
 * Counts requests per key in a window. Redis makes the count exact across gateway replicas;
 * in memory it is per process (embedded mode, or when Redis is down).
 */
export interface RateLimitStore extends Lifecycle {
  readonly kind: 'redis' | 'memory';
  /** Counts one request for `key` and says whether it is within `limit` per `windowMs`. */
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
}
