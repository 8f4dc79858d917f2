import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { BaseService, type Clock, type Logger } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import type { HealthInternalService } from '@tend/proto/tend/health/v1/health_internal_service';
import type { Reminder } from '@tend/proto/tend/health/v1/reminders';
import { sql, type Kysely } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import type { PreparedReminders } from './prepared-reminders.js';
import type { DispatchRound, ReminderDispatcher } from './reminder-dispatcher.js';
import { PollingLoop, type RoundResult } from '../polling-loop.js';
import { ReminderListings } from './reminder-listings.js';
import { reconcileWindow } from './reminder-store.js';

/** How the scheduler runs; every option has a default fit for production. */
export interface SchedulerOptions {
  /**
   * How soon the due reminders are looked for again after a round that found nothing. Idle rounds
   * in a row wait longer, up to `maxIdleIntervalMs`, but never past the next reminder's time
   * (its rendering ahead, its firing, its fired mark). @default 500
   */
  pollIntervalMs?: number;
  /**
   * The longest wait between rounds at rest: how late a reminder another process wrote (a snooze
   * there, a reconcile there) may be seen here. Work written in this process (a reconcile, a
   * changed person) ends the wait at once. At least `pollIntervalMs`. @default 5000
   */
  maxIdleIntervalMs?: number;
  /** Reminders fired per transaction. @default 500 */
  batchSize?: number;
  /**
   * How often everyone's window is reconciled with the health service's schedules: the safety net
   * behind the targeted reconciles of the people whose schedules changed (events can be lost, and
   * a caregiver link sends none). Also once at start. @default 600000
   */
  reconcileIntervalMs?: number;
  /** Changed people reconciled together (at most 1,000, the health contract's cap). @default 200 */
  peoplePerReconcile?: number;
  /**
   * How far back the window reaches: reminders due this long ago and not fired yet are still
   * fired (late); a follow-up lives while its dose is in the window. @default 2 h
   */
  lookbackMs?: number;
  /**
   * How far ahead reminders are rendered, so that at their time one statement per batch sends
   * them (a 08:00 peak of many people is then mostly written before 08:00). @default 5 min
   */
  prepareAheadMs?: number;
  /** Reminders rendered per transaction. @default 1000 */
  prepareBatchSize?: number;
  /** Rendered reminders fired per statement. @default 1000 */
  fireBatchSize?: number;
  /**
   * Firing statements in flight at once (each takes other rows), so that PostgreSQL can use more
   * than one core for a peak and one statement's waits overlap another's work. Each holds a pool
   * connection while the peak lasts (4 of the default 10). 4 × 1000 fired the 08:00 peak of
   * 100,000 in 26 s where 2 × 2000 took 33 s (bench/README.md). @default 4
   */
  fireConcurrency?: number;
  /**
   * How long after their time the reminders written ahead are marked fired and their nudges
   * added. Their live events went out at the time (held in the outbox until then); the marking
   * waits so that at a peak the publishing has the database to itself. Under the 2 h after which
   * a dose counts as missed. @default 30000
   */
  fireHeldAfterMs?: number;
  /**
   * How long before their time the outbox relay reads and locks held live events, so that at a
   * peak's time only their publishing is left. Reading and locking a peak of 100,000 takes about
   * a second on two cores. @default 3000
   */
  releaseLookaheadMs?: number;
  /**
   * Held live events the relay reads and locks at once (published in batches of 2,000). A whole
   * 08:00 peak of 100,000 in one round published them p50 0.52 s after their time, where rounds
   * of 20,000 (each waiting for the last one's marking and the next one's read) took 2.13 s
   * (bench/README.md). The cost: a relay that dies mid-round leaves the whole round to be
   * published again by another (the outbox is at-least-once; the inbox stays exactly-once).
   * @default 100000
   */
  releasePerRound?: number;
}

/** Options with defaults filled. */
export interface CompiledSchedulerOptions {
  pollIntervalMs: number;
  maxIdleIntervalMs: number;
  batchSize: number;
  reconcileIntervalMs: number;
  peoplePerReconcile: number;
  lookbackMs: number;
  prepareAheadMs: number;
  prepareBatchSize: number;
  fireBatchSize: number;
  fireConcurrency: number;
  fireHeldAfterMs: number;
  releaseLookaheadMs: number;
  releasePerRound: number;
}

