import type { Lsn } from './lsn.js';

/** What the replica monitor last learned about one read replica. */
export interface ReplicaState {
  /** The last check reached the server, and it is a hot standby. */
  healthy: boolean;
  /** WAL position the replica has replayed (`pg_last_wal_replay_lsn()`); unknown before the first check. */
  replayLsn: Lsn | undefined;
  /** How far behind the primary it is, in ms; unknown until both have been seen. */
  lagMs: number | undefined;
}

/** Inputs of one replica choice besides the replicas themselves. */
export interface ReplicaChoice {
  /** The WAL position the reader must see (its key's last write); none means any replica will do. */
  requiredLsn?: Lsn | undefined;
  /** A replica further behind than this is out of rotation. */
  maxLagMs: number;
  /** A counter that advances on every read, for round-robin among the eligible replicas. */
  turn: number;
}

/** Whether a replica may serve reads at all right now, regardless of any key. */
export function inRotation(replica: ReplicaState, maxLagMs: number): boolean {
  return replica.healthy && replica.lagMs !== undefined && replica.lagMs <= maxLagMs;
}

/**
 * Which replica serves a read, as its index, or `undefined` for the primary.
 *
 * A replica is eligible when it is in rotation (healthy, lag within the bound) and, for a read
 * with a consistency key, has replayed at least that key's last write. Eligible replicas take
 * turns, so load spreads evenly; when none qualifies the primary answers, which is always
 * correct, only busier.
 */
export function selectReplica(replicas: readonly ReplicaState[], choice: ReplicaChoice): number | undefined {
  const eligible: number[] = [];
  replicas.forEach((replica, index) => {
    if (!inRotation(replica, choice.maxLagMs)) return;
    if (
      choice.requiredLsn !== undefined &&
      (replica.replayLsn === undefined || replica.replayLsn < choice.requiredLsn)
    ) {
      return;
    }
    eligible.push(index);
  });
  if (eligible.length === 0) return undefined;
  return eligible[Math.abs(choice.turn) % eligible.length];
}

/**
 * The primary's recent WAL positions, sampled by the monitor, from which each replica's lag is
 * computed as "how long ago the primary first went past what this replica has replayed".
 *
 * This is measured against the primary rather than with the replica's own
 * `now() - pg_last_xact_replay_timestamp()`, because that one cannot tell an idle primary from a
 * replica whose WAL receiver has lost the primary: both look "caught up" from the replica's side.
 */
export class WalHistory {
  /** Distinct primary positions, oldest first, each with the time it was first seen. */
  readonly #samples: { atMs: number; lsn: Lsn }[] = [];

  /**
   * @param retainMs how much history to keep; lag beyond it is reported as at least this long.
   */
  constructor(private readonly retainMs: number) {}

  /** Records that the primary was at `lsn` at time `atMs`. */
  record(lsn: Lsn, atMs: number): void {
    const last = this.#samples.at(-1);
    if (!last || lsn > last.lsn) this.#samples.push({ atMs, lsn });
    while (this.#samples.length > 1 && this.#samples[0]!.atMs < atMs - this.retainMs) this.#samples.shift();
  }

  /** Whether the primary has been sampled at least once. */
  get known(): boolean {
    return this.#samples.length > 0;
  }

  /**
   * How many ms a replica that has replayed up to `replayLsn` is behind, as seen at `nowMs`: zero
   * when it has everything the primary had at the last sample, `undefined` with no samples yet.
   */
  lagMs(replayLsn: Lsn, nowMs: number): number | undefined {
    if (this.#samples.length === 0) return undefined;
    const firstAhead = this.#samples.find((sample) => sample.lsn > replayLsn);
    return firstAhead ? Math.max(0, Math.round(nowMs - firstAhead.atMs)) : 0;
  }
}
