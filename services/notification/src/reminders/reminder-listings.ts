import { sql, type Kysely, type Transaction } from 'kysely';
import type { NotificationTables } from '../db/tables.js';

/**
 * How long a scheduler holds the changed people it took: a process that dies holding them delays
 * their reconcile by this much, and then another takes them. Well over a targeted reconcile of
 * `peoplePerReconcile` on a loaded machine (about a second).
 */
const claimMs = 20_000;
/** The scope of the full reconcile's listing in `reminder_listings`. */
const everyone = 'all';

/**
 * Who may write which reminders, from the numbers of their listings (migration 0006).
 *
 * Every reconcile takes a number from `reminder_listing_seq` before it lists: a listing with a
 * higher number began later, so it saw every schedule change committed before the lower one
 * began. Writes are one at a time (a transaction advisory lock), and each leaves out the people
 * a later-begun listing has already written: a full reconcile listing for minutes never puts back
 * the old schedule of a person whose edit a targeted reconcile wrote meanwhile, and a targeted
 * reconcile that listed before a full one began writes nothing over it. A change is heard of
 * (`noteChanged`) after it was committed, so the first listing numbered after it covers it: its
 * row in `reminder_changes` is deleted by whichever reconcile writes such a listing of that
 * person, the targeted one or the full one.
 */
export class ReminderListings {
  readonly #writeLock: string;
  readonly #sequence: string;
  readonly #changes: string;

  constructor(
    private readonly db: Kysely<NotificationTables>,
    schema: string,
  ) {
    this.#writeLock = `${schema}.reminders.write`;
    this.#sequence = `${schema}.reminder_listing_seq`;
    this.#changes = `${schema}.reminder_changes`;
  }

  /** The next listing number (raw SQL names its schema). */
  #nextval() {
    return sql<string>`nextval(${this.#sequence}::regclass)`;
  }

  /** Records that a person's schedules changed (from an event): their reminders are reconciled soon. */
  async noteChanged(userId: string): Promise<void> {
    await this.db
      .insertInto('reminder_changes')
      .values({ user_id: userId, changed_seq: this.#nextval(), claimed_until: null })
      // Changed again while being reconciled: the newer number keeps the row for another round.
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ changed_seq: sql`excluded.changed_seq`, claimed_until: null }),
      )
      .execute();
  }

  /** Takes up to `limit` changed people no other process holds, oldest change first. */
  async claimChanged(limit: number): Promise<string[]> {
    const { rows } = await sql<{ user_id: string }>`
      UPDATE ${sql.table(this.#changes)} SET claimed_until = now() + ${`${claimMs} milliseconds`}::interval
      WHERE user_id IN (
        SELECT user_id FROM ${sql.table(this.#changes)}
        WHERE claimed_until IS NULL OR claimed_until < now()
        ORDER BY changed_seq LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING user_id`.execute(this.db);
    return rows.map((row) => row.user_id);
  }

  /** The number of a listing about to begin. */
  async begin(): Promise<bigint> {
    const { rows } = await sql<{ seq: string }>`SELECT ${this.#nextval()} AS seq`.execute(this.db);
    return BigInt(rows[0]!.seq);
  }

  /**
   * In a reconcile's write transaction: waits for the other writers, then tells which of the
   * people it listed (`people`; absent: everyone) were written meanwhile from a later-begun
   * listing and must be left alone — all of them when a full reconcile began later.
   */
  async lockForWrite(
    trx: Transaction<NotificationTables>,
    seq: bigint,
    people?: readonly string[],
  ): Promise<{ supersededAll: boolean; superseded: string[] }> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${this.#writeLock}))`.execute(trx);
    let query = trx
      .selectFrom('reminder_listings')
      .select(['scope', 'listed_seq'])
      .where('listed_seq', '>', seq.toString());
    if (people) query = query.where('scope', 'in', [everyone, ...people]);
    const later = await query.execute();
    return {
      supersededAll: later.some((row) => row.scope === everyone),
      superseded: later.filter((row) => row.scope !== everyone).map((row) => row.scope),
    };
  }

  /**
   * After a full reconcile's write: everyone's reminders are as of `seq`, so the marks of people
   * written before it and the changes heard of before it are done with.
   */
  async recordEveryone(trx: Transaction<NotificationTables>, seq: bigint): Promise<void> {
    await trx
      .insertInto('reminder_listings')
      .values({ scope: everyone, listed_seq: seq.toString() })
      .onConflict((oc) => oc.column('scope').doUpdateSet({ listed_seq: sql`excluded.listed_seq` }))
      .execute();
    await trx
      .deleteFrom('reminder_listings')
      .where('scope', '<>', everyone)
      .where('listed_seq', '<=', seq.toString())
      .execute();
    await trx.deleteFrom('reminder_changes').where('changed_seq', '<', seq.toString()).execute();
  }

  /**
   * After a targeted reconcile's write of `written` (of the `claimed` people): their reminders are
   * as of `seq`. Each claimed person's change heard of before `seq` is done with (written now, or
   * by a later listing); one changed again since stays, and its new note released the claim.
   */
  async recordPeople(
    trx: Transaction<NotificationTables>,
    seq: bigint,
    written: readonly string[],
    claimed: readonly string[],
  ): Promise<void> {
    if (written.length > 0) {
      await trx
        .insertInto('reminder_listings')
        .values(written.map((scope) => ({ scope, listed_seq: seq.toString() })))
        .onConflict((oc) =>
          oc
            .column('scope')
            .doUpdateSet({ listed_seq: sql`excluded.listed_seq` })
            .where(sql<boolean>`reminder_listings.listed_seq < excluded.listed_seq`),
        )
        .execute();
    }
    if (claimed.length === 0) return;
    await trx
      .deleteFrom('reminder_changes')
      .where('user_id', 'in', claimed)
      .where('changed_seq', '<', seq.toString())
      .execute();
  }
}
