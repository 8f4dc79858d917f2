import ICAL from 'ical.js';
import { ValidationError, type FieldViolation } from '@tend/platform';
import type { Appointment } from '@tend/proto/tend/external/v1/external';
import type { AppointmentFields } from '../appointments/appointment-input.js';
import { appointmentEvent, fold } from '../calendar/icalendar.js';
import { instantOfLocal, isKnownTimeZone, localDateTimeOf } from '../local-dates.js';
import { InvalidRecurrenceError, readRule, ruleInZone, timeToWall, type Recurrence } from '../calendar/recurrence.js';

/** One VEVENT (with the moved or left-out occurrences of its series) read as an appointment. */
export interface ParsedEvent {
  uid: string;
  /** With `recurrence` null for a single visit, else the series' rule. */
  fields: AppointmentFields;
  /** The event's SEQUENCE (0 when it gives none): a larger one is a newer version. */
  sequence: number;
  /** The event's LAST-MODIFIED, when it gives one: among equal sequences, a later one is newer. */
  lastModified?: Date | undefined;
}

/** The appointments of an iCalendar text, and how many events were left out. */
export interface ParsedCalendar {
  events: ParsedEvent[];
  /** Events without a start, and moved occurrences of a series the text does not hold. */
  skipped: number;
}

/** An iCalendar text that cannot be read; `problems` say where, for the person or the server log. */
export class MalformedCalendarError extends Error {
  override name = 'MalformedCalendarError';
  constructor(
    readonly problems: string[],
    opts?: ErrorOptions,
  ) {
    super(`not a readable iCalendar: ${problems.join('; ')}`, opts);
  }

  /** As a 400 naming the field that carried the text. */
  toValidation(field: string): ValidationError {
    return new ValidationError(this.problems.map((message): FieldViolation => ({ field, message })));
  }
}

const limits = { title: 200, clinician: 200, location: 300 } as const;
/** "With Dr. Weber", as Tend writes DESCRIPTION, reads back as the clinician. */
const withClinician = /^With (.{1,200})$/;

/** One VEVENT's own reading, before a series and its moved occurrences are put together. */
interface ReadEvent extends ParsedEvent {
  where: string;
  recurrence?: Recurrence | undefined;
  /** The wall time (in the series' zone) of the occurrence this VEVENT replaces (RECURRENCE-ID). */
  recurrenceId?: ICAL.Time | undefined;
  recurrenceIdZone?: string | undefined;
  cancelled: boolean;
}

/**
 * Reads the VEVENTs of an RFC 5545 text (ical.js does the parsing and unfolding). Times with a
 * TZID that is an IANA zone are read in that zone, other TZIDs through the file's own VTIMEZONE,
 * UTC times as they are, floating times and all-day dates in `floatingZone`. A series (RRULE)
 * is one appointment that keeps its rule, its EXDATEs, and the VEVENTs with its UID and a
 * RECURRENCE-ID as moved (or, when CANCELLED, left-out) occurrences. Every problem in the text is
 * collected before anything is returned, so a caller writes all events or none.
 */
