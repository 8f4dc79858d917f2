import type { Vital } from '@tend/proto/tend/health/v1/vitals';

/** What WatchVitals streams: a stored reading, or the id of a deleted one. */
export type VitalChange = { type: 'recorded'; vital: Vital } | { type: 'deleted'; vitalId: string };

/** A listener of one person's changes. */
export type VitalListener = (change: VitalChange) => void;

/**
 * In-process fan-out of committed vital changes to WatchVitals streams, per person. Only the
 * writes this process handled are seen: with several health replicas a watcher follows the
 * replica it is connected to (the outbox events carry the same changes across processes).
 */
export class VitalFeed {
  readonly #listeners = new Map<string, Set<VitalListener>>();

  /** Starts delivering `userId`'s changes to `listener`; returns the unsubscribe function. */
  subscribe(userId: string, listener: VitalListener): () => void {
    let set = this.#listeners.get(userId);
    if (!set) {
      set = new Set();
      this.#listeners.set(userId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(userId) === set) this.#listeners.delete(userId);
    };
  }

  /** Delivers changes that committed; call after the transaction, never inside it. */
  publish(userId: string, changes: readonly VitalChange[]): void {
    const set = this.#listeners.get(userId);
    if (!set) return;
    for (const listener of [...set]) for (const change of changes) listener(change);
  }

  /** Open subscriptions to one person's changes. */
  watchers(userId: string): number {
    return this.#listeners.get(userId)?.size ?? 0;
  }

  /** Number of open subscriptions, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}
