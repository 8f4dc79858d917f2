import { CacheAside, type Cache } from '@tend/cache';
import {
  UnavailableError,
  createResiliencePolicy,
  systemClock,
  type Clock,
  type Logger,
  type Metrics,
  type ResiliencePolicy,
} from '@tend/core';
import { roundCoordinates, roundedKey } from './locations.js';
import { ExternalMetrics } from './external-metrics.js';
import type {
  Coordinates,
  GeocodedPlace,
  ProviderAirQuality,
  ProviderForecast,
  WeatherProvider,
} from './weather-provider.js';

/** Options of {@link WeatherSource}; the defaults are the seed's numbers. */
export interface WeatherSourceOptions {
  provider: WeatherProvider;
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
  /**
   * First part of every cache key. Answers depend only on the place, so every process shares
   * them; tests sharing one Redis give each suite its own. @default 'weather'
   */
  cacheNamespace?: string;
  /** How long a forecast or air-quality answer is reused. @default 1_800_000 (30 min) */
  ttlMs?: number;
  /** How long a geocoded name is reused (places do not move). @default 604_800_000 (7 days) */
  geocodingTtlMs?: number;
  /** How long the last answer is kept to be served, marked stale, when the provider is down. @default 172_800_000 (2 days) */
  lastKnownTtlMs?: number;
  /** Each attempt is abandoned after this long. @default 2000 */
  timeoutMs?: number;
  /**
   * Retries after the first attempt. With the default timeout, a dead provider costs about 6 s,
   * inside the gateway's 10 s deadline. @default 2
   */
  retries?: number;
  /** @default 100 */
  initialBackoffMs?: number;
  /** Consecutive failures that open a breaker. @default 5 */
  breakerThreshold?: number;
  /** @default 30_000 */
  breakerHalfOpenAfterMs?: number;
}

/** An answer and how fresh it is. */
export interface Sourced<T> {
  value: T;
  /** True when the provider failed and this is the last known answer. */
  stale: boolean;
  /** Age of the answer, from when the provider gave it. */
  ageMs: number;
}

type Api = 'forecast' | 'geocoding' | 'air-quality';

/** Said to the person when there is neither a provider nor a cached answer. */
export const weatherUnreachable = "I can't reach the weather service right now";

/**
 * The provider behind the cache, a timeout, retries with backoff and a breaker per API, so a
 * slow or failing provider costs little and is not hammered:
 *
 * - answers are cached (the platform cache: Redis when configured) by coordinates rounded to
 *   ~1 km and the hour, for 30 minutes, with single flight per key;
 * - every answer is also kept as the place's last known one; when the provider fails (timeout,
 *   5xx, truncated JSON, breaker open) that one is served with `stale` and its age;
 * - with nothing cached, an `UnavailableError` that says so in words a person understands.
 */
export class WeatherSource {
  readonly policies: Record<Api, ResiliencePolicy>;
  readonly #provider: WeatherProvider;
  readonly #cache: Cache;
  readonly #aside: CacheAside;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: ExternalMetrics;
  readonly #ttlMs: number;
  readonly #geocodingTtlMs: number;
  readonly #lastKnownTtlMs: number;
  readonly #namespace: string;

