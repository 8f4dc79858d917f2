import { Redis } from 'ioredis';
import { ConfigError } from '@tend/core';
import type { Logger } from '@tend/core';

/**
 * Checks a Redis URL at boot, so a typo fails the process at start with a message naming the
 * variable, not at the first request. Accepts `redis://` and `rediss://` (TLS), an optional
 * user and password, a port and a database index as the path (`/2`). The password never
 * appears in the error.
 */
export function validateRedisUrl(url: string, variable = 'REDIS_URL'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigError(variable, 'is not a URL; expected redis://[user:password@]host:port[/db]', {
      cause: error,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(variable, `scheme must be redis:// or rediss://, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new ConfigError(variable, 'has no host');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new ConfigError(variable, `database must be a number in the path (/0, /1, ...), not "/${db}"`);
  }
  return url;
}

/** How one Redis connection behaves; every option has a default meant for request paths. */
export interface RedisConnectionOptions {
  /** Must already be checked with {@link validateRedisUrl}. */
  url: string;
  logger: Logger;
  /** Shown in `CLIENT LIST` and in log lines, e.g. `tend-cache`. */
  connectionName: string;
  /**
   * A command without a reply after this long fails, so a slow Redis cannot stall a request.
   * @default 200
   */
  commandTimeoutMs?: number;
  /**
   * A TCP connect (re)attempt gives up after this long; it also bounds how long `open()` waits
   * at boot before going on without Redis.
   * @default 2000
   */
  connectTimeoutMs?: number;
  /**
   * Reconnect attempts back off exponentially from 50 ms up to this delay, forever: a Redis
   * that comes back is picked up without a restart.
   * @default 2000
   */
  maxReconnectDelayMs?: number;
}

/**
 * One ioredis connection set up to fail fast: no offline queue (a command while disconnected
 * rejects at once instead of queueing behind a dead socket), a per-command timeout, no resend
 * of unanswered commands after a reconnect, and endless bounded-backoff reconnects in the
 * background. Callers (cache, rate-limit store) treat a rejection as "Redis unavailable" and
 * degrade; they never wait for Redis to come back.
 *
 * Connection trouble is logged once per outage (warn) and once on recovery (info), not once
 * per reconnect attempt.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly #logger: Logger;
  readonly #connectTimeoutMs: number;
  #down = false;

  constructor(options: RedisConnectionOptions) {
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.#logger = options.logger.child({ redis: options.connectionName });
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      // Commands in flight when the socket drops are rejected rather than resent later: by then
      // the caller has long since degraded, and a resent INCR-like script would count twice.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 200,
      connectTimeout: this.#connectTimeoutMs,
      connectionName: options.connectionName,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, maxDelay) + Math.floor(Math.random() * 50),
    });
    // Without an 'error' listener ioredis prints every failed reconnect to stderr.
    this.client.on('error', (error: Error) => {
      if (this.#down) return;
      this.#down = true;
      this.#logger.warn({ err: error }, 'redis unavailable; degrading until it is back');
    });
    this.client.on('ready', () => {
      if (!this.#down) return;
      this.#down = false;
      this.#logger.info('redis is back');
    });
  }

  /** Whether commands can be sent right now (ioredis status `ready`). */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Connects, waiting at most the connect timeout. A Redis that is down at boot is not fatal:
   * the failure is logged and ioredis keeps reconnecting in the background, so the process
   * starts degraded instead of crash-looping.
   */
  async open(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#connectTimeoutMs);
    });
    const connecting = this.client.connect().then(() => 'ready' as const);
    // When the timeout wins, the connect promise still settles later; it must not go unhandled.
    connecting.catch(() => undefined);
    try {
      const outcome = await Promise.race([connecting, gaveUp]);
      if (outcome === 'timeout') this.#markDown(new Error(`no connection after ${this.#connectTimeoutMs} ms`));
    } catch (error) {
      this.#markDown(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends QUIT when connected (pending replies still arrive), else drops the socket and stops reconnecting. */
  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: the socket broke while quitting.
      }
    }
    this.client.disconnect();
  }

  #markDown(error: unknown): void {
    if (!this.#down) {
      this.#down = true;
      this.#logger.warn(
        { err: error },
        'redis unavailable at start; starting degraded and reconnecting in the background',
      );
    }
  }
}
