import { timestampDate } from '@bufbuild/protobuf/wkt';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ReminderKind, type Reminder } from '@tend/proto/tend/health/v1/reminders';
import type { NotificationTables, ReminderPayload, ReminderStateName } from '../db/tables.js';
import type { ReminderKindName } from './reminder-messages.js';

/** A reminder row as the scheduler works with it. */
export interface StoredReminder {
  id: string;
  kind: ReminderKindName;
  recipientUserId: string;
  patientUserId: string;
  subjectId: string;
  parentId: string | null;
  fireAt: Date;
  scheduledAt: Date;
  payload: ReminderPayload;
  state: ReminderStateName;
}

/** The scheduler's name of a health reminder kind; undefined for kinds it does not know yet. */
export function reminderKindName(kind: ReminderKind): ReminderKindName | undefined {
  switch (kind) {
    case ReminderKind.DOSE_DUE:
      return 'dose_due';
    case ReminderKind.MISSED_DOSE_ALERT:
      return 'missed_dose_alert';
    case ReminderKind.UNSPECIFIED:
      return undefined;
  }
}

const chunkSize = 1000;

/**
 * Whose reminders a reconcile writes, by their patient (the person who takes the medication):
 * `only` these (a targeted reconcile; absent: everyone), `except` these (a later listing wrote
 * them; their rows are left as they are).
 */
export interface ReconcileScope {
  only?: readonly string[];
  except?: readonly string[];
}

/**
 * Brings the stored reminders of a window in line with what the health service says is due in
 * it: new ones are added, changed text is refreshed, one that had been cancelled and is due again
 * (a medication restarted, a dose log undone) is pending again; a pending one the health service
 * no longer lists (edited, stopped, its dose logged) is cancelled, and so is a follow-up whose
 * dose reminder is no longer listed. Fired reminders are never touched, nor are the reminders of
 * people outside `scope`: `listed` must then be everything due in the window for the people in
 * it. Runs in the caller's transaction, so a reader sees the window before or after, never half
 * of it.
 */
export async function reconcileWindow(
  trx: Transaction<NotificationTables>,
  listed: readonly Reminder[],
  window: { from: Date; to: Date },
  now: Date,
  schema: string,
  scope: ReconcileScope = {},
): Promise<{ upserted: number; cancelled: number }> {
  const only = scope.only && new Set(scope.only);
  const except = new Set(scope.except);
  const rows = listed.flatMap((reminder) => {
    const kind = reminderKindName(reminder.kind);
    if (!kind || !reminder.fireAt || !reminder.scheduledAt) return [];
    if (except.has(reminder.patientUserId) || (only && !only.has(reminder.patientUserId))) return [];
    const payload: ReminderPayload = {
      patientDisplayName: reminder.patientDisplayName,
      medicationName: reminder.medicationName,
      dose: reminder.dose,
      doseUnit: reminder.doseUnit,
      instructions: reminder.instructions,
      localTime: reminder.localTime,
      timeZone: reminder.timeZone,
      locale: reminder.recipientLocale,
    };
    return [
      {
        id: reminder.id,
        kind,
        recipient_user_id: reminder.recipientUserId,
        patient_user_id: reminder.patientUserId,
        subject_id: reminder.medicationId,
        parent_id: null,
        fire_at: timestampDate(reminder.fireAt),
        scheduled_at: timestampDate(reminder.scheduledAt),
        payload: JSON.stringify(payload),
        state: 'pending' as const,
        updated_at: now,
      },
    ];
  });
  // The rows of the people in scope, read first by the index on the patient: planned together
  // with the window's range, PostgreSQL walked the window's 200,000 rows instead (150 ms at
  // 100,000 people, against a few ms). Read before the upsert: a row added now has no
  // notification written ahead to take back.
  const theirs = only
    ? await trx
        .selectFrom('reminders')
        .select(['id', 'recipient_user_id'])
        .where(sql<boolean>`patient_user_id = ANY(${[...only]}::uuid[])`)
        .where('state', '=', 'pending')
        .execute()
    : undefined;
  let upserted = 0;
  for (let start = 0; start < rows.length; start += chunkSize) {
    const result = await trx
      .insertInto('reminders')
      .values(rows.slice(start, start + chunkSize))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({
            payload: sql`excluded.payload`,
            fire_at: sql`excluded.fire_at`,
            state: sql`'pending'`,
            // A notification written ahead is taken back (below) and written again.
            prepared: null,
            notification_id: null,
            updated_at: now,
          })
          // Only what has not fired; and only rows whose content or state changes, so an
          // unchanged window writes nothing.
          .where(sql<boolean>`reminders.state IN ('pending', 'cancelled')`)
          // Written ahead and its time come: it is in the inbox already, as it was.
          .where(sql<boolean>`NOT (reminders.prepared IS NOT NULL AND reminders.fire_at <= ${now})`)
          .where(
            sql<boolean>`(reminders.state = 'cancelled' OR reminders.payload IS DISTINCT FROM excluded.payload OR reminders.fire_at <> excluded.fire_at)`,
          ),
      )
      .executeTakeFirst();
    upserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  const ids = rows.map((row) => row.id);
  // Two statements with the anti-join at the top of each WHERE, not `NOT IN (…)` nor NOT EXISTS
  // under an OR: PostgreSQL then checks each row against the whole list, and at 100,000 people
  // that exceeded the 5 s statement timeout. Reminders of a dose (no parent) in the window that
  // are no longer listed; then follow-ups whose dose is no longer listed.
  // In scope: one array parameter each, whatever the number of people.
  const cancel = () => {
    let query = trx
      .updateTable('reminders')
      .set({ state: 'cancelled', prepared: null, notification_id: null, updated_at: now })
      .where('state', '=', 'pending')
      .where(sql<boolean>`NOT (prepared IS NOT NULL AND fire_at <= ${now})`);
    if (theirs) query = query.where(sql<boolean>`id = ANY(${theirs.map((row) => row.id)}::text[])`);
    if (except.size > 0) query = query.where(sql<boolean>`patient_user_id <> ALL(${[...except]}::uuid[])`);
    return query;
  };
  const unlisted = await cancel()
    .where('parent_id', 'is', null)
    .where('fire_at', '>=', window.from)
    .where('fire_at', '<', window.to)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM unnest(${ids}::text[]) AS l(id) WHERE l.id = reminders.id)`)
    .executeTakeFirst();
  const orphaned = await cancel()
    .where('parent_id', 'is not', null)
    .where('scheduled_at', '>=', window.from)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM unnest(${ids}::text[]) AS l(id) WHERE l.id = reminders.parent_id)`)
    .executeTakeFirst();
  const cancelled = { numUpdatedRows: unlisted.numUpdatedRows + orphaned.numUpdatedRows };
  // The notifications written ahead of the people in scope went to their reminders' recipients
  // (the patient, and caregivers for missed-dose alerts).
  const recipients = theirs && [...new Set(theirs.map((row) => row.recipient_user_id))];
  if (!recipients || recipients.length > 0) await withdrawUnfired(trx, schema, now, recipients);
  return { upserted, cancelled: Number(cancelled.numUpdatedRows) };
}

