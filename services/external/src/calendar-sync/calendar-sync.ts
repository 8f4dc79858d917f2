import { create } from '@bufbuild/protobuf';
import { UnavailableError, type Clock, type Logger, type SchemaDatabase } from '@tend/platform';
import { SyncCountsSchema, type Appointment, type SyncCounts } from '@tend/proto/tend/external/v1/external';
import type { AppointmentBatch, AppointmentStore } from '../appointments/appointment-store.js';
import type { Transaction } from 'kysely';
import type { ExternalTables } from '../db/tables.js';
import {
  CalDavCalendar,
  CalendarServerError,
  PreconditionFailedError,
  type CalDavCredentials,
} from './caldav-calendar.js';
import type { CalendarConnections, CalendarLink } from './calendar-connections.js';
import type { Recurrence } from '../calendar/recurrence.js';
import { lockCalendarWrites, matchOf, sourceOf } from './ics-import.js';
import {
  MalformedCalendarError,
  appointmentIdOfUid,
  appointmentObject,
  parseCalendar,
  type ParsedEvent,
} from './ics-events.js';

/** What a sync needs. */
export interface CalendarSyncDeps {
  db: SchemaDatabase<ExternalTables>;
  appointments: AppointmentStore;
  connections: CalendarConnections;
  clock: Clock;
  logger: Logger;
  /** Opens the calendar of a stored connection. @default CalDavCalendar.at */
  open?: (calendarUrl: string, credentials: CalDavCredentials) => CalDavCalendar;
  /**
   * How long a sync holds its person's lease; a sync still running then writes nothing on Tend's
   * side (its final transaction checks it still owns the lease). @default 600_000 (10 min)
   */
  leaseMs?: number;
}

/** Conditional writes to the calendar server at once (a sync of many changes is not one by one). */
const writesAtOnce = 6;

/** Runs `tasks` with at most `limit` at a time; the first failure fails the sync. */
async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** A remote object read and understood: one event, or one Tend leaves alone. */
type Remote = { href: string; etag: string; event: ParsedEvent | undefined };

/**
 * Two-way sync of a person's appointments with their CalDAV calendar, by ETag on the server's
 * side and the appointment's sequence on Tend's: each link remembers both as of the last sync,
 * so a side whose version moved has changed. The calendar's side is read and parsed completely
 * before anything is written, so a server that answers garbage changes nothing; then the server
 * is written with conditional requests (If-Match, If-None-Match), and Tend's side, the links and
 * the status in one transaction.
 *
 * Rules: changed on one side → copied to the other; changed on both → the calendar's version
 * wins (its ETag is the newer truth a person edited on a device) and counts as a conflict;
 * deleted on one side → deleted on the other, unless the other side changed since, in which
 * case the changed copy is kept and sent back. A conditional write that loses (412) leaves the
 * link as it was, so the next sync sees the change and settles it.
 */
export class CalendarSync {
  readonly #running = new Map<string, Promise<SyncCounts>>();

  constructor(private readonly deps: CalendarSyncDeps) {}

  /**
   * Syncs one person's calendar; a sync already running for them here is joined, not repeated,
   * and one running on another instance (it holds the person's lease) makes this one fail with
   * {@link SyncBusyError} before anything is read or written.
   */
  async sync(userId: string): Promise<SyncCounts> {
    const running = this.#running.get(userId);
    if (running) return running;
    const work = this.#sync(userId).finally(() => this.#running.delete(userId));
    this.#running.set(userId, work);
    return work;
  }

  async #sync(userId: string): Promise<SyncCounts> {
    const { connections } = this.deps;
    const connection = await connections.open(userId);
    const owner = crypto.randomUUID();
    if (!(await connections.takeLease(userId, owner, this.deps.leaseMs ?? 600_000))) throw new SyncBusyError();
    try {
      return await this.#run(userId, connection.calendarUrl, connection.credentials, owner);
    } catch (error) {
      if (error instanceof SyncBusyError) throw error;
      if (error instanceof CalendarServerError || error instanceof MalformedCalendarError) {
        await connections.recordFailure(userId, error.message);
        throw new UnavailableError('calendar server', `calendar sync failed: ${error.message}`, { cause: error });
      }
      await connections.recordFailure(userId, error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      await connections.releaseLease(userId, owner);
    }
  }

