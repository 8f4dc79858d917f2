import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, ValidationError, type Clock, type Ids } from '@tend/core';
import { topics, writeWithEvents, type OutboxEventInput } from '@tend/events';
import { type SchemaDatabase } from '@tend/db';
import { AppointmentSchema, type Appointment } from '@tend/proto/tend/external/v1/external';
import type { Selectable, Transaction } from 'kysely';
import type { AppointmentRow, ExternalTables } from '../db/tables.js';
import { localDateTimeOf } from '../local-dates.js';
import type { AppointmentFields } from './appointment-input.js';
import type { NotesCipher } from './notes-cipher.js';

/** Event types on `notification_queue` when a person's appointments change. */
export type AppointmentEventType =
  'tend.external.appointment.scheduled' | 'tend.external.appointment.changed' | 'tend.external.appointment.cancelled';

/** Reminders the scheduler should send, before the start: the day before and an hour before. */
export const reminderOffsetsMs = [24 * 3_600_000, 3_600_000] as const;

type Row = Selectable<AppointmentRow>;

/** A page of appointments. */
export interface AppointmentPage {
  appointments: Appointment[];
  nextCursor: string;
}

/** Changes to one person's appointments written together (an import, a calendar sync). */
export interface AppointmentBatch {
  /** New appointments; `id` keeps one the caller chose (an object Tend put on a calendar earlier). */
  create: { id?: string; fields: AppointmentFields }[];
  update: { id: string; fields: AppointmentFields }[];
  delete: string[];
}

/** What a batch wrote, by appointment id (the new sequence tells a sync what it saw last). */
export interface AppointmentBatchResult {
  created: Appointment[];
  updated: Appointment[];
}

/**
 * A person's appointments. Every change writes its row and an event on `notification_queue` in
 * one statement (the transactional outbox), so the reminder scheduler hears of exactly the
 * changes that committed, with the times to remind at; the event never carries the notes.
 */