/**
 * A reminder was taken back while its time came: its live event, held until then, went out
 * before the change could withdraw it. The change's transaction must roll back; tried again, it
 * finds the reminder fired and leaves it as it was.
 */
export class ReminderFiredMeanwhileError extends Error {
  constructor(readonly count: number) {
    super(`${count} reminder(s) fell due and were published while being taken back`);
    this.name = 'ReminderFiredMeanwhileError';
  }
}

/**
 * Deletes the notifications written ahead (dated after `now`) whose reminder no longer points
 * at them — it was changed or cancelled before its time — with their delivery records and their
 * live events held in the outbox; none of them was shown or sent yet. Of some people's (by
 * recipient), or of everyone's. The held events go first, each under its row lock: one the outbox relay is
 * publishing at that moment (its time came while this transaction ran) is waited for and found
 * published, and then the whole change fails (`ReminderFiredMeanwhileError`) rather than cancel
 * a reminder that was delivered.
 */
export async function withdrawUnfired(
  trx: Kysely<NotificationTables>,
  schema: string,
  now: Date,
  userIds?: readonly string[],
): Promise<number> {
  const withdrawn = sql<boolean>`n.created_at > ${now} AND n.idempotency_key LIKE 'reminder:%'
    AND NOT EXISTS (SELECT 1 FROM ${sql.table(`${schema}.reminders`)} r
                    WHERE r.id = substr(n.idempotency_key, 10) AND r.notification_id = n.id)
    ${userIds === undefined ? sql`` : sql`AND n.user_id = ANY(${[...userIds]}::uuid[])`}`;
  const notifications = sql.table(`${schema}.notifications`);
  const outbox = sql.table(`${schema}.outbox`);
  await sql`
    DELETE FROM ${outbox} o USING ${notifications} n
    WHERE o.deliver_at IS NOT NULL AND o.published_at IS NULL AND o.event->>'subject' = n.id::text
      AND ${withdrawn}`.execute(trx);
  // A new statement, so a fresh snapshot: it sees what the relay committed while we waited.
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM ${outbox} o JOIN ${notifications} n ON o.event->>'subject' = n.id::text
    WHERE o.deliver_at IS NOT NULL AND ${withdrawn}`.execute(trx);
  const published = Number(rows[0]?.n ?? 0);
  if (published > 0) throw new ReminderFiredMeanwhileError(published);
  const result = await sql`DELETE FROM ${notifications} n WHERE ${withdrawn}`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** A row as a `StoredReminder`. */
export function storedReminderOf(row: {
  id: string;
  kind: string;
  recipient_user_id: string;
  patient_user_id: string;
  subject_id: string;
  parent_id: string | null;
  fire_at: Date;
  scheduled_at: Date;
  payload: ReminderPayload;
  state: ReminderStateName;
}): StoredReminder {
  return {
    id: row.id,
    kind: row.kind as ReminderKindName,
    recipientUserId: row.recipient_user_id,
    patientUserId: row.patient_user_id,
    subjectId: row.subject_id,
    parentId: row.parent_id,
    fireAt: new Date(row.fire_at),
    scheduledAt: new Date(row.scheduled_at),
    payload: row.payload,
    state: row.state,
  };
}

/** A person's reminders that fire in [from, to), soonest first: what GET /reminders shows. */
export async function upcomingReminders(
  db: Kysely<NotificationTables>,
  userId: string,
  from: Date,
  to: Date,
): Promise<StoredReminder[]> {
  const rows = await db
    .selectFrom('reminders')
    .selectAll()
    .where('recipient_user_id', '=', userId)
    .where('fire_at', '>=', from)
    .where('fire_at', '<', to)
    .where('state', 'in', ['pending', 'fired'])
    .orderBy('fire_at')
    .orderBy('id')
    .limit(500)
    .execute();
  return rows.map(storedReminderOf);
}
