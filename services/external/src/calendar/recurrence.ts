import ICAL from 'ical.js';
import { z } from 'zod';
import { instantOfLocal, localDateTimeOf } from '../local-dates.js';

/**
 * How a recurring appointment repeats, as stored with the series (column `recurrence`). Wall
 * times are `YYYY-MM-DDTHH:MM` in the series' zone: RFC 5545 repeats a series by the wall clock
 * of its DTSTART's zone (§3.3.10), so "every Monday 09:00 in Berlin" stays at 09:00 across a
 * daylight-saving change, and each wall time becomes an instant only when it is read.
 */
export interface Recurrence {
  /** The RECUR value, e.g. `FREQ=WEEKLY;COUNT=6;BYDAY=MO`; an UNTIL is in the zone's wall time. */
  rrule: string;
  /** Wall times of left-out occurrences (EXDATE). */
  exdates: string[];
  /** Occurrences moved elsewhere (a VEVENT with RECURRENCE-ID): which one, and where to. */
  moved: MovedOccurrence[];
  /** The zone the rule repeats in when it is not the appointment's (`UTC` for a UTC DTSTART). */
  zone?: string | undefined;
}

/** One occurrence of a series that was moved (RECURRENCE-ID names the wall time it replaces). */
export interface MovedOccurrence {
  /** The wall time of the occurrence it replaces. */
  of: string;
  startsAt: string;
  endsAt: string;
}

const wallTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);

/** The stored column, read back at the database boundary. */
export const recurrenceSchema = z.object({
  rrule: z.string().min(1).max(1000),
  exdates: z.array(wallTime).max(2000),
  moved: z.array(z.object({ of: wallTime, startsAt: z.iso.datetime(), endsAt: z.iso.datetime() })).max(2000),
  zone: z.string().min(1).max(64).optional(),
});

/** One visit of a series (or the only visit of a single appointment). */
export interface Occurrence {
  startsAt: Date;
  endsAt: Date;
}

/** The first visit of a series and its zone, the things an expansion starts from. */
export interface SeriesStart {
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  recurrence: Recurrence;
}

/** No series is walked further than this many steps (ten years of a daily one, and then some). */
const maxSteps = 5_000;

/** An RRULE that cannot be read; the message says why. */
export class InvalidRecurrenceError extends Error {
  override name = 'InvalidRecurrenceError';
}

/** Reads a RECUR value, or throws {@link InvalidRecurrenceError} naming what is wrong. */
export function readRule(rrule: string): ICAL.Recur {
  let recur: ICAL.Recur;
  try {
    recur = ICAL.Recur.fromString(rrule);
  } catch (error) {
    throw new InvalidRecurrenceError(`RRULE "${rrule}" is not a recurrence rule`, { cause: error });
  }
  if (!recur.freq) throw new InvalidRecurrenceError(`RRULE "${rrule}" has no FREQ`);
  if (recur.interval !== undefined && (!Number.isInteger(recur.interval) || recur.interval < 1)) {
    throw new InvalidRecurrenceError(`RRULE "${rrule}" has an INTERVAL that is not a positive number`);
  }
  return recur;
}

/**
 * The rule with its UNTIL in the series' wall time: ical.js compares UNTIL with the (floating)
 * wall times it steps through, so a UTC UNTIL would cut a series in a zone east of UTC short.
 */
export function ruleInZone(recur: ICAL.Recur, timeZone: string): string {
  const until = recur.until;
  if (until && !until.isDate && until.zone === ICAL.Timezone.utcTimezone) {
    recur.until = wallToTime(localDateTimeOf(until.toJSDate(), timeZone), false);
  }
  return recur.toString();
}

/**
 * The occurrences of a series that overlap [from, to) and start at `startingAt` or later (a page
 * of a listing goes on after the last one shown), in start order, at most `limit`: left-out
 * ones are skipped, moved ones are where they were moved to. An endless series without `to`
 * stops at `limit`. A series is walked at most {@link maxSteps} steps.
 */