export class AppointmentStore {
  constructor(
    private readonly db: SchemaDatabase<ExternalTables>,
    private readonly cipher: NotesCipher,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  async create(userId: string, fields: AppointmentFields): Promise<Appointment> {
    const now = this.clock.now();
    const row: Row = {
      id: this.ids.uuid(),
      user_id: userId,
      ...this.#columns(fields),
      created_at: now,
      updated_at: now,
      sequence: 0,
    };
    await this.db.writeStatement(
      (db) =>
        writeWithEvents(
          db,
          db.insertInto('appointments').values(row),
          [this.#event('tend.external.appointment.scheduled', row)],
          this.#context,
        ),
      { consistencyKey: userId },
    );
    return this.#appointmentOf(row);
  }

  /** The appointment, if `userId` owns it (undefined `userId`: anyone's, for services). */
  async get(id: string, userId: string | undefined): Promise<Appointment> {
    return this.#appointmentOf(await this.#row(id, userId));
  }

  async update(id: string, userId: string | undefined, merge: (current: Appointment) => AppointmentFields) {
    return this.db.transaction(async (trx) => {
      const current = await trx
        .selectFrom('appointments')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!current || (userId !== undefined && current.user_id !== userId)) throw new NotFoundError('appointment', id);
      const fields = merge(this.#appointmentOf(current));
      const row: Row = {
        ...current,
        ...this.#columns(fields),
        updated_at: this.clock.now(),
        sequence: current.sequence + 1,
      };
      await writeWithEvents(
        trx,
        trx
          .updateTable('appointments')
          .set({ ...this.#columns(fields), updated_at: row.updated_at, sequence: row.sequence })
          .where('id', '=', id),
        [this.#event('tend.external.appointment.changed', row)],
        this.#context,
      );
      return this.#appointmentOf(row);
    });
  }

  async delete(id: string, userId: string | undefined): Promise<void> {
    const row = await this.#row(id, userId);
    await this.db.writeStatement(
      (db) =>
        writeWithEvents(
          db,
          db.deleteFrom('appointments').where('id', '=', id),
          [this.#event('tend.external.appointment.cancelled', row)],
          this.#context,
        ),
      { consistencyKey: row.user_id },
    );
  }

  /**
   * Writes a batch inside the caller's transaction, so a sync can record its calendar links in the
   * same commit and an import is all or nothing. Rows of someone else are left alone (an update or
   * delete of an id `userId` does not own is skipped).
   */
  async applyBatch(
    trx: Transaction<ExternalTables>,
    userId: string,
    batch: AppointmentBatch,
  ): Promise<AppointmentBatchResult> {
    const now = this.clock.now();
    const created: Row[] = batch.create.map(({ id, fields }) => ({
      id: id ?? this.ids.uuid(),
      user_id: userId,
      ...this.#columns(fields),
      created_at: now,
      updated_at: now,
      sequence: 0,
    }));
    for (let i = 0; i < created.length; i += 500) {
      const chunk = created.slice(i, i + 500);
      await writeWithEvents(
        trx,
        trx.insertInto('appointments').values(chunk),
        chunk.map((row) => this.#event('tend.external.appointment.scheduled', row)),
        this.#context,
      );
    }
    const updated: Row[] = [];
    const touched = [...batch.update.map((u) => u.id), ...batch.delete];
    const current =
      touched.length === 0
        ? []
        : await trx
            .selectFrom('appointments')
            .selectAll()
            .where('user_id', '=', userId)
            .where('id', 'in', touched)
            .forUpdate()
            .execute();
    const byId = new Map(current.map((row) => [row.id, row]));
    for (const { id, fields } of batch.update) {
      const row = byId.get(id);
      if (!row) continue;
      const next: Row = { ...row, ...this.#columns(fields), updated_at: now, sequence: row.sequence + 1 };
      await writeWithEvents(
        trx,
        trx
          .updateTable('appointments')
          .set({ ...this.#columns(fields), updated_at: now, sequence: next.sequence })
          .where('id', '=', id),
        [this.#event('tend.external.appointment.changed', next)],
        this.#context,
      );
      updated.push(next);
    }
    const deleted = batch.delete.flatMap((id) => byId.get(id) ?? []);
    if (deleted.length > 0) {
      await writeWithEvents(
        trx,
        trx.deleteFrom('appointments').where(
          'id',
          'in',
          deleted.map((row) => row.id),
        ),
        deleted.map((row) => this.#event('tend.external.appointment.cancelled', row)),
        this.#context,
      );
    }
    return {
      created: created.map((row) => this.#appointmentOf(row)),
      updated: updated.map((row) => this.#appointmentOf(row)),
    };
  }

  /** Every appointment of a person (a sync compares them all), in start order. */
  async all(userId: string): Promise<Appointment[]> {
    const rows = await this.db.primary
      .selectFrom('appointments')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('starts_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => this.#appointmentOf(row));
  }

  /** Appointments overlapping [from, to), in start order, a page at a time. */
  async list(
    userId: string,
    window: { from?: Date; to?: Date },
    limit: number,
    cursor: string,
  ): Promise<AppointmentPage> {
    let query = this.db
      .reader(userId)
      .selectFrom('appointments')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('starts_at')
      .orderBy('id')
      .limit(limit + 1);
    if (window.from) query = query.where('ends_at', '>', window.from);
    if (window.to) query = query.where('starts_at', '<', window.to);
    if (cursor !== '') {
      const after = cursorOf(cursor);
      query = query.where((eb) =>
        eb.or([
          eb('starts_at', '>', after.startsAt),
          eb.and([eb('starts_at', '=', after.startsAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      appointments: page.map((row) => this.#appointmentOf(row)),
      nextCursor:
        rows.length > limit && last
          ? Buffer.from(`${last.starts_at.toISOString()}|${last.id}`).toString('base64url')
          : '',
    };
  }

  async #row(id: string, userId: string | undefined): Promise<Row> {
    const row = await this.db
      .reader(userId)
      .selectFrom('appointments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    // Someone else's appointment is as absent as a missing one.
    if (!row || (userId !== undefined && row.user_id !== userId)) throw new NotFoundError('appointment', id);
    return row;
  }

  #columns(fields: AppointmentFields) {
    return {
      title: fields.title,
      clinician: fields.clinician,
      location: fields.location,
      starts_at: fields.startsAt,
      ends_at: fields.endsAt,
      time_zone: fields.timeZone,
      notes_encrypted: fields.notes === '' ? null : this.cipher.encrypt(fields.notes),
    };
  }

  #appointmentOf(row: Row): Appointment {
    return create(AppointmentSchema, {
      id: row.id,
      userId: row.user_id,
      title: row.title,
      clinician: row.clinician,
      location: row.location,
      startsAt: timestampFromDate(row.starts_at),
      endsAt: timestampFromDate(row.ends_at),
      timeZone: row.time_zone,
      notes: row.notes_encrypted === null ? '' : this.cipher.decrypt(row.notes_encrypted),
      createdAt: timestampFromDate(row.created_at),
      updatedAt: timestampFromDate(row.updated_at),
      localStart: localDateTimeOf(row.starts_at, row.time_zone),
      localEnd: localDateTimeOf(row.ends_at, row.time_zone),
      sequence: row.sequence,
    });
  }

  #event(type: AppointmentEventType, row: Row): OutboxEventInput {
    const startsAtMs = row.starts_at.getTime();
    return {
      topic: topics.notificationQueue.name,
      type,
      source: '/tend/external',
      subject: row.id,
      partitionKey: row.user_id,
      data: {
        appointmentId: row.id,
        userId: row.user_id,
        title: row.title,
        clinician: row.clinician,
        location: row.location,
        startsAt: row.starts_at.toISOString(),
        endsAt: row.ends_at.toISOString(),
        timeZone: row.time_zone,
        sequence: row.sequence,
        // When to remind: the day before and an hour before; none for a cancelled one.
        remindAt:
          type === 'tend.external.appointment.cancelled'
            ? []
            : reminderOffsetsMs.map((offset) => new Date(startsAtMs - offset).toISOString()),
      },
    };
  }

  get #context() {
    return { schema: this.db.schema, ids: this.ids, clock: this.clock };
  }
}

function cursorOf(cursor: string): { startsAt: Date; id: string } {
  const [iso = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const startsAt = new Date(iso);
  if (Number.isNaN(startsAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw ValidationError.field('page.cursor', 'is not a cursor this list returned');
  }
  return { startsAt, id };
}