/** Reconciles asked for by events are at least this far apart. */
const minReconcileGapMs = 1_000;
/** The longest window the health service lists at once. */
const windowMs = 24 * 60 * 60 * 1000;

/** Fills the defaults and checks the values, so a bad one fails at start. */
export function compileSchedulerOptions(options: SchedulerOptions = {}): CompiledSchedulerOptions {
  const compiled = {
    pollIntervalMs: options.pollIntervalMs ?? 500,
    maxIdleIntervalMs: options.maxIdleIntervalMs ?? Math.max(5_000, options.pollIntervalMs ?? 500),
    batchSize: options.batchSize ?? 500,
    reconcileIntervalMs: options.reconcileIntervalMs ?? 600_000,
    peoplePerReconcile: options.peoplePerReconcile ?? 200,
    lookbackMs: options.lookbackMs ?? 2 * 60 * 60 * 1000,
    prepareAheadMs: options.prepareAheadMs ?? 5 * 60 * 1000,
    prepareBatchSize: options.prepareBatchSize ?? 1000,
    fireBatchSize: options.fireBatchSize ?? 1000,
    fireConcurrency: options.fireConcurrency ?? 4,
    fireHeldAfterMs: options.fireHeldAfterMs ?? 30_000,
    releaseLookaheadMs: options.releaseLookaheadMs ?? 3000,
    releasePerRound: options.releasePerRound ?? 100_000,
  };
  for (const [name, value] of Object.entries(compiled)) {
    const least = name === 'fireHeldAfterMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < least)
      throw new RangeError(`scheduler option ${name} must be an integer of at least ${least}`);
  }
  if (compiled.fireHeldAfterMs >= 60 * 60 * 1000)
    throw new RangeError('scheduler option fireHeldAfterMs must be under 1 h');
  if (compiled.maxIdleIntervalMs < compiled.pollIntervalMs)
    throw new RangeError('scheduler option maxIdleIntervalMs must be at least pollIntervalMs');
  if (compiled.lookbackMs >= windowMs) throw new RangeError('scheduler option lookbackMs must be under 24 h');
  if (compiled.peoplePerReconcile > 1000)
    throw new RangeError('scheduler option peoplePerReconcile must be at most 1000');
  return compiled;
}

export interface SchedulerDeps {
  db: SchemaDatabase<NotificationTables>;
  health: Client<typeof HealthInternalService>;
  dispatcher: ReminderDispatcher;
  prepared: PreparedReminders;
  clock: Clock;
  logger: Logger;
  options: CompiledSchedulerOptions;
}

const serviceCaller = create(CallerSchema, { role: Role.SERVICE, service: 'notification' });

/** What a reconcile listed and wrote. */
export interface ReconcileResult {
  listed: number;
  upserted: number;
  cancelled: number;
}

/**
 * The reminder scheduler. Two loops, both driven by the database: the reconciler keeps the
 * `reminders` table equal to the health service's schedules over a 24 h window (from the
 * look-back to 24 h ahead), and the dispatcher fires what is due. A `medication.changed`,
 * `dose.logged` or `user.updated` (time zone, language, name) event names the person (`noteChanged`, a row in `reminder_changes`), and any
 * process's scheduler reconciles only those people within a poll (`reconcileChanged`); a full
 * reconcile of everyone runs at start and then every `reconcileIntervalMs` (10 min) as the safety
 * net. Why that is enough: a change whose event is lost (consumer fault, topic lost), or that
 * sends none (a caregiver link or scope), reaches the table by the next full
 * reconcile; every other change is written by a targeted reconcile that listed after it, and no
 * reconcile ever writes over one that listed later (`ReminderListings`). It needs only PostgreSQL
 * and the health service: with Kafka down, reminders still fire and the full reconcile still
 * runs; the events written meanwhile wait in health's outbox and arrive after. Any number of
 * processes can run it: one lists everyone at a time (an advisory lock), all of them take
 * changed people and fire, each taking other rows.
 */
