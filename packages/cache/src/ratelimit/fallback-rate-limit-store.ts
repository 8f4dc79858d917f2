import { createResiliencePolicy } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import type { ResiliencePolicy } from '@tend/core';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { checkWindowArgs } from './window-args.js';

/** Options of {@link FallbackRateLimitStore}. */
export interface FallbackRateLimitStoreOptions {
  logger: Logger;
  /** Breaker transitions go to `tend_circuit_breaker_transitions_total{breaker="rate-limit"}`. */
  metrics?: Metrics;
  /** Consecutive primary failures that open the breaker. @default 5 */
  breakerThreshold?: number;
  /** How long the primary is skipped before one trial request. @default 30_000 */
  breakerHalfOpenAfterMs?: number;
  /**
   * A primary call slower than this is a failure (Redis has its own command timeout; this
   * bounds any other primary).
   * @default 250
   */
  timeoutMs?: number;
  /** @default 'rate-limit' */
  name?: string;
}

/**
 * Keeps rate limiting up when Redis is not: each request goes to the shared store (exact across
 * replicas) and, when that errors or times out, is decided by the per-process store instead.
 * After `threshold` consecutive failures a breaker stops trying Redis for `halfOpenAfterMs`,
 * then one trial request goes back; when it succeeds, limits are shared again. The switch is
 * logged once each way per outage, not per request.
 *
 * While degraded each process counts on its own, so a client spread over N replicas can get
 * up to N × limit; that is the trade DESIGN.md makes ("rate limits fall back to per-process").
 */
export class FallbackRateLimitStore extends BaseService implements RateLimitStore {
  /** Timeout and breaker around the primary; its state is on the admin page. */
  readonly policy: ResiliencePolicy;
  readonly #logger: Logger;
  #degraded = false;

  constructor(
    readonly primary: RateLimitStore,
    readonly fallback: RateLimitStore,
    options: FallbackRateLimitStoreOptions,
  ) {
    super(options.name ?? 'rate-limit');
    this.#logger = options.logger.child({ component: options.name ?? 'rate-limit' });
    this.policy = createResiliencePolicy({
      name: options.name ?? 'rate-limit',
      timeoutMs: options.timeoutMs ?? 250,
      breakerThreshold: options.breakerThreshold,
      breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs,
      logger: options.logger,
      metrics: options.metrics,
    });
  }

  /** The store deciding right now: the primary's kind, or the fallback's while degraded. */
  get kind(): 'redis' | 'memory' {
    return this.#degraded || this.policy.breakerState() !== 'closed' ? this.fallback.kind : this.primary.kind;
  }

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    // A bad limit is the caller's bug, not an outage: it must not count against the breaker.
    checkWindowArgs(limit, windowMs);
    try {
      const decision = await this.policy.executeOnce(() => this.primary.consume(key, limit, windowMs));
      if (this.#degraded) {
        this.#degraded = false;
        this.#logger.info({ store: this.primary.kind }, 'rate limits are shared across replicas again');
      }
      return decision;
    } catch (error) {
      if (!this.#degraded) {
        this.#degraded = true;
        this.#logger.warn(
          { err: error, store: this.fallback.kind },
          'shared rate-limit store unavailable; limiting per process until it is back',
        );
      }
      return this.fallback.consume(key, limit, windowMs);
    }
  }

  protected async doStart(): Promise<void> {
    await Promise.all([this.primary.start(), this.fallback.start()]);
  }

  protected async doStop(): Promise<void> {
    const results = await Promise.allSettled([this.primary.stop(), this.fallback.stop()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }
}
