import { LRUCache } from 'lru-cache';
import type { Lsn } from './lsn.js';

/** Bounds of the per-key memory of recent writes. */
export interface WritePositionsOptions {
  /**
   * How long a key's write position is kept. Past this, any replica in rotation (lag under the
   * bound) has long replayed it, so forgetting it is safe as long as this exceeds the lag bound.
   * @default 60000
   */
  ttlMs?: number;
  /**
   * How many keys are remembered; the least recently written are forgotten first, which sends
   * their next reads to a replica that might, in theory, not have their write yet — so keep it
   * above the number of people writing within `ttlMs`.
   * @default 100000
   */
  maxKeys?: number;
  /** Time source in ms, for tests. @default performance.now */
  now?: () => number;
}

/**
 * Where in the WAL each consistency key (a person's id) last wrote, so their next reads go only
 * to replicas that have replayed it: read-your-writes without sending every read to the primary.
 * Bounded and expiring, so memory stays flat however many people write. Per process: a write
 * made through another process is not known here.
 */
export class WritePositions {
  readonly #positions: LRUCache<string, Lsn>;
  readonly #now: () => number;
  readonly #ttlMs: number;
  /** A position every read must see, whatever its key: a schema change, until it expires. */
  #floor: { lsn: Lsn; untilMs: number } | undefined;

  constructor(options: WritePositionsOptions = {}) {
    const now = options.now;
    this.#now = now ?? (() => performance.now());
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#positions = new LRUCache<string, Lsn>({
      max: options.maxKeys ?? 100_000,
      ttl: options.ttlMs ?? 60_000,
      // Read the clock on every look-up rather than caching it behind a timer.
      ttlResolution: 0,
      ...(now ? { perf: { now } } : {}),
    });
  }

  /** Remembers that `key` wrote up to `lsn`; an older position never replaces a newer one. */
  record(key: string, lsn: Lsn): void {
    const previous = this.#positions.get(key);
    this.#positions.set(key, previous !== undefined && previous > lsn ? previous : lsn);
  }

  /**
   * Remembers a write every reader must see, keyed or not, such as a migration: a replica that
   * has not replayed a new table yet would answer "relation does not exist".
   */
  recordForAll(lsn: Lsn): void {
    const floor = this.#currentFloor();
    this.#floor = { lsn: floor !== undefined && floor > lsn ? floor : lsn, untilMs: this.#now() + this.#ttlMs };
  }

  /** The position a read for `key` (or any read) must see, if there was a recent write to see. */
  required(key: string | undefined): Lsn | undefined {
    const own = key === undefined ? undefined : this.#positions.get(key);
    const floor = this.#currentFloor();
    if (own === undefined) return floor;
    return floor !== undefined && floor > own ? floor : own;
  }

  #currentFloor(): Lsn | undefined {
    if (this.#floor && this.#now() > this.#floor.untilMs) this.#floor = undefined;
    return this.#floor?.lsn;
  }

  /** How many keys are remembered now. */
  get size(): number {
    return this.#positions.size;
  }
}
