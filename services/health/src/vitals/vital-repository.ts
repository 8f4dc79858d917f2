import { isKnownTimeZone, NotFoundError } from '@tend/core';
import type { Kysely, Transaction } from 'kysely';
import type { HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { HealthEvent } from '../events.js';
import { readSummaryParts, type SummaryPeriod } from './summary-readings.js';
import { removeFromRollups, rollupWrites } from './vital-rollups.js';
import type { VitalRow } from './vital-rows.js';
import type { SummaryParts } from './vital-summary.js';

/** How long an idempotency key returns the first result. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

/** One page of a person's readings, newest first, after a cursor. */
export interface VitalPageQuery {
  userId: string;
  /** REST name of the kind; all kinds when absent. */
  kind?: string;
  from?: Date;
  to?: Date;
  after?: { at: number; id: string };
  limit: number;
}

/**
 * The vitals aggregate's storage: readings, their hourly rollups and attention list (kept in the
 * same statement or transaction as every write, so a summary never sees one without the other),
 * their outbox events, and idempotency keys. Handlers keep authorization and mapping.
 * Writes go to the primary keyed by the person; reads to a replica that has seen their writes.
 */
export class VitalRepository {
  constructor(private readonly context: Pick<HealthContext, 'db' | 'events' | 'cipher'>) {}

  /**
   * Stores `rows` (one person's) with `events` and their rollups, all or nothing. With an
   * idempotency key, a retry within 24 h writes nothing and answers what `replay` makes of what
   * the first call recorded (it may throw, which rolls back).
   */
  async insert(
    userId: string,
    rows: readonly VitalRow[],
    events: readonly HealthEvent[],
    idempotency: { key: string; now: Date; replay: (previous: KeyedReadings) => VitalRow[] },
  ): Promise<{ rows: VitalRow[]; replayed: boolean }> {
    const idempotencyKey = idempotency.key;
    const { db, events: outbox } = this.context;
    const writes = (executor: Kysely<HealthTables>) => [
      executor.insertInto('vitals').values([...rows]),
      ...rollupWrites(executor, db.schema, userId, rows),
    ];
    try {
      if (idempotencyKey === '') {
        // The common case is one statement: rows, rollups and events, no transaction round trips.
        await db.writeStatement((executor) => outbox.emitWith(executor, writes(executor), events), {
          consistencyKey: userId,
        });
        return { rows: [...rows], replayed: false };
      }
      return await db.transaction(
        async (trx) => {
          const previous = await claimKey(trx, userId, idempotencyKey, idempotency.now);
          if (previous) return { rows: idempotency.replay(previous), replayed: true };
          await outbox.emitWith(trx, writes(trx), events);
          await trx
            .updateTable('vital_idempotency_keys')
            .set({ vital_ids: rows.map((r) => r.id) })
            .where('user_id', '=', userId)
            .where('idempotency_key', '=', idempotencyKey)
            .execute();
          return { rows: [...rows], replayed: false };
        },
        { consistencyKey: userId },
      );
    } catch (error) {
      // 23503: the person does not exist (vitals.user_id references users).
      if ((error as { code?: unknown }).code === '23503') throw new NotFoundError('user', userId, { cause: error });
      throw error;
    }
  }

  /**
   * A reading by id, or undefined. `fromPrimary` for writes and misses: a replica may not have the
   * reading yet. `readerKey` picks a replica that has seen that person's writes.
   */
  async find(vitalId: string, readerKey: string | undefined, fromPrimary: boolean): Promise<VitalRow | undefined> {
    const { db } = this.context;
    const byId = (reader: Kysely<HealthTables>) =>
      reader.selectFrom('vitals').selectAll().where('id', '=', vitalId).executeTakeFirst();
    if (fromPrimary) return byId(db.primary);
    return (await byId(db.reader(readerKey))) ?? (await byId(db.primary));
  }

  /** One page of readings, newest first (ties by id); one more than `limit` when more follow. */
  page(query: VitalPageQuery): Promise<VitalRow[]> {
    let select = this.context.db
      .reader(query.userId)
      .selectFrom('vitals')
      .selectAll()
      .where('user_id', '=', query.userId)
      .orderBy('measured_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
    if (query.from) select = select.where('measured_at', '>=', query.from);
    if (query.to) select = select.where('measured_at', '<', query.to);
    const after = query.after;
    if (after) {
      select = select.where((eb) =>
        eb.or([
          eb('measured_at', '<', new Date(after.at)),
          eb.and([eb('measured_at', '=', new Date(after.at)), eb('id', '<', after.id)]),
        ]),
      );
    }
    return select.execute();
  }

  /** Deletes a reading, its place in the rollups and the attention list, with its event. */
  async delete(row: VitalRow): Promise<void> {
    const { db, events } = this.context;
    await db.transaction(
      async (trx) => {
        await removeFromRollups(trx, db.schema, row, () =>
          trx
            .deleteFrom('vitals')
            .where('id', '=', row.id)
            .where('measured_at', '=', new Date(row.measured_at))
            .execute(),
        );
        await events.emit(trx, {
          type: 'tend.health.vital.deleted',
          personId: row.user_id,
          subject: row.id,
          data: { vitalId: row.id, kind: row.kind },
          live: 'same',
        });
      },
      { consistencyKey: row.user_id },
    );
  }

  /** The person's time zone for local days; UTC when the stored one is unknown here. */
  async timeZoneOf(userId: string): Promise<string> {
    const user = await this.context.db
      .reader(userId)
      .selectFrom('users')
      .select('time_zone')
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) throw new NotFoundError('user', userId);
    return isKnownTimeZone(user.time_zone) ? user.time_zone : 'UTC';
  }

  /** What the summaries of each kind in `period` need; kinds without readings absent. */
  summaryParts(period: SummaryPeriod): Promise<Map<string, SummaryParts>> {
    const { db, cipher } = this.context;
    return readSummaryParts(db.reader(period.userId), db.schema, cipher, period);
  }
}

/** What a key's first call recorded: its reading ids in order, and those rows still stored. */
export interface KeyedReadings {
  ids: string[];
  rows: Map<string, VitalRow>;
}

/**
 * Takes the idempotency key for this call, or returns what the call that took it within the
 * window recorded. A concurrent call with the same key waits on the key's row and then replays.
 */
async function claimKey(
  trx: Transaction<HealthTables>,
  userId: string,
  key: string,
  now: Date,
): Promise<KeyedReadings | undefined> {
  const claimed = await trx
    .insertInto('vital_idempotency_keys')
    .values({ user_id: userId, idempotency_key: key, vital_ids: [], created_at: now })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'idempotency_key'])
        .doUpdateSet({ vital_ids: [], created_at: now })
        .where('vital_idempotency_keys.created_at', '<', new Date(now.getTime() - idempotencyWindowMs)),
    )
    .returning('user_id')
    .executeTakeFirst();
  if (claimed) return undefined;
  const previous = await trx
    .selectFrom('vital_idempotency_keys')
    .select('vital_ids')
    .where('user_id', '=', userId)
    .where('idempotency_key', '=', key)
    .executeTakeFirstOrThrow();
  const rows =
    previous.vital_ids.length === 0
      ? []
      : await trx.selectFrom('vitals').selectAll().where('id', 'in', previous.vital_ids).execute();
  return { ids: previous.vital_ids, rows: new Map(rows.map((r) => [r.id, r])) };
}