export function parseCalendar(text: string, floatingZone: string): ParsedCalendar {
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (error) {
    throw new MalformedCalendarError([error instanceof Error ? error.message : String(error)], { cause: error });
  }
  if (root.name !== 'vcalendar')
    throw new MalformedCalendarError([`expected VCALENDAR, found ${root.name.toUpperCase()}`]);
  for (const zone of root.getAllSubcomponents('vtimezone')) {
    const tz = new ICAL.Timezone(zone);
    if (tz.tzid && !ICAL.TimezoneService.has(tz.tzid)) ICAL.TimezoneService.register(tz);
  }
  const problems: string[] = [];
  const read: ReadEvent[] = [];
  let skipped = 0;
  root.getAllSubcomponents('vevent').forEach((component, index) => {
    const event = readEvent(component, `event ${index + 1}`, floatingZone, problems);
    if (event === 'skip') skipped += 1;
    else if (event) read.push(event);
  });
  const series = new Map<string, ReadEvent>();
  for (const event of read) {
    if (event.recurrenceId) continue;
    const earlier = series.get(event.uid);
    if (earlier) problems.push(`${event.where} (${event.uid}): UID is also ${earlier.where}'s`);
    else series.set(event.uid, event);
  }
  for (const exception of read) {
    if (!exception.recurrenceId) continue;
    const master = series.get(exception.uid);
    // A moved occurrence whose series is not in the text (an invitation to one instance).
    if (!master?.recurrence) {
      skipped += 1;
      continue;
    }
    const zone = master.recurrence.zone ?? master.fields.timeZone;
    const of = wallOf(exception.recurrenceId, exception.recurrenceIdZone, floatingZone, zone);
    if (!of) {
      problems.push(`${exception.where} (${exception.uid}): RECURRENCE-ID is not a time`);
      continue;
    }
    if (exception.cancelled) master.recurrence.exdates.push(of);
    else {
      master.recurrence.moved.push({
        of,
        startsAt: exception.fields.startsAt.toISOString(),
        endsAt: exception.fields.endsAt.toISOString(),
      });
    }
    master.sequence = Math.max(master.sequence, exception.sequence);
    if (exception.lastModified && (!master.lastModified || exception.lastModified > master.lastModified)) {
      master.lastModified = exception.lastModified;
    }
  }
  if (problems.length > 0) throw new MalformedCalendarError(problems);
  const events = [...series.values()].map(({ uid, fields, recurrence, sequence, lastModified }): ParsedEvent => ({
    uid,
    fields: { ...fields, recurrence: recurrence ?? null },
    sequence,
    lastModified,
  }));
  return { events, skipped };
}