export function occurrencesOf(
  series: SeriesStart,
  window: { from?: Date | undefined; to?: Date | undefined; startingAt?: Date | undefined },
  limit: number,
): Occurrence[] {
  const { recurrence } = series;
  const timeZone = recurrence.zone ?? series.timeZone;
  const duration = series.endsAt.getTime() - series.startsAt.getTime();
  const first = localDateTimeOf(series.startsAt, timeZone);
  const skipped = new Set([...recurrence.exdates, ...recurrence.moved.map((m) => m.of)]);
  const overlaps = (o: Occurrence) =>
    (!window.from || o.endsAt > window.from) &&
    (!window.to || o.startsAt < window.to) &&
    (!window.startingAt || o.startsAt >= window.startingAt);
  const found: Occurrence[] = recurrence.moved
    .map((m) => ({ startsAt: new Date(m.startsAt), endsAt: new Date(m.endsAt) }))
    .filter(overlaps);
  const movedCount = found.length;
  const iterator = readRule(recurrence.rrule).iterator(wallToTime(first, false));
  for (let step = 0; step < maxSteps; step += 1) {
    const time = iterator.next();
    if (!time) break;
    const wall = timeToWall(time);
    const startsAt = instantOfLocal(wall, timeZone);
    if (!startsAt) continue;
    if (window.to && startsAt >= window.to) break;
    if (skipped.has(wall)) continue;
    const occurrence = { startsAt, endsAt: new Date(startsAt.getTime() + duration) };
    if (!overlaps(occurrence)) continue;
    found.push(occurrence);
    if (found.length >= limit + movedCount) break;
  }
  return found.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()).slice(0, limit);
}

/**
 * The end of a series' last occurrence, or undefined when it has none (an endless rule). Stored
 * with the series so a window query finds the series without expanding it.
 */
export function lastEndOf(series: SeriesStart): Date | undefined {
  if (!readRule(series.recurrence.rrule).isFinite()) return undefined;
  const all = occurrencesOf(series, {}, maxSteps);
  const ends = [series.endsAt, ...all.map((o) => o.endsAt)];
  return new Date(Math.max(...ends.map((d) => d.getTime())));
}

/** `YYYY-MM-DDTHH:MM` of an ical.js time (all-day dates at midnight). */
export function timeToWall(time: ICAL.Time): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const clock = time.isDate ? '00:00' : `${pad(time.hour)}:${pad(time.minute)}`;
  return `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}T${clock}`;
}

/** A floating ical.js time (or date) of a wall time. */
function wallToTime(wall: string, isDate: boolean): ICAL.Time {
  const [year, month, day, hour, minute] = wall.split(/[-T:]/).map(Number) as [number, number, number, number, number];
  return ICAL.Time.fromData({ year, month, day, hour, minute, second: 0, isDate });
}

/**
 * The RRULE and EXDATE lines of a series for an iCalendar VEVENT. Its times are wall times with
 * the zone's TZID, as a series repeats by its zone's clock (a UTC DTSTART would move a 09:00
 * visit to 10:00 in summer); UNTIL is in UTC, as RFC 5545 requires with a zoned DTSTART.
 */
export function recurrenceLines(series: SeriesStart): string[] {
  const recur = readRule(series.recurrence.rrule);
  const timeZone = series.recurrence.zone ?? series.timeZone;
  if (recur.until && !recur.until.isDate) {
    const until = instantOfLocal(timeToWall(recur.until), timeZone);
    if (until) recur.until = ICAL.Time.fromJSDate(until, true);
  }
  const lines = [`RRULE:${recur.toString()}`];
  for (const wall of series.recurrence.exdates) lines.push(`EXDATE${zonedText(wall, timeZone)}`);
  return lines;
}

/** `;TZID=Europe/Berlin:20260907T090000` (`:…Z` in UTC): what follows a property's name. */
export function zonedText(wall: string, timeZone: string): string {
  const text = `${wall.replace(/[-:]/g, '')}00`;
  return timeZone === 'UTC' ? `:${text}Z` : `;TZID=${timeZone}:${text}`;
}

/** `20260703T130000Z`. */
export function utcText(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The rule without the visit that starts at `startsAt` (a moved one is dropped from `moved`;
 * either way its original wall time becomes an EXDATE), or undefined when no visit starts then.
 */
export function withoutOccurrence(series: SeriesStart, startsAt: Date): Recurrence | undefined {
  const { recurrence } = series;
  const zone = recurrence.zone ?? series.timeZone;
  const moved = recurrence.moved.find((m) => new Date(m.startsAt).getTime() === startsAt.getTime());
  if (moved) {
    return {
      ...recurrence,
      moved: recurrence.moved.filter((m) => m !== moved),
      exdates: [...recurrence.exdates, moved.of],
    };
  }
  const [found] = occurrencesOf(series, { startingAt: startsAt, to: new Date(startsAt.getTime() + 1) }, 1);
  if (!found || found.startsAt.getTime() !== startsAt.getTime()) return undefined;
  return { ...recurrence, exdates: [...recurrence.exdates, localDateTimeOf(startsAt, zone)] };
}
