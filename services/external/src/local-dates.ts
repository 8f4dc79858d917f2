import {
  formatLocalDate,
  formatMinuteOfDay,
  instantOfLocal as instantOfLocalTime,
  localDateOf as localDayOf,
  parseLocalDate,
  parseMinuteOfDay,
  wallClockOf,
} from '@tend/core';

// The external service speaks in local texts (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`) at its edges;
// these read and write them over the platform's one time-zone module.
export { isKnownTimeZone } from '@tend/core';

/** The calendar day (`YYYY-MM-DD`) an instant falls on in an IANA zone. */
export function localDateOf(instant: Date, timeZone: string): string {
  return formatLocalDate(localDayOf(instant.getTime(), timeZone));
}

/** The wall-clock time `YYYY-MM-DDTHH:MM` of an instant in a zone. */
export function localDateTimeOf(instant: Date, timeZone: string): string {
  const wall = wallClockOf(instant.getTime(), timeZone);
  return `${formatLocalDate(wall)}T${formatMinuteOfDay(wall.hour * 60 + wall.minute)}`;
}

/**
 * The instant of a local wall time in a zone, or undefined when the text is not
 * `YYYY-MM-DDTHH:MM` or names no real day. A time skipped by a spring-forward change moves
 * forward by the gap; a time that occurs twice gives the first occurrence.
 */
export function instantOfLocal(local: string, timeZone: string): Date | undefined {
  const [dateText = '', timeText = '', rest] = local.split('T');
  if (rest !== undefined) return undefined;
  const date = parseLocalDate(dateText);
  const minuteOfDay = parseMinuteOfDay(timeText);
  if (!date || minuteOfDay === undefined) return undefined;
  return new Date(instantOfLocalTime(date, minuteOfDay, timeZone));
}
