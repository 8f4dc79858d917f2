import type { Clock } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import type { ResiliencePolicy } from '@tend/core';
import type { Cache } from './cache.js';
import { createResiliencePolicy } from '@tend/core';
import { HotKeyCounter, type HotKey } from './hot-keys.js';
import { MemoryCache } from './memory-cache.js';

/** Options of {@link CacheAside}. */
export interface CacheAsideOptions {
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  /** The `cache` label of `tend_cache_requests_total`, e.g. `health`, `conversation`. */
  name: string;
  /**
   * A cache call slower than this counts as a failure and the value comes from the source.
   * Redis has its own command timeout; this one also covers any other `Cache`.
   * @default 250
   */
  timeoutMs?: number;
  /**
   * Consecutive cache failures (errors or timeouts) that open the breaker; while open the cache
   * is not called at all.
   * @default 5
   */
  breakerThreshold?: number;
  /** How long the breaker stays open before one trial call. @default 30_000 */
  breakerHalfOpenAfterMs?: number;
  /**
   * A policy shared with other users of the same cache, so their breaker opens for all of them
   * at once; its timeout replaces `timeoutMs`. Without one, `createResiliencePolicy` makes one
   * named `cache:<name>` from the options above (cheap enough for every read; no retries,
   * since the source is the fallback).
   * @default undefined
   */
  policy?: ResiliencePolicy;
  /**
   * Invalidations that could not reach the cache, remembered (per process) so the key is
   * bypassed until the delete gets through. Beyond this the oldest are forgotten, with a warning.
   * @default 10_000
   */
  maxPendingInvalidations?: number;
  /** Keys tracked by the hot-key counter. @default 1000 */
  hotKeyCapacity?: number;
  /** @default 60_000 */
  hotKeyWindowMs?: number;
  /** Used by the hot-key windows. @default systemClock */
  clock?: Clock;
}

/** One cache-aside read. */
export interface CacheAsideRead<T> {
  key: string;
  /** How long a filled entry lives (DESIGN.md lists the TTL per kind of data). */
  ttlMs: number;
  /** Reads the value from its source of truth (the database, an upstream). */
  load: () => Promise<T>;
  /**
   * Turns the parsed JSON back into a `T` (dates, class instances, a schema check). JSON
   * only keeps plain data.
   * @default the parsed JSON as is
   */
  decode?: (json: unknown) => T;
  /**
   * Its readers only read the value, never change it. A cache in this process then decodes a
   * stored value once and hands every reader the same deeply frozen object (a change throws),
   * instead of parsing and decoding the JSON on every hit. Pass `decode` as one function made
   * once, not a new closure per read: the decoded value is kept per stored value and `decode`.
   * @default false
   */
  immutable?: boolean;
}

interface Flight {
  promise: Promise<unknown>;
  /** Set when the key was invalidated during the load: the loaded value may predate the write. */
  invalidated: boolean;
}

/** Why a cache call did not produce an answer. */
type CacheFailure = 'circuit-open' | 'failed';

/**
 * Cache-aside (fill on read, invalidate on write) that never makes the cache a point of
 * failure: when the cache errors, is slow or its breaker is open, the value is read from the
 * source and the caller sees no error. Concurrent misses for one key in this process share one
 * load (single flight), so an expired hot key does not send a herd to the database.
 *
 * Counts `tend_cache_requests_total{cache=name, result=hit|miss|error}` once per cache look-up
 * (callers that join an in-flight look-up are not counted again); `error` includes look-ups
 * skipped because the breaker is open, so the dashboard shows the outage.
 *
 * Staleness: an invalidation during an in-flight load stops that load from filling the cache,
 * and an invalidation that cannot reach the cache makes this process bypass the key until it
 * does. Other processes can still fill a value read just before a write; the TTL bounds that.
 */
