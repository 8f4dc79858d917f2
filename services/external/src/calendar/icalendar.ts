import type { Appointment } from '@tend/proto/tend/external/v1/external';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { localDateTimeOf } from '../local-dates.js';
import { recurrenceLines, utcText, zonedText, type Recurrence } from './recurrence.js';

/**
 * Writes an RFC 5545 calendar: CRLF line ends, lines folded at 75 octets, TEXT values escaped
 * (§3.3.11), times in UTC (`…Z`, §3.3.5 form 2, so no VTIMEZONE is needed and every client
 * shows them in its own zone). Each appointment is a VEVENT whose UID stays the same across
 * changes and whose SEQUENCE grows, so subscribed calendars update it in place; two VALARMs
 * remind the day before and an hour before. Notes stay out: the feed URL is a bearer secret
 * that calendar apps store and sync, and notes are the sensitive part.
 */
export function appointmentsCalendar(
  appointments: readonly Appointment[],
  options: { name: string; now: Date; host?: string; series?: ReadonlyMap<string, Recurrence> },
): string {
  const host = options.host ?? 'tend';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tend//Appointments//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(options.name)}`,
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  for (const a of appointments) {
    lines.push(...appointmentEvent(a, { now: options.now, host, recurrence: options.series?.get(a.id) }));
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}

/**
 * One appointment as VEVENT lines (unfolded): the UID stays the calendar event's own (or
 * `<id>@<host>` for one made in Tend) across changes and the SEQUENCE grows, so calendars update
 * it in place; two VALARMs remind the day before and an hour before. A series carries its RRULE
 * and EXDATEs, and each moved occurrence follows as a VEVENT with the same UID and a
 * RECURRENCE-ID (RFC 5545 §3.8.4.4). The feed and CalDAV sync both write appointments this way.
 */
export function appointmentEvent(
  a: Appointment,
  options: { now: Date; host: string; recurrence?: Recurrence | undefined },
): string[] {
  const uid = a.uid || `${a.id}@${options.host}`;
  const recurrence = options.recurrence;
  if (!recurrence) {
    return eventLines(a, uid, options.now, utcTimes(timestampDate(a.startsAt!), timestampDate(a.endsAt!)), []);
  }
  // A series in its zone's wall times, so it repeats by that clock across daylight-saving changes.
  const zone = recurrence.zone ?? a.timeZone;
  const startsAt = timestampDate(a.startsAt!);
  const endsAt = timestampDate(a.endsAt!);
  const series = { startsAt, endsAt, timeZone: a.timeZone, recurrence };
  const zoned = (d: Date) => zonedText(localDateTimeOf(d, zone), zone);
  const lines = eventLines(
    a,
    uid,
    options.now,
    [`DTSTART${zoned(startsAt)}`, `DTEND${zoned(endsAt)}`],
    recurrenceLines(series),
  );
  for (const moved of recurrence.moved) {
    lines.push(
      ...eventLines(a, uid, options.now, utcTimes(new Date(moved.startsAt), new Date(moved.endsAt)), [
        `RECURRENCE-ID${zonedText(moved.of, zone)}`,
      ]),
    );
  }
  return lines;
}

function utcTimes(startsAt: Date, endsAt: Date): string[] {
  return [`DTSTART:${utc(startsAt)}`, `DTEND:${utc(endsAt)}`];
}

function eventLines(a: Appointment, uid: string, now: Date, times: string[], extra: string[]): string[] {
  const lines = ['BEGIN:VEVENT', `UID:${escapeText(uid)}`, `DTSTAMP:${utc(now)}`, ...times, ...extra];
  lines.push(`SUMMARY:${escapeText(a.title)}`);
  if (a.location) lines.push(`LOCATION:${escapeText(a.location)}`);
  if (a.clinician) lines.push(`DESCRIPTION:${escapeText(`With ${a.clinician}`)}`);
  if (a.updatedAt) lines.push(`LAST-MODIFIED:${utc(timestampDate(a.updatedAt))}`);
  lines.push(`SEQUENCE:${a.sequence}`, 'STATUS:CONFIRMED');
  for (const trigger of ['-P1D', '-PT1H']) {
    lines.push(
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      `DESCRIPTION:${escapeText(a.title)}`,
      `TRIGGER:${trigger}`,
      'END:VALARM',
    );
  }
  lines.push('END:VEVENT');
  return lines;
}

/** `20260703T130000Z`. */
const utc = utcText;

/** RFC 5545 §3.3.11: backslash, semicolon, comma and newline are escaped. */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** RFC 5545 §3.1: lines longer than 75 octets continue on the next line after CRLF and a space. */
export function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  const limit = () => (parts.length === 0 ? 75 : 74);
  for (const char of line) {
    const n = Buffer.byteLength(char, 'utf8');
    if (size + n > limit()) {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += char;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
