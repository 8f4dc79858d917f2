/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl.DateTimeFormat`: the
 * platform's ICU data already knows every zone's rules, so no date library is needed.
 */

/** A calendar day, months 1–12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether `zone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `instantMs` in `zone`. */
export function wallClockOf(
  instantMs: number,
  zone: string,
): LocalDate & { hour: number; minute: number; second: number } {
  const fields: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? 0,
    month: fields.month ?? 0,
    day: fields.day ?? 0,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
}

/** Offset of `zone` from UTC at `instantMs`, in milliseconds (New York in winter: −5 h). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  const wall = wallClockOf(instantMs, zone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a local time of day falls on in `zone`. A time that occurs twice (fall back) gives
 * its first occurrence; a time that does not exist (spring forward) is moved forward by the gap,
 * so 02:30 on the day New York skips 02:00–03:00 gives 03:30 EDT.
 */
export function instantOfLocal(date: LocalDate, minuteOfDay: number, zone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  const day = 24 * 60 * 60 * 1000;
  // No zone changes its offset twice within two days, so the offsets a day either side are the
  // only candidates.
  const before = zoneOffsetMs(naive - day, zone);
  const after = zoneOffsetMs(naive + day, zone);
  const valid = [naive - before, naive - after].filter((instant) => zoneOffsetMs(instant, zone) + instant === naive);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: read the wall time with the offset in force before the change.
  return naive - before;
}

/** The local day `instantMs` falls on in `zone`. */
export function localDateOf(instantMs: number, zone: string): LocalDate {
  const { year, month, day } = wallClockOf(instantMs, zone);
  return { year, month, day };
}

/** "YYYY-MM-DD". */
export function formatLocalDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** Parses "YYYY-MM-DD", or undefined when it is not a real calendar day. */
export function parseLocalDate(text: string): LocalDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  return { year, month, day };
}

/** The day `days` after `date` (negative for before). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const probe = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: probe.getUTCFullYear(), month: probe.getUTCMonth() + 1, day: probe.getUTCDate() };
}

/** ISO weekday of a day: Monday 1 … Sunday 7. */
export function isoWeekday(date: LocalDate): number {
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** "HH:MM" of a minute of the day. */
export function formatMinuteOfDay(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}

/** Minute of the day of "HH:MM" (00:00–23:59), or undefined. */
export function parseMinuteOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}
