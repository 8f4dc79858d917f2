import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '@tend/core';
import type { Logger } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Metrics } from '@tend/core';
import { backoffDelay, checkBackoff, idleBackoff, outageProbeBackoff, sleep, type RetryBackoff } from './backoff.js';
import type { CloudEvent } from './cloud-event.js';
import type { EventBus } from './event-bus.js';
import { outboxChannel } from './outbox.js';
import { withPublishTrace } from './trace-context.js';

export interface OutboxRelayOptions {
  /** The service schema whose `outbox` table this relay drains, e.g. `health`. */
  schema: string;
  /**
   * PostgreSQL for the relay's own session (a URL or `pg` client settings). The relay holds one
   * dedicated connection: it carries the leadership lock, the LISTEN and every relay query.
   */
  connection: string | pg.ClientConfig;
  /** Where events go. */
  bus: Pick<EventBus, 'publish'>;
  logger: Logger;
  metrics: Metrics;
  /** Most events read and published per round. @default 100 */
  batchSize?: number;
  /**
   * Poll for work this often even without a notification (a lost NOTIFY, a missed LISTEN). Polls
   * that find nothing in a row wait longer, up to `maxIdleIntervalMs`: a commit's NOTIFY wakes the
   * relay at once whatever the wait, and a new session polls as soon as it leads. While held rows
   * wait (`deliverAt`), the poll stays at this interval. @default 500
   */
  pollIntervalMs?: number;
  /** The longest wait between polls at rest; at least `pollIntervalMs`. @default 5000 */
  maxIdleIntervalMs?: number;
  /** A standby relay tries to take over this often. @default 1000 */
  standbyIntervalMs?: number;
  /** Published rows are kept this long (for inspection and replay), then deleted. @default 86_400_000 (1 day) */
  retentionMs?: number;
  /** How often the active relay deletes expired rows. @default 60_000 */
  cleanupIntervalMs?: number;
  /**
   * Waits between failed publishes or lost database sessions; its ceiling bounds how long after
   * the bus's return the outbox drains. @default { initialDelayMs: 250, maxDelayMs: 2_000 } (`outageProbeBackoff`)
   */
  backoff?: RetryBackoff;
  /** A publish that has not been acknowledged by then counts as failed and is retried. @default 60_000 */
  publishTimeoutMs?: number;
  /**
   * Set when the schema's outbox has a `deliver_at` column (a service migration adds it): a row
   * with a time there is held until then, so that a service can write an event ahead of its time
   * (a reminder's) and have nothing left but the publish when it comes. While held, the service
   * may delete the row to take the event back: the relay publishes held rows under a row lock
   * (`FOR UPDATE SKIP LOCKED`), so a delete either removes it before then or finds it published.
   * Held rows go out in (deliver_at, seq) order, in rounds of their own before the others' (which
   * wait at most the lookahead while a round waits for its rows' time).
   */
  deliverAt?: {
    clock: Clock;
    /** Held rows are read and locked this long before their time. @default 0 */
    lookaheadMs?: number;
    /** Most held rows read per round (published in batches of `batchSize`). @default batchSize */
    batchSize?: number;
  };
}

/** Whether this relay is the one publishing its schema's outbox. */
export type RelayRole = 'idle' | 'standby' | 'leader';

interface OutboxRow {
  seq: string;
  topic: string;
  event: CloudEvent;
}

/** How many already-published rows one cleanup statement deletes; small enough to keep locks short. */
const cleanupChunk = 1000;

/**
 * A 64-bit advisory-lock key per schema (PostgreSQL's `hashtext` is only 32 bits, and a
 * collision would leave one schema's outbox without a relay).
 */
export function relayLockKey(schema: string): string {
  const digest = createHash('sha256').update(`tend.outbox.relay:${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** Seconds the oldest unpublished row has waited, from its event's time; 0 for an empty outbox. */
function oldestAgeSeconds(oldest: OutboxRow | undefined, now: number): number {
  const written = oldest ? Date.parse(oldest.event.time) : Number.NaN;
  return Number.isFinite(written) ? Math.max(0, (now - written) / 1000) : 0;
}

function positive(owner: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${owner}: ${name} must be a positive number (got ${value})`);
  return value;
}

/**
 * Moves committed events from one schema's outbox to the event bus, in `seq` order, and marks
 * them published only after the bus acknowledged them: delivery is at least once, and an event
 * exists on the bus if and only if its transaction committed.
 *
 * Exactly one relay per schema publishes at a time, however many processes run one: each
 * relay's dedicated session tries `pg_try_advisory_lock`, the winner leads, the others stand by
 * and take over when the leader's session ends (stop, crash, lost connection: PostgreSQL
 * releases the lock with the session). Because the leader also runs its reads and updates on
 * that session, a leader that lost its lock cannot keep publishing behind a new leader's back.
 * With one publisher reading oldest-first and waiting for each acknowledgement before the next
 * batch, events of one partition key reach the bus in commit order.
 *
 * When the bus is down the rows simply stay unpublished: the relay retries with backoff, logs
 * once when the outage starts and once when it ends, and never throws out of its loop.
 */
