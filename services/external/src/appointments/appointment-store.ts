import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  NotFoundError,
  ValidationError,
  topics,
  writeWithEvents,
  type Clock,
  type Ids,
  type OutboxEventInput,
  type SchemaDatabase,
} from '@tend/platform';
import { AppointmentSchema, type Appointment } from '@tend/proto/tend/external/v1/external';
import type { Insertable, Selectable, Transaction } from 'kysely';
import { lastEndOf, recurrenceSchema, type Occurrence, type Recurrence } from '../calendar/recurrence.js';
import type { AppointmentRow, ExternalTables } from '../db/tables.js';
import { localDateTimeOf } from '../local-dates.js';
import type { AppointmentFields } from './appointment-input.js';
import { mergeOccurrences, occurrenceCursor, type OccurrenceCursor } from './appointment-occurrences.js';
import { UnboundValueError, sealedAt, type NotesCipher } from './notes-cipher.js';

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

/** The calendar event an appointment came from: its UID and the version of it Tend holds. */
export interface EventSource {
  uid: string;
  sequence: number;
  lastModified?: Date | undefined;
}

/** An appointment's calendar identity as stored, for deciding whether an incoming copy is newer. */
export interface StoredSource {
  id: string;
  uid: string | null;
  sequence: number;
  lastModified: Date | undefined;
}

