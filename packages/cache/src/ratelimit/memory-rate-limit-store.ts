import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '@tend/core';
import { BaseService } from '@tend/core';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { checkWindowArgs } from './window-args.js';

/** Options of the in-process rate-limit store. */
export interface MemoryRateLimitStoreOptions {
  /**
   * Most keys (users, clients) tracked; the least recently seen is forgotten first, which
   * gives that key a fresh allowance. Each key costs about 8 bytes per request in its window.
   * @default 100_000
   */
  maxKeys?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default 'rate-limit-memory' */
  name?: string;
}

/**
 * Rate limits in this process only: all-in-one mode, and the fallback while Redis is down.
 * The same sliding-window log as {@link RedisRateLimitStore} (at most `limit` requests in any
 * `windowMs`, denied requests not counted), so both pass one contract suite and a request is
 * judged the same way whichever store answers.
 */
export class MemoryRateLimitStore extends BaseService implements RateLimitStore {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  /** Per key, the times (ms) of the allowed requests still inside the window, oldest first. */
  readonly #logs: LRUCache<string, number[]>;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    super(options.name ?? 'rate-limit-memory');
    this.#clock = options.clock ?? systemClock;
    this.#logs = new LRUCache<string, number[]>({ max: options.maxKeys ?? 100_000 });
  }

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const window = checkWindowArgs(limit, windowMs);
    const now = this.#clock.now().getTime();
    let log = this.#logs.get(key);
    if (!log) {
      log = [];
      this.#logs.set(key, log);
    }
    const cutoff = now - window;
    let expired = 0;
    while (expired < log.length && log[expired]! <= cutoff) expired += 1;
    if (expired > 0) log.splice(0, expired);

    const allowed = log.length < limit;
    if (allowed) log.push(now);
    // Allowed: when the oldest request leaves the window, one more fits. Denied: when enough
    // have left that one fits (more than one if the limit was lowered since they were counted).
    const freesAt = log[allowed ? 0 : log.length - limit]!;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - log.length),
      resetMs: Math.max(0, freesAt + window - now),
    };
  }

  protected doStart(): Promise<void> {
    return Promise.resolve();
  }

  protected doStop(): Promise<void> {
    this.#logs.clear();
    return Promise.resolve();
  }
}
