import { systemClock, type Clock } from '@tend/core';

/** One key and roughly how often it was read. */
export interface HotKey {
  key: string;
  /** Estimated reads; may overcount by at most {@link HotKey.maxOvercount}, never undercounts. */
  count: number;
  /** The estimate's error bound (space-saving keeps it per key). */
  maxOvercount: number;
}

/** A run of keys that share a count, in the doubly linked list ordered by count. */
interface Bucket {
  count: number;
  keys: Set<string>;
  lower: Bucket | undefined;
  higher: Bucket | undefined;
}

interface Counted {
  bucket: Bucket;
  overcount: number;
}

/**
 * The space-saving top-K sketch (Metwally, Agrawal, El Abbadi 2005) with its "stream summary"
 * layout: at most `capacity` keys, every record O(1) (no scan, no heap), and any key read more
 * than total/capacity times is guaranteed to be present. When full, a new key replaces one with
 * the smallest count and inherits that count as its possible overcount.
 */
export class SpaceSaving {
  readonly #counted = new Map<string, Counted>();
  #lowest: Bucket | undefined;
  #highest: Bucket | undefined;
  #total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Reads recorded since creation, including those of evicted keys. */
  get total(): number {
    return this.#total;
  }

  /** Keys tracked now (at most `capacity`). */
  get size(): number {
    return this.#counted.size;
  }

  record(key: string): void {
    this.#total += 1;
    const counted = this.#counted.get(key);
    if (counted) {
      this.#promote(key, counted);
      return;
    }
    if (this.#counted.size < this.capacity) {
      const lowest = this.#lowest;
      const bucket = lowest && lowest.count === 1 ? lowest : this.#insertAbove(undefined, 1);
      bucket.keys.add(key);
      this.#counted.set(key, { bucket, overcount: 0 });
      return;
    }
    // Full: the new key takes the place of a least-counted one and inherits its count.
    const lowest = this.#lowest!;
    const victim = lowest.keys.values().next().value as string;
    lowest.keys.delete(victim);
    this.#counted.delete(victim);
    lowest.keys.add(key);
    const entry: Counted = { bucket: lowest, overcount: lowest.count };
    this.#counted.set(key, entry);
    this.#promote(key, entry);
  }

  /** The `n` keys with the highest counts, highest first. */
  top(n: number): HotKey[] {
    const result: HotKey[] = [];
    for (let bucket = this.#highest; bucket && result.length < n; bucket = bucket.lower) {
      for (const key of bucket.keys) {
        if (result.length >= n) break;
        result.push({ key, count: bucket.count, maxOvercount: this.#counted.get(key)!.overcount });
      }
    }
    return result;
  }

  /** Every tracked key with its count, in no particular order. */
  entries(): HotKey[] {
    return [...this.#counted].map(([key, c]) => ({ key, count: c.bucket.count, maxOvercount: c.overcount }));
  }

  #promote(key: string, counted: Counted): void {
    const from = counted.bucket;
    const count = from.count + 1;
    const to = from.higher && from.higher.count === count ? from.higher : this.#insertAbove(from, count);
    to.keys.add(key);
    counted.bucket = to;
    from.keys.delete(key);
    if (from.keys.size === 0) this.#unlink(from);
  }

  /** A new empty bucket right above `below` (or at the bottom when `below` is undefined). */
  #insertAbove(below: Bucket | undefined, count: number): Bucket {
    const higher = below ? below.higher : this.#lowest;
    const bucket: Bucket = { count, keys: new Set(), lower: below, higher };
    if (below) below.higher = bucket;
    else this.#lowest = bucket;
    if (higher) higher.lower = bucket;
    else this.#highest = bucket;
    return bucket;
  }

  #unlink(bucket: Bucket): void {
    if (bucket.lower) bucket.lower.higher = bucket.higher;
    else this.#lowest = bucket.higher;
    if (bucket.higher) bucket.higher.lower = bucket.lower;
    else this.#highest = bucket.lower;
  }
}

/** Options of {@link HotKeyCounter}. */
export interface HotKeyCounterOptions {
  /**
   * Keys tracked per window. Memory is about capacity × (key length + ~150 bytes).
   * @default 1000
   */
  capacity?: number;
  /**
   * Counts age out: reads older than one to two windows no longer count, so `hotKeys` shows
   * what is hot now, not what was hot at boot.
   * @default 60_000
   */
  windowMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * Which cache keys are read most, cheaply enough to run on every read: a space-saving sketch
 * per time window, the current and the previous one reported together. Meant for the admin
 * page and for spotting a key worth a local (L1) copy; never for correctness.
 */
export class HotKeyCounter {
  readonly #capacity: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  #current: SpaceSaving;
  #previous: SpaceSaving | undefined;
  #windowStart: number;

  constructor(options: HotKeyCounterOptions = {}) {
    this.#capacity = options.capacity ?? 1000;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
    this.#current = new SpaceSaving(this.#capacity);
    this.#windowStart = this.#clock.now().getTime();
  }

  record(key: string): void {
    this.#rotate();
    this.#current.record(key);
  }

  /** The `n` most-read keys over the last one to two windows, most-read first. */
  top(n = 10): HotKey[] {
    this.#rotate();
    if (!this.#previous) return this.#current.top(n);
    const merged = new Map<string, HotKey>();
    for (const sketch of [this.#previous, this.#current]) {
      for (const entry of sketch.entries()) {
        const seen = merged.get(entry.key);
        if (seen) {
          seen.count += entry.count;
          seen.maxOvercount += entry.maxOvercount;
        } else merged.set(entry.key, { ...entry });
      }
    }
    return [...merged.values()].sort((a, b) => b.count - a.count).slice(0, n);
  }

  #rotate(): void {
    const now = this.#clock.now().getTime();
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    // After two or more idle windows the previous one is stale too.
    this.#previous = elapsed < 2 * this.#windowMs ? this.#current : undefined;
    this.#current = new SpaceSaving(this.#capacity);
    this.#windowStart = now;
  }
}