/** Changes to one person's appointments written together (an import, a calendar sync). */
export interface AppointmentBatch {
  /** New appointments; `id` keeps one the caller chose (an object Tend put on a calendar earlier). */
  create: { id?: string; fields: AppointmentFields; source?: EventSource | undefined }[];
  update: { id: string; fields: AppointmentFields; source?: EventSource | undefined }[];
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
    const id = this.ids.uuid();
    const row: Row = {
      id,
      user_id: userId,
      ...this.#columns(fields, undefined, id, userId),
      ...sourceColumns(undefined),
      created_at: now,
      updated_at: now,
      sequence: 0,
    };
    await this.db.writeStatement(
      (db) =>
        writeWithEvents(
          db,
          db.insertInto('appointments').values(insertable(row)),
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

  /** Changes an appointment; `merge` sees it as it is, with its series' rule (null for one visit). */
  async update(
    id: string,
    userId: string | undefined,
    merge: (current: Appointment, recurrence: Recurrence | null) => AppointmentFields,
  ) {
    return this.db.transaction(async (trx) => {
      const current = await trx
        .selectFrom('appointments')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!current || (userId !== undefined && current.user_id !== userId)) throw new NotFoundError('appointment', id);
      const fields = merge(this.#appointmentOf(current), recurrenceOf(current));
      const columns = this.#columns(fields, current, id, current.user_id);
      const row: Row = { ...current, ...columns, updated_at: this.clock.now(), sequence: current.sequence + 1 };
      await writeWithEvents(
        trx,
        trx
          .updateTable('appointments')
          .set({ ...columns, updated_at: row.updated_at, sequence: row.sequence })
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
    const created: Row[] = batch.create.map(({ id = this.ids.uuid(), fields, source }) => ({
      id,
      user_id: userId,
      ...this.#columns(fields, undefined, id, userId),
      ...sourceColumns(source),
      created_at: now,
      updated_at: now,
      sequence: 0,
    }));
    for (let i = 0; i < created.length; i += 500) {
      const chunk = created.slice(i, i + 500);
      await writeWithEvents(
        trx,
        trx.insertInto('appointments').values(chunk.map(insertable)),
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
    for (const { id, fields, source } of batch.update) {
      const row = byId.get(id);
      if (!row) continue;
      // A copy without a source (Tend's own, back from a calendar) keeps the identity it had.
      const columns = { ...this.#columns(fields, row, id, userId), ...(source ? sourceColumns(source) : {}) };
      const next: Row = { ...row, ...columns, updated_at: now, sequence: row.sequence + 1 };
      await writeWithEvents(
        trx,
        trx
          .updateTable('appointments')
          .set({ ...columns, updated_at: now, sequence: next.sequence })
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

  /** The rules of a person's series, by appointment id (a feed or a sync writes them out). */
  async recurrences(userId: string): Promise<Map<string, Recurrence>> {
    const rows = await this.db.primary
      .selectFrom('appointments')
      .select(['id', 'recurrence'])
      .where('user_id', '=', userId)
      .where('recurrence', 'is not', null)
      .execute();
    return new Map(rows.flatMap((row) => (row.recurrence === null ? [] : [[row.id, recurrenceOf(row)!] as const])));
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

  /**
   * The calendar identities of a person's appointments with these UIDs or ids (an import finds
   * the ones an incoming event updates), read in the caller's transaction and locked for it.
   */
  async sources(
    trx: Transaction<ExternalTables>,
    userId: string,
    keys: { uids: readonly string[]; ids: readonly string[] },
  ): Promise<StoredSource[]> {
    if (keys.uids.length === 0 && keys.ids.length === 0) return [];
    const rows = await trx
      .selectFrom('appointments')
      .select(['id', 'uid', 'source_sequence', 'source_modified_at', 'sequence', 'updated_at'])
      .where('user_id', '=', userId)
      .where((eb) =>
        eb.or([
          ...(keys.uids.length > 0 ? [eb('uid', 'in', [...keys.uids])] : []),
          ...(keys.ids.length > 0 ? [eb('id', 'in', [...keys.ids])] : []),
        ]),
      )
      .forUpdate()
      .execute();
    // One made in Tend is versioned by Tend: its SEQUENCE and LAST-MODIFIED are what the feed wrote.
    return rows.map((row) => ({
      id: row.id,
      uid: row.uid,
      sequence: row.uid === null ? row.sequence : row.source_sequence,
      lastModified: (row.uid === null ? row.updated_at : row.source_modified_at) ?? undefined,
    }));
  }

  /**
   * Appointments overlapping [from, to), in start order, a page at a time. A series appears once
   * per occurrence in the window (its id, that occurrence's times), so "the next appointment" is
   * the next visit of a weekly one too; without a window, or with `expand: false` (a calendar
   * feed, which writes the rule), it appears once, as its first visit.
   */
  async list(
    userId: string,
    window: { from?: Date | undefined; to?: Date | undefined },
    limit: number,
    cursor: string,
    options: { expand?: boolean } = {},
  ): Promise<AppointmentPage> {
    const after = cursor === '' ? undefined : cursorOf(cursor);
    const expand = (options.expand ?? true) && (window.from !== undefined || window.to !== undefined);
    const reader = this.db.reader(userId);
    let singles = reader
      .selectFrom('appointments')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('starts_at')
      .orderBy('id')
      .limit(limit + 1);
    if (expand) singles = singles.where('recurrence', 'is', null);
    const from = window.from;
    // A series is in the window until its last occurrence ends (never, for an endless one).
    if (from) singles = singles.where((eb) => eb.or([eb('last_ends_at', 'is', null), eb('last_ends_at', '>', from)]));
    if (window.to) singles = singles.where('starts_at', '<', window.to);
    if (after) {
      singles = singles.where((eb) =>
        eb.or([
          eb('starts_at', '>', after.startsAt),
          eb.and([eb('starts_at', '=', after.startsAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const singleRows = await singles.execute();
    let seriesRows: Row[] = [];
    if (expand) {
      let query = reader
        .selectFrom('appointments')
        .selectAll()
        .where('user_id', '=', userId)
        .where('recurrence', 'is not', null);
      if (window.to) query = query.where('starts_at', '<', window.to);
      if (from) query = query.where((eb) => eb.or([eb('last_ends_at', 'is', null), eb('last_ends_at', '>', from)]));
      seriesRows = await query.limit(1000).execute();
    }
    const merged = mergeOccurrences(
      singleRows.map((row) => ({ row, occurrence: { startsAt: row.starts_at, endsAt: row.ends_at } })),
      seriesRows.map((row) => ({ row, series: this.#series(row)! })),
      window,
      after,
      limit,
    );
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    return {
      appointments: page.map(({ row, occurrence }) => this.#appointmentOf(row, occurrence)),
      nextCursor: merged.length > limit && last ? occurrenceCursor(last.row.id, last.occurrence) : '',
    };
  }

  /** A series row's start, zone and rule, for expanding it; undefined for a single visit. */
  #series(row: Row) {
    const recurrence = recurrenceOf(row);
    return recurrence && { startsAt: row.starts_at, endsAt: row.ends_at, timeZone: row.time_zone, recurrence };
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

  /**
   * The row's columns for `fields`, the notes sealed for appointment `id` of `userId`; a series'
   * rule stays as `current` has it unless `fields` says.
   */
  #columns(fields: AppointmentFields, current: Row | undefined, id: string, userId: string) {
    const recurrence = fields.recurrence === undefined ? (current ? recurrenceOf(current) : null) : fields.recurrence;
    const lastEnd = recurrence ? lastEndOf({ ...fields, recurrence }) : fields.endsAt;
    return {
      title: fields.title,
      clinician: fields.clinician,
      location: fields.location,
      starts_at: fields.startsAt,
      ends_at: fields.endsAt,
      time_zone: fields.timeZone,
      notes_encrypted:
        fields.notes === '' ? null : this.cipher.encrypt(fields.notes, sealedAt.appointmentNotes(id, userId)),
      notes_bound: true,
      recurrence: recurrence ? JSON.stringify(recurrence) : null,
      last_ends_at: lastEnd ?? null,
    };
  }

  /** The appointment of a row; for one occurrence of a series, with that occurrence's times. */
  #appointmentOf(row: Row, occurrence?: Occurrence): Appointment {
    const startsAt = occurrence?.startsAt ?? row.starts_at;
    const endsAt = occurrence?.endsAt ?? row.ends_at;
    return create(AppointmentSchema, {
      id: row.id,
      userId: row.user_id,
      title: row.title,
      clinician: row.clinician,
      location: row.location,
      startsAt: timestampFromDate(startsAt),
      endsAt: timestampFromDate(endsAt),
      timeZone: row.time_zone,
      notes: this.#notesOf(row),
      createdAt: timestampFromDate(row.created_at),
      updatedAt: timestampFromDate(row.updated_at),
      localStart: localDateTimeOf(startsAt, row.time_zone),
      localEnd: localDateTimeOf(endsAt, row.time_zone),
      sequence: row.sequence,
      rrule: recurrenceOf(row)?.rrule ?? '',
      uid: row.uid ?? '',
    });
  }

  #notesOf(row: Row): string {
    if (row.notes_encrypted === null) return '';
    if (!row.notes_bound) throw new UnboundValueError('appointment', row.id);
    return this.cipher.decrypt(row.notes_encrypted, sealedAt.appointmentNotes(row.id, row.user_id));
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

function cursorOf(cursor: string): OccurrenceCursor {
  const [iso = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const startsAt = new Date(iso);
  if (Number.isNaN(startsAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw ValidationError.field('page.cursor', 'is not a cursor this list returned');
  }
  return { startsAt, id };
}

/**
 * A row's series rule, checked as it leaves the database (parsed JSON) or as a write built it
 * (JSON text); null for a single visit.
 */
export function recurrenceOf(row: Pick<Row, 'recurrence'>): Recurrence | null {
  if (row.recurrence === null || row.recurrence === undefined) return null;
  const value: unknown = typeof row.recurrence === 'string' ? JSON.parse(row.recurrence) : row.recurrence;
  return recurrenceSchema.parse(value);
}

/** A row as an insert takes it: the rule as JSON text. */
function insertable(row: Row): Insertable<AppointmentRow> {
  const recurrence = recurrenceOf(row);
  return { ...row, recurrence: recurrence ? JSON.stringify(recurrence) : null };
}

/** The source columns of a new or newly imported appointment. */
function sourceColumns(source: EventSource | undefined) {
  return {
    uid: source?.uid ?? null,
    source_sequence: source?.sequence ?? 0,
    source_modified_at: source?.lastModified ?? null,
  };
}