export class OutboxRelay extends BaseService {
  readonly schema: string;
  readonly #options: OutboxRelayOptions;
  readonly #channel: string;
  readonly #lockKey: string;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #maxIdleIntervalMs: number;
  readonly #standbyIntervalMs: number;
  readonly #retentionMs: number;
  readonly #cleanupIntervalMs: number;
  readonly #publishTimeoutMs: number;
  readonly #backoff: Required<RetryBackoff>;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #role: RelayRole = 'idle';
  #notified = false;
  #wake: (() => void) | undefined;
  #sessionError: Error | undefined;

  constructor(options: OutboxRelayOptions) {
    super(`outbox-relay:${options.schema}`);
    const owner = `outbox relay ${options.schema}`;
    this.#channel = outboxChannel(options.schema);
    this.schema = options.schema;
    this.#options = options;
    this.#lockKey = relayLockKey(options.schema);
    this.#batchSize = Math.floor(positive(owner, 'batchSize', options.batchSize ?? 100));
    this.#pollIntervalMs = positive(owner, 'pollIntervalMs', options.pollIntervalMs ?? 500);
    this.#maxIdleIntervalMs = positive(
      owner,
      'maxIdleIntervalMs',
      options.maxIdleIntervalMs ?? Math.max(5_000, this.#pollIntervalMs),
    );
    if (this.#maxIdleIntervalMs < this.#pollIntervalMs)
      throw new RangeError(`${owner}: maxIdleIntervalMs must be at least pollIntervalMs`);
    this.#standbyIntervalMs = positive(owner, 'standbyIntervalMs', options.standbyIntervalMs ?? 1000);
    this.#retentionMs = positive(owner, 'retentionMs', options.retentionMs ?? 86_400_000);
    this.#cleanupIntervalMs = positive(owner, 'cleanupIntervalMs', options.cleanupIntervalMs ?? 60_000);
    this.#publishTimeoutMs = positive(owner, 'publishTimeoutMs', options.publishTimeoutMs ?? 60_000);
    this.#backoff = checkBackoff(owner, { ...outageProbeBackoff, initialDelayMs: 250, ...options.backoff });
    this.#logger = options.logger.child({ component: 'outbox-relay', schema: options.schema });
  }

  /** `leader` while this relay is the one publishing, `standby` while another one is. */
  get role(): RelayRole {
    return this.#role;
  }

  /** Looks at the outbox now rather than at the next poll; NOTIFY does this across processes. */
  wake(): void {
    this.#notified = true;
    this.#wake?.();
  }

  protected async doStart(): Promise<void> {
    this.#loop = this.#run();
  }

  protected async doStop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Connect, win or wait for the lock, lead; on any database failure start over after a backoff. */
  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      let session: pg.Client | undefined;
      try {
        session = await this.#connect();
        while (!this.#stopped && !(await this.#tryLock(session))) {
          if (this.#role !== 'standby') this.#logger.info('another relay is active for this schema; standing by');
          this.#role = 'standby';
          await this.#idle(this.#standbyIntervalMs, false);
          this.#throwIfSessionLost();
        }
        if (this.#stopped) break;
        this.#role = 'leader';
        this.#logger.info('active relay for this schema');
        await session.query(`listen "${this.#channel}"`);
        if (failures > 0) this.#logger.info({ failures }, 'database session restored');
        failures = 0;
        await this.#lead(session);
      } catch (error) {
        if (this.#stopped) break;
        failures += 1;
        if (failures === 1) this.#logger.warn({ err: error }, 'relay lost its database session; retrying with backoff');
        else this.#logger.debug({ err: error, failures }, 'relay database session still failing');
      } finally {
        this.#role = 'idle';
        await this.#close(session);
      }
      if (!this.#stopped) await sleep(backoffDelay(failures, this.#backoff), this.#stop.signal);
    }
  }

  async #connect(): Promise<pg.Client> {
    const given = this.#options.connection;
    const config: pg.ClientConfig = typeof given === 'string' ? { connectionString: given } : { ...given };
    config.application_name ??= `tend-outbox-relay-${this.schema}`;
    config.keepAlive ??= true;
    config.statement_timeout ??= 30_000;
    // Bounded waits, so a database that vanished cannot hold the relay (or its stop) forever.
    config.connectionTimeoutMillis ??= 10_000;
    config.query_timeout ??= 60_000;
    this.#sessionError = undefined;
    const session = new pg.Client(config);
    // A dropped connection emits 'error'; without a listener Node would crash the process.
    session.on('error', (error) => {
      this.#sessionError = error;
      this.#wake?.();
    });
    session.on('notification', (message) => {
      if (message.channel === this.#channel) this.wake();
    });
    await session.connect();
    return session;
  }

  async #close(session: pg.Client | undefined): Promise<void> {
    if (!session) return;
    // Ending the session releases the advisory lock and the LISTEN.
    await session.end().catch(() => undefined);
  }

  async #tryLock(session: pg.Client): Promise<boolean> {
    const result = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [
      this.#lockKey,
    ]);
    return result.rows[0]?.locked === true;
  }

