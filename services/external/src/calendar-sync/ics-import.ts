import { sql, type Transaction } from 'kysely';
import type { Appointment } from '@tend/proto/tend/external/v1/external';
import type {
  AppointmentBatch,
  AppointmentStore,
  EventSource,
  StoredSource,
} from '../appointments/appointment-store.js';
import type { ExternalTables } from '../db/tables.js';
import { appointmentIdOfUid, type ParsedEvent } from './ics-events.js';

/** What an import wrote. */
export interface ImportResult {
  created: Appointment[];
  updated: Appointment[];
  /** Events whose appointment already holds this version or a newer one. */
  unchanged: number;
}

/**
 * Holds, until the transaction ends, the right to write a person's calendar-sourced appointments
 * (an import, a sync's write): two of them deciding "new UID, create it" at once would otherwise
 * both create it. A transaction-scoped advisory lock, as it lasts only for the few statements of
 * the write and is released by commit or rollback.
 */
export async function lockCalendarWrites(trx: Transaction<ExternalTables>, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`tend.external.calendar:${userId}`}, 0))`.execute(trx);
}

/** The source an event's appointment keeps: none for Tend's own UID (its id is its identity). */
export function sourceOf(event: ParsedEvent): EventSource | undefined {
  if (appointmentIdOfUid(event.uid)) return undefined;
  return { uid: event.uid, sequence: event.sequence, lastModified: event.lastModified };
}

/**
 * Whether an incoming version of an event is newer than the one stored (RFC 5545 §3.8.7.4): a
 * larger SEQUENCE is; with equal sequences, a later LAST-MODIFIED is. The same version again, or
 * an older one, leaves the stored appointment as it is.
 */
export function isNewerVersion(
  incoming: { sequence: number; lastModified?: Date | undefined },
  stored: { sequence: number; lastModified?: Date | undefined },
): boolean {
  if (incoming.sequence !== stored.sequence) return incoming.sequence > stored.sequence;
  if (!incoming.lastModified) return false;
  return !stored.lastModified || incoming.lastModified.getTime() > stored.lastModified.getTime();
}

/** The stored appointment an event is a version of: the same UID, or Tend's own UID's id. */
export function matchOf(event: { uid: string }, stored: readonly StoredSource[]): StoredSource | undefined {
  const ownId = appointmentIdOfUid(event.uid);
  return stored.find((s) => (ownId ? s.id === ownId : s.uid === event.uid));
}

/**
 * Writes an .ics file's events as a person's appointments inside one transaction: an event
 * whose UID an appointment already has updates it when the event is a newer version and is
 * otherwise left alone, so importing a file twice, or one a CalDAV sync brought in, adds nothing.
 * Anything that fails rolls the whole import back.
 */
export async function importEvents(
  trx: Transaction<ExternalTables>,
  store: AppointmentStore,
  userId: string,
  events: readonly ParsedEvent[],
): Promise<ImportResult> {
  await lockCalendarWrites(trx, userId);
  const stored = await store.sources(trx, userId, {
    uids: events.map((e) => e.uid),
    ids: events.flatMap((e) => appointmentIdOfUid(e.uid) ?? []),
  });
  const batch: AppointmentBatch = { create: [], update: [], delete: [] };
  let unchanged = 0;
  for (const event of events) {
    const match = matchOf(event, stored);
    if (!match) batch.create.push({ fields: event.fields, source: sourceOf(event) });
    else if (isNewerVersion(event, match))
      batch.update.push({ id: match.id, fields: event.fields, source: sourceOf(event) });
    else unchanged += 1;
  }
  const written = await store.applyBatch(trx, userId, batch);
  return { ...written, unchanged };
}
