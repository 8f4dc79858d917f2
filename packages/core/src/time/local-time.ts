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

const dayMs = 24 * 60 * 60 * 1000;
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

/** `instantOfLocal`'s answers, oldest first; a zone's rules do not change while the process runs. */
const knownLocalInstants = new Map<string, number>();
const maxKnownLocalInstants = 50_000;

/**
 * The instant a local time of day falls on in `zone`. A time that occurs twice (fall back) gives
 * its first occurrence; a time that does not exist (spring forward) is moved forward by the gap,
 * so 02:30 on the day New York skips 02:00–03:00 gives 03:30 EDT.
 */
export function instantOfLocal(date: LocalDate, minuteOfDay: number, zone: string): number {
  // Each answer costs about five Intl calls, and the same few are asked again and again: every
  // summary of a month in a zone asks for the same 31 local midnights.
  const key = `${zone} ${date.year}-${date.month}-${date.day} ${minuteOfDay}`;
  let instant = knownLocalInstants.get(key);
  if (instant === undefined) {
    instant = computeInstantOfLocal(date, minuteOfDay, zone);
    if (knownLocalInstants.size >= maxKnownLocalInstants) {
      knownLocalInstants.delete(knownLocalInstants.keys().next().value!);
    }
    knownLocalInstants.set(key, instant);
  }
  return instant;
}

function computeInstantOfLocal(date: LocalDate, minuteOfDay: number, zone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  // No zone changes its offset twice within two days, so the offsets a day either side are the
  // only candidates.
  const before = zoneOffsetMs(naive - dayMs, zone);
  const after = zoneOffsetMs(naive + dayMs, zone);
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

/**
 * `formatLocalDate(localDateOf(t, zone))` for many instants, at a fraction of the cost: asking
 * Intl for one instant's wall clock costs microseconds, which a summary over a glucose monitor's
 * thousands of readings paid per reading. The zone's offset stays the same between its changes,
 * so once it is known to hold over a stretch of time, the local date of any instant in that
 * stretch is plain arithmetic. Fastest on instants in time order; correct in any order.
 */
export function localDateFormatter(zone: string): (instantMs: number) => string {
  // Every instant in [steadyFrom, steadyTo] has offset `offset`.
  let steadyFrom = Infinity;
  let steadyTo = -Infinity;
  let offset = 0;
  let previous = NaN;
  let memoDay = NaN;
  let memoText = '';
  return (instantMs) => {
    if (!(instantMs >= steadyFrom && instantMs <= steadyTo)) {
      offset = zoneOffsetMs(instantMs, zone);
      steadyFrom = instantMs;
      // Sparse instants gain nothing from a stretch: each would pay for it and use it once.
      steadyTo = Math.abs(instantMs - previous) <= dayMs ? steadyUntil(instantMs, offset, zone) : instantMs;
    }
    previous = instantMs;
    // Offsets are whole seconds, so this is the day of the wall clock Intl would show.
    const day = Math.floor((instantMs + offset) / dayMs);
    if (day !== memoDay) {
      const midnight = new Date(day * dayMs);
      memoDay = day;
      memoText = formatLocalDate({
        year: midnight.getUTCFullYear(),
        month: midnight.getUTCMonth() + 1,
        day: midnight.getUTCDate(),
      });
    }
    return memoText;
  };
}

/**
 * The last instant of the day after `instantMs` that still has `offset` in `zone`. As in
 * `instantOfLocal`, no zone changes its offset twice within two days: the same offset a day later
 * means it held all day, and a different one means exactly one change, found by bisection.
 */
function steadyUntil(instantMs: number, offset: number, zone: string): number {
  let steady = instantMs;
  let changed = instantMs + dayMs;
  if (zoneOffsetMs(changed, zone) === offset) return changed;
  while (changed - steady > 1) {
    const middle = Math.floor((steady + changed) / 2);
    if (zoneOffsetMs(middle, zone) === offset) steady = middle;
    else changed = middle;
  }
  return steady;
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
