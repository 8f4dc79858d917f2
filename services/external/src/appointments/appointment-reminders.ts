import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { Clock, Logger, SchemaDatabase } from '@tend/platform';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import type { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import type { Selectable } from 'kysely';
import { occurrencesOf } from '../calendar/recurrence.js';
import type { AppointmentRow, ExternalTables } from '../db/tables.js';
import { localDateTimeOf } from '../local-dates.js';
import { PeriodicRounds } from '../periodic-rounds.js';
import { recurrenceOf, reminderOffsetsMs } from './appointment-store.js';

/** Options of {@link AppointmentReminders}. */
export interface AppointmentRemindersOptions {
  db: SchemaDatabase<ExternalTables>;
  notification: Client<typeof NotificationService>;
  clock: Clock;
  logger: Logger;
  /** How often due reminders are looked for. @default 60_000 */
  everyMs?: number;
  /**
   * A reminder whose moment passed longer ago than this is skipped (an appointment added 30 min
   * before it starts gets no "tomorrow" reminder). @default 3_600_000
   */
  graceMs?: number;
}

/**
 * Sends each appointment's reminders — the day before and an hour before, for each occurrence
 * of a series — through the
 * notification service (kind `appointment`, so the person's channel preferences and quiet
 * hours apply). A reminder is claimed in `appointment_reminders` before it is sent, per version
 * of the appointment, so a moved appointment is reminded again at its new time and two
 * instances never both send; the notification's idempotency key makes a retried send one.
 */
export class AppointmentReminders extends PeriodicRounds<number> {
  constructor(private readonly options: AppointmentRemindersOptions) {
    super('appointment-reminders', options.everyMs ?? 60_000, 0, options.logger);
  }

  /** One round: sends every reminder due now. Returns how many were sent. */
  protected async round(): Promise<number> {
    let sent = 0;
    try {
      for (const offsetMs of reminderOffsetsMs) sent += await this.#sendDue(offsetMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'appointment reminders failed this round; retried next round');
    }
    return sent;
  }

  async #sendDue(offsetMs: number): Promise<number> {
    const { db, clock } = this.options;
    const now = clock.now();
    const offsetMinutes = offsetMs / 60_000;
    // Due: the reminder's moment (start − offset) has come, within the grace, and the start is ahead.
    const due = await db.primary
      .selectFrom('appointments as a')
      .selectAll('a')
      .where('a.recurrence', 'is', null)
      .where('a.starts_at', '>', now)
      .where('a.starts_at', '<=', new Date(now.getTime() + offsetMs))
      .where('a.starts_at', '>', new Date(now.getTime() + offsetMs - (this.options.graceMs ?? 3_600_000)))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('appointment_reminders as r')
              .select('r.appointment_id')
              .whereRef('r.appointment_id', '=', 'a.id')
              .whereRef('r.sequence', '=', 'a.sequence')
              .where('r.offset_minutes', '=', offsetMinutes),
          ),
        ),
      )
      .limit(500)
      .execute();
    const series = await this.#dueOccurrences(now, offsetMs);
    let sent = 0;
    for (const a of [...due.map((row) => ({ row, startsAt: row.starts_at, occurrence: undefined })), ...series]) {
      sent += await this.#send(a.row, a.startsAt, a.occurrence, offsetMinutes);
    }
    return sent;
  }

  /**
   * The occurrences of series whose reminder at `offsetMs` is due now (within the grace), not yet
   * claimed. Each occurrence is claimed by its start, so a weekly visit is reminded every week.
   */
  async #dueOccurrences(now: Date, offsetMs: number) {
    const { db } = this.options;
    const from = new Date(now.getTime() + offsetMs - (this.options.graceMs ?? 3_600_000));
    const to = new Date(now.getTime() + offsetMs);
    const rows = await db.primary
      .selectFrom('appointments')
      .selectAll()
      .where('recurrence', 'is not', null)
      .where('starts_at', '<=', to)
      .where((eb) => eb.or([eb('last_ends_at', 'is', null), eb('last_ends_at', '>', now)]))
      .limit(2000)
      .execute();
    return rows.flatMap((row) => {
      const recurrence = recurrenceOf(row)!;
      const series = { startsAt: row.starts_at, endsAt: row.ends_at, timeZone: row.time_zone, recurrence };
      // Occurrences starting in (from, to] and still ahead.
      return occurrencesOf(series, { startingAt: new Date(from.getTime() + 1), to: new Date(to.getTime() + 1) }, 10)
        .filter((o) => o.startsAt > now)
        .map((o) => ({ row, startsAt: o.startsAt, occurrence: o.startsAt }));
    });
  }

  /** Claims and sends one reminder; 0 when another round or instance claimed it first. */
  async #send(a: Selectable<AppointmentRow>, startsAt: Date, occurrence: Date | undefined, offsetMinutes: number) {
    const { db } = this.options;
    const occurrenceStart = occurrence ?? new Date(0);
    const claimed = await db.primary
      .insertInto('appointment_reminders')
      .values({
        appointment_id: a.id,
        sequence: a.sequence,
        offset_minutes: offsetMinutes,
        ...(occurrence ? { occurrence_start: occurrence } : {}),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('appointment_id')
      .executeTakeFirst();
    if (!claimed) return 0;
    const when = localDateTimeOf(startsAt, a.time_zone).replace('T', ' ');
    const occurrenceKey = occurrence ? `:${occurrence.toISOString()}` : '';
    try {
      await this.options.notification.sendNotification({
        caller: create(CallerSchema, { role: Role.SERVICE, service: 'external' }),
        userId: a.user_id,
        kind: 'appointment',
        title: offsetMinutes >= 24 * 60 ? `Tomorrow: ${a.title}` : `In an hour: ${a.title}`,
        body: [when, a.clinician && `with ${a.clinician}`, a.location].filter(Boolean).join(', '),
        idempotencyKey: `appointment:${a.id}:${a.sequence}:${offsetMinutes}${occurrenceKey}`,
      });
      return 1;
    } catch (error) {
      // Unclaimed, so the next round tries again.
      await db.primary
        .deleteFrom('appointment_reminders')
        .where('appointment_id', '=', a.id)
        .where('sequence', '=', a.sequence)
        .where('offset_minutes', '=', offsetMinutes)
        .where('occurrence_start', '=', occurrenceStart)
        .execute();
      throw error;
    }
  }
}