  async #run(userId: string, calendarUrl: string, credentials: CalDavCredentials, owner: string): Promise<SyncCounts> {
    const { appointments, connections, clock } = this.deps;
    const calendar = (this.deps.open ?? CalDavCalendar.at)(calendarUrl, credentials);
    const counts = create(SyncCountsSchema, {});
    const series = await appointments.recurrences(userId);

    // 1. Read both sides; the calendar completely, before any write.
    const etags = await calendar.etags();
    const links = await connections.links(userId);
    const linkByHref = new Map(links.map((link) => [link.href, link]));
    const local = new Map((await appointments.all(userId)).map((a) => [a.id, a]));
    const toRead = [...etags].filter(([href, etag]) => linkByHref.get(href)?.etag !== etag).map(([href]) => href);
    const remote = new Map<string, Remote>();
    for (const object of await calendar.objects(toRead)) {
      const parsed = parseCalendar(object.ics, 'UTC');
      const [event] = parsed.events;
      const usable = parsed.events.length === 1 && parsed.skipped === 0 ? event : undefined;
      remote.set(object.href, { href: object.href, etag: object.etag, event: usable });
    }

    // 2. Plan and write the calendar's side.
    const batch: AppointmentBatch = { create: [], update: [], delete: [] };
    /** Links to store once Tend's side is written; `sequence` -1 means "the batch's new one". */
    const nextLinks = new Map<string, CalendarLink>();
    const removedLinks: string[] = [];
    const fromRemote = (id: string, r: Remote, exists: boolean) => {
      if (!r.event) return false;
      const source = sourceOf(r.event);
      if (exists) batch.update.push({ id, fields: r.event.fields, source });
      else batch.create.push({ id, fields: r.event.fields, source });
      nextLinks.set(id, { appointment_id: id, href: r.href, etag: r.etag, sequence: -1 });
      return true;
    };
    const linkedIds = new Set<string>();
    const byUid = new Map([...local.values()].flatMap((a) => (a.uid ? [[a.uid, a.id] as const] : [])));
    /** The calendar's writes, run a few at once once all are planned. */
    const writes: (() => Promise<void>)[] = [];
    for (const link of links) {
      linkedIds.add(link.appointment_id);
      const etag = etags.get(link.href);
      const here = local.get(link.appointment_id);
      const changedThere = etag !== undefined && etag !== link.etag;
      const changedHere = here !== undefined && here.sequence !== link.sequence;
      if (etag === undefined && !here) {
        removedLinks.push(link.appointment_id);
      } else if (etag === undefined && here) {
        if (changedHere) {
          // Deleted there but changed here since: the changed copy goes back.
          counts.conflicts += 1;
          writes.push(() =>
            this.#export(calendar, here, link.href, undefined, nextLinks, counts, series, removedLinks),
          );
        } else {
          batch.delete.push(here.id);
          removedLinks.push(link.appointment_id);
          counts.deletedHere += 1;
        }
      } else if (!here) {
        const r = remote.get(link.href);
        if (changedThere && r && fromRemote(link.appointment_id, r, false)) {
          // Deleted here but changed there since: the calendar's copy comes back.
          counts.conflicts += 1;
          counts.imported += 1;
        } else if (!changedThere) {
          writes.push(async () => {
            try {
              await calendar.remove(link.href, link.etag);
              removedLinks.push(link.appointment_id);
              counts.deletedThere += 1;
            } catch (error) {
              if (!(error instanceof PreconditionFailedError)) throw error;
              counts.conflicts += 1;
            }
          });
        }
      } else if (changedThere) {
        const r = remote.get(link.href);
        if (r && fromRemote(here.id, r, true)) {
          counts.updatedHere += 1;
          if (changedHere) counts.conflicts += 1;
        } else {
          counts.skipped += 1;
        }
      } else if (changedHere) {
        writes.push(() => this.#export(calendar, here, link.href, link.etag, nextLinks, counts, series));
      }
    }
    const newUids = new Set<string>();
    for (const [href, r] of remote) {
      if (linkByHref.has(href)) continue;
      if (!r.event) {
        counts.skipped += 1;
        continue;
      }
      // An object Tend wrote whose link was lost (a sync that failed after writing the server),
      // or an event an import brought in before (the same UID): linked, not added again.
      const ours = appointmentIdOfUid(r.event.uid) ?? byUid.get(r.event.uid);
      // A second object with a UID already here (a copy on the server) is left alone.
      if ((ours && linkedIds.has(ours)) || newUids.has(r.event.uid)) {
        counts.skipped += 1;
        continue;
      }
      if (ours) {
        linkedIds.add(ours);
        fromRemote(ours, r, local.has(ours));
        if (local.has(ours)) counts.updatedHere += 1;
        else counts.imported += 1;
        continue;
      }
      newUids.add(r.event.uid);
      fromRemote(crypto.randomUUID(), r, false);
      counts.imported += 1;
    }
    for (const here of local.values()) {
      if (linkedIds.has(here.id)) continue;
      const href = new URL(`${here.id}.ics`, calendarUrl).href;
      writes.push(() => this.#export(calendar, here, href, undefined, nextLinks, counts, series));
    }
    await inParallel(writes, writesAtOnce);

    // 3. Tend's side, the links and the status: one transaction.
    await this.deps.db.transaction(
      async (trx) => {
        await lockCalendarWrites(trx, userId);
        await adoptImported(trx, appointments, userId, batch, nextLinks);
        const written = await appointments.applyBatch(trx, userId, batch);
        const sequences = new Map<string, number>();
        for (const a of [...written.created, ...written.updated]) sequences.set(a.id, a.sequence);
        const upserts = [...nextLinks.values()].flatMap((link) => {
          if (link.sequence !== -1) return [link];
          const sequence = sequences.get(link.appointment_id);
          return sequence === undefined ? [] : [{ ...link, sequence }];
        });
        if (!(await connections.saveLinks(trx, userId, upserts, removedLinks, owner))) throw new SyncBusyError();
        // The person reads their own writes next (replicas may lag behind this commit).
      },
      { consistencyKey: userId },
    );
    this.deps.logger.info({ userId, counts: { ...counts, $typeName: undefined }, at: clock.now() }, 'calendar synced');
    return counts;
  }

  /** Puts an appointment on the calendar (create when `etag` is undefined, else replace). */
  async #export(
    calendar: CalDavCalendar,
    here: Appointment,
    href: string,
    etag: string | undefined,
    nextLinks: Map<string, CalendarLink>,
    counts: SyncCounts,
    series: ReadonlyMap<string, Recurrence>,
    removedLinks?: string[],
  ): Promise<void> {
    try {
      const object = appointmentObject(here, this.deps.clock.now(), series.get(here.id));
      const written = await calendar.put(href, object, etag);
      nextLinks.set(here.id, { appointment_id: here.id, href, etag: written, sequence: here.sequence });
      if (etag === undefined) counts.exported += 1;
      else counts.updatedThere += 1;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      // Changed (or created) there meanwhile: the next sync reads it and settles.
      counts.conflicts += 1;
      removedLinks?.push(here.id);
    }
  }
}