/** One VEVENT; its problems are added to `problems`; 'skip' for an event without a start. */
function readEvent(
  component: ICAL.Component,
  where: string,
  floatingZone: string,
  problems: string[],
): ReadEvent | 'skip' | undefined {
  const event = new ICAL.Event(component);
  const start = event.startDate as ICAL.Time | null;
  if (!start) return 'skip';
  const uid = event.uid ?? '';
  if (uid === '') problems.push(`${where} has no UID`);
  const title = (event.summary ?? '').trim() || 'Appointment';
  const location = (event.location ?? '').trim();
  const description = (event.description ?? '').trim();
  const clinician = withClinician.exec(description)?.[1] ?? '';
  for (const [field, value] of [
    ['SUMMARY', title],
    ['LOCATION', location],
  ] as const) {
    const limit = field === 'SUMMARY' ? limits.title : limits.location;
    if (value.length > limit) problems.push(`${where} (${uid}): ${field} is longer than ${limit} characters`);
  }
  const tzidOf = (name: string) => {
    const tzid = component.getFirstProperty(name)?.getParameter('tzid');
    return typeof tzid === 'string' ? tzid : undefined;
  };
  const startZone = tzidOf('dtstart');
  const timeZone = startZone && isKnownTimeZone(startZone) ? startZone : floatingZone;
  const startsAt = instantOf(start, startZone, floatingZone);
  const end = (event.endDate as ICAL.Time | null) ?? undefined;
  // With DURATION instead of DTEND, ical.js computes the end in the start's zone.
  let endsAt = end ? instantOf(end, tzidOf('dtend') ?? startZone, floatingZone) : undefined;
  if (startsAt && (!endsAt || endsAt.getTime() === startsAt.getTime())) {
    // No DTEND/DURATION: a day for a date, an hour (Tend's default) for a time.
    endsAt = new Date(startsAt.getTime() + (start.isDate ? 86_400_000 : 3_600_000));
  }
  if (!startsAt) problems.push(`${where} (${uid}): DTSTART is not a time`);
  else if (!endsAt) problems.push(`${where} (${uid}): DTEND is not a time`);
  else if (endsAt.getTime() < startsAt.getTime()) problems.push(`${where} (${uid}): DTEND is before DTSTART`);
  if (!startsAt || !endsAt || endsAt < startsAt || uid === '') return undefined;
  const fields: AppointmentFields = { title, clinician, location, startsAt, endsAt, timeZone, notes: '' };
  const modified = component.getFirstPropertyValue('last-modified');
  const lastModified = modified instanceof ICAL.Time ? modified.toJSDate() : undefined;
  const recurrenceId = event.isRecurrenceException() ? event.recurrenceId : undefined;
  const sequence = Number.isInteger(event.sequence) && event.sequence > 0 ? event.sequence : 0;
  const base = {
    where,
    uid,
    fields,
    sequence,
    lastModified: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : undefined,
    recurrenceId,
    recurrenceIdZone: tzidOf('recurrence-id'),
    cancelled: String(component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED',
  };
  if (recurrenceId || !event.isRecurring()) return base;
  const recurrence = readRecurrence(component, { start, startZone, startsAt, timeZone, floatingZone });
  if (typeof recurrence === 'string') {
    problems.push(`${where} (${uid}): ${recurrence}`);
    return undefined;
  }
  return { ...base, recurrence };
}

/** A master VEVENT's RRULE and EXDATEs, or why they cannot be read. */
function readRecurrence(
  component: ICAL.Component,
  at: { start: ICAL.Time; startZone: string | undefined; startsAt: Date; timeZone: string; floatingZone: string },
): Recurrence | string {
  const rules = component.getAllProperties('rrule');
  if (rules.length === 0) return 'RDATE without RRULE is not supported';
  if (rules.length > 1) return 'more than one RRULE is not supported';
  // A series at a UTC time repeats in UTC (RFC 5545 §3.3.10), whatever zone shows it.
  const utcStart = !at.start.isDate && (at.start.zone === ICAL.Timezone.utcTimezone || at.startZone === 'UTC');
  const zone = utcStart ? 'UTC' : at.timeZone;
  let rrule: string;
  try {
    const value = rules[0]!.getFirstValue();
    const text = value instanceof ICAL.Recur ? value.toString() : String(value);
    rrule = ruleInZone(readRule(text), zone);
  } catch (error) {
    return error instanceof InvalidRecurrenceError ? error.message : 'RRULE is not a recurrence rule';
  }
  const exdates: string[] = [];
  for (const property of component.getAllProperties('exdate')) {
    const tzid = property.getParameter('tzid');
    for (const value of property.getValues()) {
      if (!(value instanceof ICAL.Time)) return 'EXDATE is not a time';
      const wall = wallOf(value, typeof tzid === 'string' ? tzid : undefined, at.floatingZone, zone);
      if (!wall) return 'EXDATE is not a time';
      exdates.push(wall);
    }
  }
  return { rrule, exdates, moved: [], ...(zone === at.timeZone ? {} : { zone }) };
}

/** The wall time in `zone` of an iCalendar time (a date stays that date, at midnight). */
function wallOf(time: ICAL.Time, tzid: string | undefined, floatingZone: string, zone: string): string | undefined {
  if (time.isDate) return timeToWall(time);
  const instant = instantOf(time, tzid, floatingZone);
  return instant && localDateTimeOf(instant, zone);
}

/** The instant of an iCalendar time: UTC as is, an IANA TZID by our zone rules, others by their VTIMEZONE. */
function instantOf(time: ICAL.Time, tzid: string | undefined, floatingZone: string): Date | undefined {
  const wall = `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}T${pad(time.hour)}:${pad(time.minute)}`;
  if (time.isDate) return instantOfLocal(`${wall.slice(0, 10)}T00:00`, floatingZone);
  if (time.zone === ICAL.Timezone.utcTimezone || tzid === 'Z' || tzid === 'UTC') {
    const date = time.toJSDate();
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (tzid && isKnownTimeZone(tzid)) return instantOfLocal(wall, tzid);
  if (tzid && ICAL.TimezoneService.has(tzid)) {
    const date = time.toJSDate();
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return instantOfLocal(wall, floatingZone);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The UID Tend gives an appointment's calendar object, so a re-sync finds it again. */
export function uidOf(appointmentId: string): string {
  return `${appointmentId}@tend`;
}

/** The appointment id inside a UID Tend wrote, if it is one. */
export function appointmentIdOfUid(uid: string): string | undefined {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@tend$/i.exec(uid);
  return match?.[1]?.toLowerCase();
}

/** One appointment as a calendar object: a VCALENDAR with its single VEVENT (RFC 4791 §4.1). */
export function appointmentObject(appointment: Appointment, now: Date, recurrence?: Recurrence): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tend//Appointments//EN',
    'CALSCALE:GREGORIAN',
    ...appointmentEvent(appointment, { now, host: 'tend', recurrence }),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