export class CacheAside {
  readonly name: string;
  /** Timeout and breaker around every cache call; its breaker state is on the admin page. */
  readonly policy: ResiliencePolicy;
  readonly #cache: Cache;
  /** The cache when it is in this process, where an immutable value is kept decoded. */
  readonly #memory: MemoryCache | undefined;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #maxPending: number;
  readonly #flights = new Map<string, Flight>();
  /** Insertion-ordered, so the oldest is dropped first when full. */
  readonly #pendingInvalidations = new Set<string>();
  readonly #hotKeys: HotKeyCounter;
  #degraded = false;

  constructor(options: CacheAsideOptions) {
    this.name = options.name;
    this.#cache = options.cache;
    this.#memory = options.cache instanceof MemoryCache ? options.cache : undefined;
    this.#metrics = options.metrics;
    this.#logger = options.logger.child({ cache: options.name });
    this.#maxPending = options.maxPendingInvalidations ?? 10_000;
    this.policy =
      options.policy ??
      createResiliencePolicy({
        name: `cache:${options.name}`,
        timeoutMs: options.timeoutMs ?? 250,
        breakerThreshold: options.breakerThreshold,
        breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs,
        logger: options.logger,
        metrics: options.metrics,
      });
    this.#hotKeys = new HotKeyCounter({
      capacity: options.hotKeyCapacity,
      windowMs: options.hotKeyWindowMs,
      clock: options.clock,
    });
    this.policy.breaker.onReset(() => void this.#retryPendingInvalidations());
  }

  /** Whether the cache is being bypassed right now (breaker open or half-open). */
  get bypassing(): boolean {
    return this.policy.breakerState() !== 'closed';
  }

  /** The value for `key`: from the cache when there, else loaded from the source and filled. */
  get<T>(read: CacheAsideRead<T>): Promise<T> {
    const { key } = read;
    this.#hotKeys.record(key);
    const joined = this.#flights.get(key);
    if (joined) return joined.promise as Promise<T>;
    const flight: Flight = { promise: Promise.resolve(), invalidated: false };
    flight.promise = this.#readThrough(read, flight).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    this.#flights.set(key, flight);
    return flight.promise as Promise<T>;
  }

  /**
   * Removes the keys after a write. Never throws: a cache that cannot be reached is logged and
   * the keys are bypassed by this process until a later delete succeeds.
   */
  async invalidate(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    for (const key of keys) {
      const flight = this.#flights.get(key);
      if (flight) {
        flight.invalidated = true;
        this.#flights.delete(key);
      }
    }
    const failure = await this.#call(() => this.#cache.delete(...keys));
    if (failure) {
      for (const key of keys) this.#rememberPending(key);
      // While the circuit is open every write lands here; the outage itself was logged once.
      const level = failure === 'circuit-open' ? 'debug' : 'warn';
      this.#logger[level](
        { keys: keys.length, reason: failure },
        'cache invalidation deferred; keys bypassed until it succeeds',
      );
    } else {
      for (const key of keys) this.#pendingInvalidations.delete(key);
    }
  }

  /**
   * The cached value for `key`, or undefined on a miss, an undecodable value or a failing cache:
   * a look-up for values with no source to load from (an answer that would have to be worked
   * out again, a generation counter). Counted like `get`.
   */
  lookup<T>(key: string, decode?: (json: unknown) => T): Promise<T | undefined> {
    return this.get<T | undefined>({ key, ttlMs: 0, load: () => Promise.resolve(undefined), decode });
  }

  /**
   * Writes `value` the caller has just stored at its source (write-through), so the next read
   * is a hit. Never throws: when the cache cannot be written, the key is invalidated instead
   * (and bypassed by this process until that succeeds), so an older cached value is not read.
   */
  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const flight = this.#flights.get(key);
    if (flight) {
      flight.invalidated = true;
      this.#flights.delete(key);
    }
    let json: string;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      this.#logger.error({ err: error, key }, 'value cannot be cached as JSON');
      await this.invalidate(key);
      return;
    }
    // A write that lands replaces whatever stale value a deferred invalidation was guarding.
    if (await this.#call(() => this.#cache.set(key, json, ttlMs))) await this.invalidate(key);
    else this.#pendingInvalidations.delete(key);
  }

  /** The `n` most-read keys in the last one to two minutes (by default), most-read first. */
  hotKeys(n = 10): HotKey[] {
    return this.#hotKeys.top(n);
  }

  async #readThrough<T>(read: CacheAsideRead<T>, flight: Flight): Promise<T> {
    const { key } = read;
    if (this.#pendingInvalidations.has(key)) {
      const failure = await this.#call(() => this.#cache.delete(key));
      if (failure) {
        this.#count('error');
        return read.load();
      }
      this.#pendingInvalidations.delete(key);
    }

    const decode = (read.decode ?? identity) as (json: unknown) => T;
    const memory = read.immutable ? this.#memory : undefined;
    let raw: string | undefined;
    const failure = memory
      ? undefined
      : await this.#call(async () => {
          raw = await this.#cache.get(key);
        });
    if (failure) {
      this.#count('error');
      return read.load();
    }

    try {
      const found = memory
        ? memory.getDecoded(key, decode)
        : raw === undefined
          ? undefined
          : { value: decode(JSON.parse(raw)) };
      if (found) {
        this.#count('hit');
        return found.value;
      }
      this.#count('miss');
    } catch (error) {
      // A value written by an older release or another program: replace it.
      this.#count('error');
      this.#logger.warn({ err: error, key }, 'cached value does not decode; reloading');
    }

    const value = await read.load();
    if (value !== undefined && !flight.invalidated) await this.#fill(key, value, read.ttlMs);
    return value;
  }

  async #fill(key: string, value: unknown, ttlMs: number): Promise<void> {
    let json: string;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      this.#logger.error({ err: error, key }, 'value cannot be cached as JSON');
      return;
    }
    await this.#call(() => this.#cache.set(key, json, ttlMs));
  }

  /**
   * Runs one cache call through the timeout and the breaker. Resolves to `undefined` on success
   * or to why it failed; never rejects.
   */
  async #call(work: () => Promise<void>): Promise<CacheFailure | undefined> {
    // A cache in this process cannot be slow or unreachable: the policy would only add a timer
    // and an AbortController to every read.
    if (this.#cache.kind === 'memory') {
      await work();
      return undefined;
    }
    try {
      await this.policy.executeOnce(work);
      if (this.#degraded) {
        this.#degraded = false;
        this.#logger.info('cache is answering again');
      }
      return undefined;
    } catch (error) {
      // Rejected without calling the cache: the outage was already logged when it began.
      if (this.policy.breakerState() === 'open') return 'circuit-open';
      if (!this.#degraded) {
        this.#degraded = true;
        this.#logger.warn({ err: error }, 'cache failing; reading from the source instead');
      }
      return 'failed';
    }
  }

  #rememberPending(key: string): void {
    this.#pendingInvalidations.delete(key);
    this.#pendingInvalidations.add(key);
    if (this.#pendingInvalidations.size <= this.#maxPending) return;
    const oldest = this.#pendingInvalidations.values().next().value as string;
    this.#pendingInvalidations.delete(oldest);
    this.#logger.warn(
      { max: this.#maxPending },
      'too many deferred invalidations; a key may be read stale until its TTL',
    );
  }

  async #retryPendingInvalidations(): Promise<void> {
    const keys = [...this.#pendingInvalidations];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      if (await this.#call(() => this.#cache.delete(...batch))) return;
      for (const key of batch) this.#pendingInvalidations.delete(key);
    }
  }

  #count(result: 'hit' | 'miss' | 'error'): void {
    this.#metrics.cacheRequests.inc({ cache: this.name, result });
  }
}

function identity(value: unknown): unknown {
  return value;
}
