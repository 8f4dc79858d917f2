import pg from 'pg';
import type { Logger } from '@tend/core';
import type { ReplicaStatus } from './database.js';
import { describePostgresUrl } from './connection-url.js';
import { formatLsn, parseLsn } from './lsn.js';
import { type ReplicaState, WalHistory, inRotation } from './replica-selection.js';

/** How the monitor watches the replicas; filled in by the database from its own options. */
export interface ReplicaMonitorOptions {
  primaryUrl: string;
  replicaUrls: readonly string[];
  logger: Logger;
  /** Time between checks of each server. */
  pollIntervalMs: number;
  /** A check (connect or query) slower than this counts as a failure. */
  checkTimeoutMs: number;
  /** Lag bound, used here only to log when a replica leaves or rejoins the rotation. */
  maxLagMs: number;
  /** Longest wait between checks of a server that keeps failing. */
  retryMaxMs: number;
}

/** One server under watch, over its own connection. */
class Probe {
  client: pg.Client | undefined;
  inFlight = false;
  failures = 0;
  nextAttemptAt = 0;
  error: string | undefined;

  constructor(
    readonly url: string,
    readonly label: string,
  ) {}
}

/**
 * Keeps, for every replica, whether it answers, how far it has replayed and how far behind the
 * primary that is, by checking each server every `pollIntervalMs` over a dedicated connection
 * (not the pool, so a saturated pool cannot make a healthy replica look stale). A failing server
 * is checked with growing pauses, up to `retryMaxMs`, and logged only when its state changes.
 */
