import ICAL from 'ical.js';
import { ValidationError, type FieldViolation } from '@tend/core';
import type { Appointment } from '@tend/proto/tend/external/v1/external';
import type { AppointmentFields } from '../appointments/appointment-input.js';
import { appointmentEvent, fold } from '../calendar/icalendar.js';
import { instantOfLocal, isKnownTimeZone } from '../local-dates.js';

/** One VEVENT read as an appointment. */
export interface ParsedEvent {
  uid: string;
  fields: AppointmentFields;
}

/** The appointments of an iCalendar text, and how many events were left out. */
export interface ParsedCalendar {
  events: ParsedEvent[];
  /** Recurring series (a Tend appointment is one visit) and events without a start. */
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

/**
 * Reads the VEVENTs of an RFC 5545 text (ical.js does the parsing and unfolding). Times with a
 * TZID that is an IANA zone are read in that zone, other TZIDs through the file's own VTIMEZONE,
 * UTC times as they are, floating times and all-day dates in `floatingZone`. Every problem in
 * the text is collected before anything is returned, so a caller writes all events or none.
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
  const events: ParsedEvent[] = [];
  let skipped = 0;
  const vevents = root.getAllSubcomponents('vevent');
  vevents.forEach((component, index) => {
    const where = `event ${index + 1}`;
    const event = new ICAL.Event(component);
    // An exception to a series (RECURRENCE-ID) or a series itself is not one visit.
    if (event.isRecurring() || event.isRecurrenceException()) {
      skipped += 1;
      return;
    }
    const start = event.startDate as ICAL.Time | null;
    if (!start) {
      skipped += 1;
      return;
    }
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
    if (!startsAt || !endsAt || endsAt < startsAt || uid === '') return;
    events.push({
      uid,
      fields: { title, clinician, location, startsAt, endsAt, timeZone, notes: '' },
    });
  });
  if (problems.length > 0) throw new MalformedCalendarError(problems);
  return { events, skipped };
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
export function appointmentObject(appointment: Appointment, now: Date): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tend//Appointments//EN',
    'CALSCALE:GREGORIAN',
    ...appointmentEvent(appointment, { now, host: 'tend' }),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
