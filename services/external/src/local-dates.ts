const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar day (`YYYY-MM-DD`) an instant falls on in an IANA zone, with the runtime's own
 * zone data; an unknown zone is a `RangeError` from Intl.
 */
export function localDateOf(instant: Date, timeZone: string): string {
  let formatter = dayFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  return formatter.format(instant);
}

/** Whether `zone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const wallFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time `YYYY-MM-DDTHH:MM` of an instant in a zone. */
export function localDateTimeOf(instant: Date, timeZone: string): string {
  let formatter = wallFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    wallFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

const localPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/**
 * The instant of a local wall time in a zone, or undefined when the text is not
 * `YYYY-MM-DDTHH:MM` or names no real day. A time skipped by a spring-forward change moves
 * forward by the gap; a time that occurs twice gives the first occurrence.
 */
export function instantOfLocal(local: string, timeZone: string): Date | undefined {
  const m = localPattern.exec(local);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59) return undefined;
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  const check = new Date(naive);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  // The zone's offset a day either side are the only candidates (no zone changes twice in two days).
  const candidates = [offsetMs(naive - 86_400_000, timeZone), offsetMs(naive + 86_400_000, timeZone)];
  for (const offset of candidates.sort((a, b) => b - a)) {
    const instant = new Date(naive - offset);
    if (localDateTimeOf(instant, timeZone) === local) return instant;
  }
  // Skipped by a spring-forward change: the larger offset moves it forward by the gap.
  return new Date(naive - Math.min(...candidates));
}

function offsetMs(instantMs: number, timeZone: string): number {
  const wall = localDateTimeOf(new Date(instantMs), timeZone);
  const m = localPattern.exec(wall)!;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi) - Math.floor(instantMs / 60_000) * 60_000;
}