export class ReplicaMonitor {
  readonly #options: ReplicaMonitorOptions;
  readonly #primary: Probe;
  readonly #replicas: Probe[];
  readonly #states: ReplicaState[];
  readonly #history: WalHistory;
  readonly #rotation: boolean[];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ReplicaMonitorOptions) {
    this.#options = options;
    this.#primary = new Probe(options.primaryUrl, describePostgresUrl(options.primaryUrl));
    this.#replicas = options.replicaUrls.map((url) => new Probe(url, describePostgresUrl(url)));
    this.#states = this.#replicas.map(() => ({ healthy: false, replayLsn: undefined, lagMs: undefined }));
    this.#rotation = this.#replicas.map(() => false);
    this.#history = new WalHistory(Math.max(options.maxLagMs * 2, 5_000));
  }

  /** The replicas' states, in configuration order, as of the last check. */
  get states(): readonly ReplicaState[] {
    return this.#states;
  }

  /** Checks every server once and then keeps checking in the background. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), this.#options.pollIntervalMs);
    // The monitor must never be what keeps a process alive.
    this.#timer.unref();
  }

  /** Stops checking and closes the monitor's connections. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.#primary, ...this.#replicas].map((probe) => this.#disconnect(probe)));
  }

  /**
   * A read found replica `index` unreachable before a check did: out of rotation now, not at its
   * next check, so the reads after it go elsewhere; the checks bring it back when it answers.
   */
  reportUnavailable(index: number, message: string): void {
    const state = this.#states[index];
    if (!state?.healthy || this.#stopped) return;
    state.healthy = false;
    this.#fail(this.#replicas[index]!, message);
    this.#refreshLag();
  }

  /** The replicas as the admin page shows them. */
  report(): ReplicaStatus[] {
    return this.#replicas.map((probe, index) => {
      const state = this.#states[index]!;
      return {
        url: probe.label,
        up: state.healthy,
        lagMs: state.lagMs,
        replayLsn: state.replayLsn === undefined ? undefined : formatLsn(state.replayLsn),
        inRotation: inRotation(state, this.#options.maxLagMs),
        error: probe.error,
      };
    });
  }

  async #tick(): Promise<void> {
    const work: Promise<void>[] = [];
    if (this.#due(this.#primary)) work.push(this.#checkPrimary());
    this.#replicas.forEach((probe, index) => {
      if (this.#due(probe)) work.push(this.#checkReplica(probe, index));
    });
    await Promise.all(work);
    this.#refreshLag();
  }

  #due(probe: Probe): boolean {
    return !this.#stopped && !probe.inFlight && performance.now() >= probe.nextAttemptAt;
  }

  async #checkPrimary(): Promise<void> {
    // The flush position: what a replica can have received. Anything beyond it would count as lag
    // that no replica could make up.
    const row = await this.#check<{ lsn: string }>(this.#primary, 'SELECT pg_current_wal_flush_lsn()::text AS lsn');
    if (row) this.#history.record(parseLsn(row.lsn), performance.now());
  }

  async #checkReplica(probe: Probe, index: number): Promise<void> {
    const row = await this.#check<{ standby: boolean; lsn: string | null }>(
      probe,
      'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn',
      // A promoted replica, or a URL that points at a primary: not a place for lagging reads.
      (answer) =>
        answer?.standby && answer.lsn !== null ? undefined : 'not a hot standby (pg_is_in_recovery() is false)',
    );
    const state = this.#states[index]!;
    state.healthy = row !== undefined;
    if (row?.lsn) state.replayLsn = parseLsn(row.lsn);
  }

  /**
   * Runs one check query; `undefined` when it failed or `problem` finds fault with the answer
   * (either is recorded on the probe).
   */
  async #check<Row>(
    probe: Probe,
    query: string,
    problem: (row: Row | undefined) => string | undefined = () => undefined,
  ): Promise<Row | undefined> {
    probe.inFlight = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.#options.checkTimeoutMs} ms`)),
          this.#options.checkTimeoutMs,
        );
      });
      const client = probe.client ?? (await Promise.race([this.#connect(probe), timeout]));
      const result = await Promise.race([client.query<Row & pg.QueryResultRow>(query), timeout]);
      const row = result.rows[0];
      const issue = problem(row);
      if (issue !== undefined) {
        this.#fail(probe, issue);
        return undefined;
      }
      if (probe.failures > 0) this.#options.logger.info({ server: probe.label }, 'database server answers again');
      probe.failures = 0;
      probe.error = undefined;
      probe.nextAttemptAt = 0;
      return row;
    } catch (error) {
      this.#fail(probe, error instanceof Error ? error.message : String(error));
      await this.#disconnect(probe);
      return undefined;
    } finally {
      clearTimeout(timer);
      probe.inFlight = false;
    }
  }

  async #connect(probe: Probe): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: probe.url,
      connectionTimeoutMillis: this.#options.checkTimeoutMs,
      statement_timeout: this.#options.checkTimeoutMs,
      application_name: 'tend-replica-monitor',
    });
    // A dropped connection is reported as an event; without a listener it would crash the process.
    client.on('error', (error) => {
      this.#fail(probe, error.message);
      if (probe.client === client) probe.client = undefined;
    });
    probe.client = client;
    try {
      await client.connect();
    } catch (error) {
      if (probe.client === client) probe.client = undefined;
      throw error;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      throw new Error('monitor stopped');
    }
    return client;
  }

  #fail(probe: Probe, message: string): void {
    if (probe.failures === 0 || probe.error !== message) {
      this.#options.logger.warn({ server: probe.label, error: message }, 'database server check failed');
    }
    probe.failures += 1;
    probe.error = message;
    const backoff = Math.min(this.#options.pollIntervalMs * 2 ** (probe.failures - 1), this.#options.retryMaxMs);
    probe.nextAttemptAt = performance.now() + backoff;
  }

  async #disconnect(probe: Probe): Promise<void> {
    const client = probe.client;
    probe.client = undefined;
    if (!client) return;
    // end() waits for the server's goodbye, which an unreachable server never sends.
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 200).unref()),
    ]);
  }

  #refreshLag(): void {
    const now = performance.now();
    this.#states.forEach((state, index) => {
      state.lagMs = state.replayLsn === undefined ? undefined : this.#history.lagMs(state.replayLsn, now);
      const nowInRotation = inRotation(state, this.#options.maxLagMs);
      if (nowInRotation !== this.#rotation[index]) {
        this.#rotation[index] = nowInRotation;
        const probe = this.#replicas[index]!;
        const fields = { replica: probe.label, lagMs: state.lagMs, error: probe.error };
        if (nowInRotation) this.#options.logger.info(fields, 'replica in rotation');
        else this.#options.logger.warn(fields, 'replica out of rotation; its reads go elsewhere');
      }
    });
  }
}