  #throwIfSessionLost(): void {
    if (this.#sessionError) throw this.#sessionError;
  }

  /** Publishes while leading; returns when stopped, throws when the session fails. */
  async #lead(session: pg.Client): Promise<void> {
    const table = `"${this.schema}".outbox`;
    const metrics = this.#options.metrics;
    let busFailures = 0;
    let outageStart = 0;
    let lastCleanup = 0;
    let emptyPolls = 0;
    while (!this.#stopped) {
      this.#throwIfSessionLost();
      if (Date.now() - lastCleanup >= this.#cleanupIntervalMs) {
        await this.#cleanup(session, table);
        lastCleanup = Date.now();
      }
      this.#notified = false;
      const held = this.#options.deliverAt ? await this.#heldRound(session, table) : undefined;
      const { rows } = await session.query<OutboxRow>(
        `select seq, topic, event from ${table} where published_at is null${
          held ? ' and deliver_at is null' : ''
        } order by seq limit $1`,
        [this.#batchSize],
      );
      metrics.outboxPending.observe({ schema: this.schema }, rows.length);
      metrics.outboxOldestAge.set({ schema: this.schema }, oldestAgeSeconds(rows[0], Date.now()));
      if (rows.length === 0) {
        if (held && held.published > 0) continue;
        emptyPolls += 1;
        const restMs = idleBackoff(emptyPolls, this.#pollIntervalMs, this.#maxIdleIntervalMs);
        await this.#idle(held?.nextInMs === undefined ? restMs : Math.min(this.#pollIntervalMs, held.nextInMs), true);
        if (this.#notified) emptyPolls = 0;
        continue;
      }
      emptyPolls = 0;
      try {
        await this.#publish(rows);
      } catch (error) {
        if (this.#stopped) return;
        busFailures += 1;
        if (busFailures === 1) {
          outageStart = Date.now();
          this.#logger.warn(
            { err: error, waiting: rows.length },
            'event bus unavailable; events stay in the outbox and are retried with backoff',
          );
        } else {
          this.#logger.debug({ err: error, failures: busFailures }, 'event bus still unavailable');
        }
        await this.#idle(backoffDelay(busFailures, this.#backoff), false);
        continue;
      }
      if (busFailures > 0) {
        this.#logger.info(
          { failures: busFailures, outageMs: Date.now() - outageStart },
          'event bus is back; publishing the outbox',
        );
        busFailures = 0;
      }
      await session.query(`update ${table} set published_at = now() where seq = any($1::bigint[])`, [
        rows.map((row) => row.seq),
      ]);
      this.#countPublished(rows);
    }
  }

  /**
   * Publishes the held rows whose time has come, or comes within `lookaheadMs`: it reads and locks
   * them ahead (`FOR UPDATE SKIP LOCKED`, skipping rows a service is deleting), waits for each
   * one's time, publishes it in batches, and marks what it published in the same transaction, so
   * that at a peak's time only the publishing is left. A service deleting a locked row waits
   * for the commit and finds it published. Rows whose time did not come within the lookahead
   * (a clock held back in a test) are released unpublished. Returns how many it published and
   * how long until the next held row is due; a failed publish rolls back (the rows wait, as
   * unpublished rows do) and is retried at the next round, a lost session throws.
   */
  async #heldRound(session: pg.Client, table: string): Promise<{ published: number; nextInMs: number | undefined }> {
    const { clock, lookaheadMs = 0, batchSize = this.#batchSize } = this.#options.deliverAt!;
    const now = clock.now();
    await session.query('begin');
    let committed = false;
    try {
      const { rows } = await session.query<OutboxRow & { deliver_at: Date }>(
        `select seq, topic, event, deliver_at from ${table} where published_at is null and deliver_at <= $1
           order by deliver_at, seq limit $2 for update skip locked`,
        [new Date(now.getTime() + lookaheadMs), batchSize],
      );
      const published: OutboxRow[] = [];
      // When the bus acknowledged each row: the transaction's now() is its start, before the wait.
      const acknowledgedAt: Date[] = [];
      const giveUpAt = Date.now() + lookaheadMs + this.#pollIntervalMs;
      while (published.length < rows.length && !this.#stopped) {
        const at = clock.now().getTime();
        const due = rows.slice(published.length).filter((row) => new Date(row.deliver_at).getTime() <= at);
        if (due.length === 0) {
          if (Date.now() >= giveUpAt) break;
          const wait = new Date(rows[published.length]!.deliver_at).getTime() - at;
          await sleep(Math.max(1, Math.min(wait, giveUpAt - Date.now())), this.#stop.signal);
          continue;
        }
        for (let start = 0; start < due.length; start += this.#batchSize) {
          const batch = due.slice(start, start + this.#batchSize);
          await this.#publish(batch);
          const at = new Date();
          for (let i = 0; i < batch.length; i++) acknowledgedAt.push(at);
        }
        published.push(...due);
      }
      if (published.length > 0) {
        await session.query(
          `update ${table} as o set published_at = v.at from unnest($1::bigint[], $2::timestamptz[]) as v(seq, at)
             where o.seq = v.seq`,
          [published.map((row) => row.seq), acknowledgedAt],
        );
        this.#countPublished(published);
      }
      await session.query('commit');
      committed = true;
      if (published.length > 0) return { published: published.length, nextInMs: 0 };
    } catch (error) {
      if (!committed) await session.query('rollback').catch(() => undefined);
      this.#throwIfSessionLost();
      if (this.#stopped) return { published: 0, nextInMs: undefined };
      this.#logger.debug({ err: error }, 'held events not published; retrying');
      return { published: 0, nextInMs: this.#backoff.initialDelayMs };
    }
    const { rows: next } = await session.query<{ at: Date | null }>(
      `select min(deliver_at) as at from ${table} where published_at is null and deliver_at is not null`,
    );
    const at = next[0]?.at;
    // Woken early enough to read the next ones ahead.
    return {
      published: 0,
      nextInMs: at ? Math.max(0, new Date(at).getTime() - now.getTime() - lookaheadMs) : undefined,
    };
  }

  /** Counts published events per topic in the metrics. */
  #countPublished(rows: readonly OutboxRow[]): void {
    const perTopic = new Map<string, number>();
    for (const row of rows) perTopic.set(row.topic, (perTopic.get(row.topic) ?? 0) + 1);
    for (const [topic, count] of perTopic) this.#options.metrics.eventsPublished.inc({ topic }, count);
  }

  /** Hands a batch to the bus; resolves on acknowledgement, rejects on failure, timeout or stop. */
  async #publish(rows: OutboxRow[]): Promise<void> {
    // A stop that came while the rows were read has already fired its abort event, so the
    // listener below would never hear it and the stop would wait for the publish timeout.
    if (this.#stopped) throw new Error('relay stopping');
    const publishing = withPublishTrace(
      this.schema,
      rows.map((row) => row.event),
      () => this.#options.bus.publish(rows.map((row) => ({ topic: row.topic, event: row.event }))),
    );
    // Past a timeout or a stop the publish may still settle; its outcome no longer matters (a
    // late success only means the batch is published twice, which at-least-once allows).
    publishing.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`publish not acknowledged within ${this.#publishTimeoutMs} ms`)),
        this.#publishTimeoutMs,
      );
      onAbort = () => reject(new Error('relay stopping'));
      this.#stop.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([publishing, giveUp]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.#stop.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Deletes rows published longer than the retention ago. It looks only at the oldest rows by
   * `seq` (primary-key order, roughly publication order), so each round is a short index range
   * rather than a scan of everything kept.
   */
  async #cleanup(session: pg.Client, table: string): Promise<void> {
    for (let round = 0; round < 20 && !this.#stopped; round++) {
      const result = await session.query(
        `delete from ${table} where seq in (select seq from ${table} order by seq limit $1)
           and published_at is not null and published_at < now() - make_interval(secs => $2)`,
        [cleanupChunk, this.#retentionMs / 1000],
      );
      if ((result.rowCount ?? 0) < cleanupChunk) return;
    }
  }

  /**
   * Waits up to `ms`; a stop, a lost session and (when `wakeOnNotify`) a notification end the
   * wait early. Backoff waits ignore notifications: new events do not make a down bus come back.
   */
  #idle(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (this.#stopped || this.#sessionError || (wakeOnNotify && this.#notified)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = () => {
        if (wakeOnNotify || this.#stopped || this.#sessionError) done();
      };
    });
  }
}
