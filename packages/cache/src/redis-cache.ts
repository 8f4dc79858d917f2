import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Cache } from './cache.js';
import { positiveTtl } from './memory-cache.js';
import { RedisConnection, type RedisConnectionOptions } from './redis-connection.js';

/** Options of the Redis-backed cache. */
export interface RedisCacheOptions extends Pick<
  RedisConnectionOptions,
  'commandTimeoutMs' | 'connectTimeoutMs' | 'maxReconnectDelayMs'
> {
  /** Must already be checked with `validateRedisUrl` (`createCache` does). */
  url: string;
  logger: Logger;
  /**
   * Put before every key, so Tend can share a Redis with other programs (or several Tend
   * deployments one Redis) and an operator can find its keys with `SCAN MATCH tend:*`.
   * @default 'tend:'
   */
  keyPrefix?: string;
  /** @default 'cache' */
  name?: string;
}

/**
 * The cache shared by all replicas in distributed mode. Every call fails fast when Redis is
 * down or slow (see {@link RedisConnection}); callers go through `CacheAside`, which turns
 * those failures into reads from the source. Starting never fails because Redis is down.
 */
export class RedisCache extends BaseService implements Cache {
  readonly kind = 'redis' as const;
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisCacheOptions) {
    super(options.name ?? 'cache');
    this.#prefix = options.keyPrefix ?? 'tend:';
    this.#connection = new RedisConnection({
      url: options.url,
      logger: options.logger,
      connectionName: 'tend-cache',
      commandTimeoutMs: options.commandTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      maxReconnectDelayMs: options.maxReconnectDelayMs,
    });
  }

  /** Whether Redis is connected right now, for readiness details and the admin page. */
  get connected(): boolean {
    return this.#connection.ready;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#connection.client.get(this.#prefix + key);
    return value ?? undefined;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.#connection.client.mget(keys.map((key) => this.#prefix + key));
    return values.map((value) => value ?? undefined);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#connection.client.set(this.#prefix + key, value, 'PX', positiveTtl(ttlMs));
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#connection.client.del(...keys.map((key) => this.#prefix + key));
  }

  protected doStart(): Promise<void> {
    return this.#connection.open();
  }

  protected doStop(): Promise<void> {
    return this.#connection.close();
  }
}