  constructor(options: WeatherSourceOptions) {
    this.#provider = options.provider;
    this.#cache = options.cache;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger.child({ component: 'weather-source' });
    this.#ttlMs = options.ttlMs ?? 30 * 60_000;
    this.#geocodingTtlMs = options.geocodingTtlMs ?? 7 * 24 * 3_600_000;
    this.#lastKnownTtlMs = options.lastKnownTtlMs ?? 2 * 24 * 3_600_000;
    this.#namespace = options.cacheNamespace ?? 'weather';
    this.#aside = new CacheAside({
      cache: options.cache,
      metrics: options.metrics,
      logger: options.logger,
      name: 'weather',
    });
    const policy = (api: Api) =>
      createResiliencePolicy({
        name: `${options.provider.name}-${api}`,
        timeoutMs: options.timeoutMs ?? 2000,
        retries: options.retries ?? 2,
        initialBackoffMs: options.initialBackoffMs ?? 100,
        breakerThreshold: options.breakerThreshold ?? 5,
        breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 30_000,
        logger: options.logger,
        metrics: options.metrics,
      });
    this.policies = {
      forecast: policy('forecast'),
      geocoding: policy('geocoding'),
      'air-quality': policy('air-quality'),
    };
    this.#metrics = ExternalMetrics.of(options.metrics);
  }

  /** The forecast at a point (rounded to the cache grid). */
  forecast(at: Coordinates): Promise<Sourced<ProviderForecast>> {
    const point = roundCoordinates(at);
    return this.#sourced('forecast', roundedKey(point), (signal) => this.#provider.forecast(point, signal));
  }

  /** Air quality at a point (rounded to the cache grid). */
  airQuality(at: Coordinates): Promise<Sourced<ProviderAirQuality>> {
    const point = roundCoordinates(at);
    return this.#sourced('air-quality', roundedKey(point), (signal) => this.#provider.airQuality(point, signal));
  }

  /**
   * Places called `name`, best first. Cached for a week; a failure is an `UnavailableError`
   * (there is no stale fallback for a name never looked up).
   */
  async geocode(name: string, language: string): Promise<GeocodedPlace[]> {
    const key = `${this.#namespace}:geocode:v1:${language}:${name.toLowerCase()}`;
    try {
      return await this.#aside.get({
        key,
        ttlMs: this.#geocodingTtlMs,
        load: () => this.#call('geocoding', (signal) => this.#provider.geocode(name, language, signal)),
      });
    } catch (error) {
      this.#metrics.answers.inc({ api: 'geocoding', freshness: 'unavailable' });
      throw new UnavailableError('geocoding', "I can't reach the place search right now", { cause: error });
    }
  }

  async #sourced<T extends { fetchedAtMs: number }>(
    api: Api,
    place: string,
    load: (signal: AbortSignal) => Promise<T>,
  ): Promise<Sourced<T>> {
    const now = this.#clock.now().getTime();
    const hour = new Date(now).toISOString().slice(0, 13);
    const lastKey = `${this.#namespace}:${api}:last:v1:${place}`;
    try {
      const value = await this.#aside.get<T>({
        key: `${this.#namespace}:${api}:v1:${place}:${hour}`,
        ttlMs: this.#ttlMs,
        load: async () => {
          const fresh = await this.#call(api, load);
          await this.#remember(lastKey, fresh);
          return fresh;
        },
      });
      const ageMs = Math.max(0, now - value.fetchedAtMs);
      this.#metrics.answers.inc({ api, freshness: ageMs < 1000 ? 'fresh' : 'cached' });
      return { value, stale: false, ageMs };
    } catch (error) {
      const last = await this.#lastKnown<T>(lastKey);
      if (last) {
        this.#metrics.answers.inc({ api, freshness: 'stale' });
        this.#logger.warn({ err: error, api, place }, 'provider failing; serving the last known answer');
        return { value: last, stale: true, ageMs: Math.max(0, now - last.fetchedAtMs) };
      }
      this.#metrics.answers.inc({ api, freshness: 'unavailable' });
      const message = api === 'forecast' ? weatherUnreachable : "I can't reach the air-quality service right now";
      throw new UnavailableError(this.#provider.name, message, { cause: error });
    }
  }

  async #call<T>(api: Api, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await this.policies[api].execute(work);
      this.#metrics.observeCall(this.#provider.name, api, 'ok', performance.now() - started);
      return value;
    } catch (error) {
      const outcome = this.policies[api].breakerState() === 'open' ? 'circuit-open' : 'error';
      this.#metrics.observeCall(this.#provider.name, api, outcome, performance.now() - started);
      throw error;
    }
  }

  async #remember(key: string, value: unknown): Promise<void> {
    try {
      await this.#cache.set(key, JSON.stringify(value), this.#lastKnownTtlMs);
    } catch (error) {
      this.#logger.debug({ err: error }, 'last known answer not kept');
    }
  }

  async #lastKnown<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.#cache.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    } catch {
      return undefined;
    }
  }
}