export class ReminderScheduler extends BaseService {
  readonly #loop: PollingLoop;
  readonly #listings: ReminderListings;
  #reconcileWanted = true;
  #nextReconcileAt = 0;
  #lastReconcileAt = 0;
  /** The full reconcile in progress: it runs beside firing, which it must never hold up. */
  #reconciling: Promise<void> | undefined;
  /** The targeted reconciles in progress, likewise. */
  #reconcilingChanged: Promise<void> | undefined;
  /**
   * Set when a change is noted or a reconcile asked for while one of the background reconciles
   * runs: a round then could not start another, so its end wakes the loop for one.
   */
  #askedMeanwhile = false;

  constructor(private readonly deps: SchedulerDeps) {
    super('notification-scheduler');
    this.#loop = new PollingLoop(() => this.#round(), deps.options.pollIntervalMs, deps.options.maxIdleIntervalMs);
    this.#listings = new ReminderListings(deps.db.primary, deps.db.schema);
  }

  protected async doStart(): Promise<void> {
    this.#loop.start();
  }

  protected async doStop(): Promise<void> {
    await this.#loop.stop();
    await Promise.all([this.#reconciling, this.#reconcilingChanged]);
  }

  /** Asks for a full reconcile soon (a change that names no person). */
  requestReconcile(): void {
    this.#reconcileWanted = true;
    this.#wakeForWork();
  }

  /**
   * Records that a person's schedules changed: some process reconciles their reminders within a
   * poll. Stored in PostgreSQL before the event counts as handled, so neither this process's end
   * nor a rebalance of the topic's partitions loses it.
   */
  async noteChanged(userId: string): Promise<void> {
    await this.#listings.noteChanged(userId);
    this.#wakeForWork();
  }

  #wakeForWork(): void {
    if (this.#reconciling || this.#reconcilingChanged) this.#askedMeanwhile = true;
    this.#loop.wake();
  }

  /** A background reconcile ended: wake the loop if it wrote something or more was asked meanwhile. */
  #reconcileEnded(wrote: boolean): void {
    if (wrote || this.#askedMeanwhile) this.#loop.wake();
    if (!this.#reconciling && !this.#reconcilingChanged) this.#askedMeanwhile = false;
  }

  /**
   * Reconciles everyone's window with the health service now, unless another process is doing it.
   * Returns undefined when it was not this process's turn. The turn is a session advisory lock on
   * one connection, held while the window is listed and then applied in a transaction. The
   * listing is not inside the transaction: at 100,000 people it takes minutes, longer than
   * PostgreSQL lets a transaction sit idle (`idle_in_transaction_session_timeout`, 60 s). A
   * process that dies loses its session, and the lock with it. The people a targeted reconcile
   * wrote from a later listing while this one listed keep what it wrote (`ReminderListings`).
   */
  async reconcile(): Promise<ReconcileResult | undefined> {
    const { db } = this.deps;
    const key = `${db.schema}.reminders.reconcile`;
    return db.primary.connection().execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`
        SELECT pg_try_advisory_lock(hashtext(${key})) AS locked`.execute(connection);
      if (!rows[0]?.locked) return undefined;
      try {
        return await this.#reconcileListed(connection, undefined);
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtext(${key}))`.execute(connection);
      }
    });
  }

  /**
   * Reconciles the window of up to `peoplePerReconcile` people whose schedules changed, taken from
   * `reminder_changes` (other processes take others). Undefined when no change waits. On failure
   * (the health service down) the people stay taken until the claim lapses, then are tried again.
   */
  async reconcileChanged(): Promise<(ReconcileResult & { people: number }) | undefined> {
    const people = await this.#listings.claimChanged(this.deps.options.peoplePerReconcile);
    if (people.length === 0) return undefined;
    return { ...(await this.#reconcileListed(this.deps.db.primary, people)), people: people.length };
  }

  /**
   * Numbers a listing, lists the window of `people` (everyone when undefined) and writes it,
   * leaving out whoever a later-begun listing has written.
   */
  async #reconcileListed(
    db: Kysely<NotificationTables>,
    people: readonly string[] | undefined,
  ): Promise<ReconcileResult> {
    const { clock, options, db: schemaDb } = this.deps;
    const seq = await this.#listings.begin();
    const from = new Date(clock.now().getTime() - options.lookbackMs);
    const window = { from, to: new Date(from.getTime() + windowMs) };
    const listed = await this.#listDue(window, people);
    const written = await db.transaction().execute(async (trx) => {
      const later = await this.#listings.lockForWrite(trx, seq, people);
      const nothing = { upserted: 0, cancelled: 0 };
      if (people === undefined) {
        if (later.supersededAll) return nothing;
        const result = await reconcileWindow(trx, listed, window, clock.now(), schemaDb.schema, {
          except: later.superseded,
        });
        await this.#listings.recordEveryone(trx, seq);
        return result;
      }
      const superseded = new Set(later.superseded);
      const mine = later.supersededAll ? [] : people.filter((person) => !superseded.has(person));
      const result =
        mine.length === 0
          ? nothing
          : await reconcileWindow(trx, listed, window, clock.now(), schemaDb.schema, { only: mine });
      await this.#listings.recordPeople(trx, seq, mine, people);
      return result;
    });
    return { listed: listed.length, ...written };
  }

  /**
   * Fires what is due now, batch after batch until none is left: first the reminders rendered
   * ahead (one statement per batch), then the rest — not rendered yet, or late — one by one.
   */
  async dispatchDue(): Promise<DispatchRound> {
    const total: DispatchRound = { claimed: 0, fired: 0, missed: 0 };
    const { fireBatchSize, fireConcurrency } = this.deps.options;
    /** Fires one batch; true when it was full and more may wait. */
    const fireBatch = async () => {
      const batch = await this.deps.prepared.fire(fireBatchSize, this.deps.options.fireHeldAfterMs);
      total.claimed += batch.claimed;
      total.fired += batch.claimed;
      return batch.claimed === fireBatchSize && !this.#loop.stopping;
    };
    // One statement first: most rounds find nothing, and need not send `fireConcurrency` to learn it.
    if (await fireBatch()) {
      await Promise.all(
        Array.from({ length: fireConcurrency }, async () => {
          while (await fireBatch());
        }),
      );
    }
    for (;;) {
      const round = await this.deps.dispatcher.dispatchDue(this.deps.options.batchSize);
      total.claimed += round.claimed;
      total.fired += round.fired;
      total.missed += round.missed;
      if (round.claimed < this.deps.options.batchSize || this.#loop.stopping) return total;
    }
  }

  /**
   * Renders the reminders due within `prepareAheadMs`, batch after batch, until none is left or
   * `budgetMs` has passed (so that firing what falls due meanwhile is not held up). Returns how
   * many it rendered.
   */
  async prepareAhead(budgetMs = Number.POSITIVE_INFINITY): Promise<number> {
    const { prepareAheadMs, prepareBatchSize } = this.deps.options;
    const started = Date.now();
    let total = 0;
    for (;;) {
      const count = await this.deps.prepared.prepare(prepareAheadMs, prepareBatchSize);
      total += count;
      if (count < prepareBatchSize || this.#loop.stopping || Date.now() - started >= budgetMs) return total;
    }
  }

  /** The window's reminders of `people` (everyone when undefined), page after page. */
  async #listDue(window: { from: Date; to: Date }, people: readonly string[] | undefined): Promise<Reminder[]> {
    const reminders: Reminder[] = [];
    let cursor = '';
    do {
      const response = await this.deps.health.listDueReminders({
        caller: serviceCaller,
        from: timestampFromDate(window.from),
        to: timestampFromDate(window.to),
        // A page costs only its own schedules: the whole window is read in O(schedules).
        pageByMedication: true,
        userIds: people ? [...people] : [],
        page: { limit: 100, cursor },
      });
      reminders.push(...response.reminders);
      cursor = response.page?.nextCursor ?? '';
    } while (cursor !== '');
    return reminders;
  }

  /**
   * One turn of the loop: a reconcile when one is due, then firing and rendering ahead; true when
   * more waits, else when the next reminder or full reconcile falls due.
   */
  async #round(): Promise<RoundResult> {
    const { logger, options } = this.deps;
    const nowMs = Date.now();
    // Changes come in bursts (a day of doses logged at once): one reconcile a second at most.
    const asked = this.#reconcileWanted && nowMs - this.#lastReconcileAt >= minReconcileGapMs;
    // In the background: at 100,000 people a reconcile takes minutes (bench/README.md), and
    // reminders falling due meanwhile must still fire on time.
    if (!this.#reconciling && (asked || nowMs >= this.#nextReconcileAt)) {
      this.#reconcileWanted = false;
      this.#lastReconcileAt = nowMs;
      this.#reconciling = (async () => {
        let nextInMs = options.reconcileIntervalMs;
        let wrote = false;
        try {
          const result = await this.reconcile();
          wrote = result !== undefined && (result.upserted > 0 || result.cancelled > 0);
          if (wrote) logger.debug(result, 'reminders reconciled');
        } catch (error) {
          // The health service may be down: what is stored still fires; try again soon.
          nextInMs = Math.min(options.reconcileIntervalMs, 5_000);
          logger.warn({ err: error }, 'reminder reconcile failed');
        } finally {
          this.#nextReconcileAt = Date.now() + nextInMs;
          this.#reconciling = undefined;
          // What it wrote may fall due before the loop's rest would end.
          this.#reconcileEnded(wrote);
        }
      })();
    }
    // The changed people, taken batch after batch, also in the background.
    if (!this.#reconcilingChanged) {
      this.#reconcilingChanged = (async () => {
        let wrote = false;
        try {
          for (;;) {
            const result = await this.reconcileChanged();
            if (result && (result.upserted > 0 || result.cancelled > 0)) {
              logger.debug(result, 'changed reminders reconciled');
              wrote = true;
            }
            if (!result || result.people < options.peoplePerReconcile || this.#loop.stopping) return;
          }
        } catch (error) {
          logger.warn({ err: error }, 'reconcile of changed reminders failed');
        } finally {
          this.#reconcilingChanged = undefined;
          this.#reconcileEnded(wrote);
        }
      })();
    }
    try {
      await this.dispatchDue();
      // Rendering ahead gives way to firing at least every poll interval.
      if ((await this.prepareAhead(options.pollIntervalMs)) >= options.prepareBatchSize) return true;
      const nextDueInMs = [await this.nextReminderInMs(), this.#nextReconcileInMs()].filter((ms) => ms !== undefined);
      return { nextDueInMs: nextDueInMs.length === 0 ? undefined : Math.min(...nextDueInMs) };
    } catch (error) {
      logger.warn({ err: error }, 'reminder dispatch failed');
      return false;
    }
  }

  /** How long until a full reconcile is due, or one asked for may start (they are a second apart). */
  #nextReconcileInMs(): number | undefined {
    if (this.#reconciling) return undefined;
    const now = Date.now();
    const asked = this.#reconcileWanted ? this.#lastReconcileAt + minReconcileGapMs : Number.POSITIVE_INFINITY;
    return Math.min(asked, this.#nextReconcileAt) - now;
  }

  /**
   * How long until a stored reminder next needs this loop, by the clock: rendering ahead
   * `prepareAheadMs` before its time (or firing it then, when it was not rendered), and the fired
   * mark `fireHeldAfterMs` after the time of one rendered ahead. Undefined when none is pending.
   * Two index reads (`reminders_unprepared`, `reminders_due`).
   */
  async nextReminderInMs(): Promise<number | undefined> {
    const { db, clock, options } = this.deps;
    const reminders = sql.table(`${db.schema}.reminders`);
    const { rows } = await sql<{ unprepared: Date | null; prepared: Date | null }>`
      SELECT (SELECT min(fire_at) FROM ${reminders} WHERE state = 'pending' AND prepared IS NULL) AS unprepared,
             (SELECT min(fire_at) FROM ${reminders} WHERE state = 'pending' AND prepared IS NOT NULL) AS prepared
    `.execute(db.primary);
    const now = clock.now().getTime();
    const times: number[] = [];
    const unprepared = rows[0]?.unprepared;
    if (unprepared) {
      const renderAt = new Date(unprepared).getTime() - options.prepareAheadMs;
      times.push(renderAt > now ? renderAt : new Date(unprepared).getTime());
    }
    const prepared = rows[0]?.prepared;
    if (prepared) times.push(new Date(prepared).getTime() + options.fireHeldAfterMs);
    return times.length === 0 ? undefined : Math.min(...times) - now;
  }
}