/** Another instance is syncing this person's calendar now (it holds the lease); try again shortly. */
export class SyncBusyError extends UnavailableError {
  override name = 'SyncBusyError';
  constructor() {
    super('calendar sync', 'this calendar is being synced right now; try again in a moment');
  }
}

/**
 * Turns the batch's new appointments whose UID one already has (an import that committed while
 * this sync read the calendar) into updates of it, so a sync never adds an event twice.
 */
async function adoptImported(
  trx: Transaction<ExternalTables>,
  appointments: AppointmentStore,
  userId: string,
  batch: AppointmentBatch,
  nextLinks: Map<string, CalendarLink>,
): Promise<void> {
  const uids = batch.create.flatMap((c) => (c.source ? [c.source.uid] : []));
  if (uids.length === 0) return;
  const stored = await appointments.sources(trx, userId, { uids, ids: [] });
  if (stored.length === 0) return;
  batch.create = batch.create.filter((c) => {
    const match = c.source && matchOf(c.source, stored);
    if (!match || !c.id) return true;
    batch.update.push({ id: match.id, fields: c.fields, source: c.source });
    const link = nextLinks.get(c.id);
    nextLinks.delete(c.id);
    if (link) nextLinks.set(match.id, { ...link, appointment_id: match.id });
    return false;
  });
}
