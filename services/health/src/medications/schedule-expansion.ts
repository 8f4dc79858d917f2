import {
  addDays,
  formatLocalDate,
  formatMinuteOfDay,
  instantOfLocal,
  isoWeekday,
  localDateOf,
  parseLocalDate,
  parseMinuteOfDay,
  wallClockOf,
} from '@tend/core';

/**
 * One version of a medication's schedule: what was in force from `effectiveFromMs` until the next
 * version. A change to the schedule, the dates or `active` starts a new version "from now", so
 * doses due before the change keep the schedule they had.
 */
export interface ScheduleVersion {
  /** Instant the version took effect; the first version's is the medication's beginning. */
  effectiveFromMs: number;
  /** Local times "HH:MM". Empty when as needed. */
  times: string[];
  /** ISO weekdays 1–7; empty means every day. */
  days: number[];
  asNeeded: boolean;
  active: boolean;
  /** "YYYY-MM-DD" in the person's zone, inclusive. */
  startDate: string;
  /** "YYYY-MM-DD" inclusive; empty means open-ended. */
  endDate: string;
}

/** A dose due: the instant, and its local day and time in the person's zone. */
export interface DoseInstant {
  scheduledAtMs: number;
  localDate: string;
  /** The wall time it falls on: the schedule's, or the shifted one on a spring-forward day. */
  localTime: string;
}

/**
 * The doses a medication's schedule versions make due in the half-open period [fromMs, toMs), in
 * time order, in the person's IANA `zone`. Each version contributes only the doses that fall
 * within its own span, on days within its start and end dates, while active and not as needed.
 * Local times follow the zone's daylight-saving rules (see `instantOfLocal`); two times that land
 * on the same instant on a transition day give one dose.
 */
export function expandSchedule(versions: ScheduleVersion[], zone: string, fromMs: number, toMs: number): DoseInstant[] {
  if (toMs <= fromMs) return [];
  const ordered = [...versions].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
  const doses = new Map<number, DoseInstant>();
  ordered.forEach((version, index) => {
    const spanFrom = Math.max(fromMs, version.effectiveFromMs);
    const spanTo = Math.min(toMs, ordered[index + 1]?.effectiveFromMs ?? Number.POSITIVE_INFINITY);
    if (spanTo <= spanFrom || !version.active || version.asNeeded) return;
    const minutes = version.times.map(parseMinuteOfDay).filter((m): m is number => m !== undefined);
    const start = version.startDate;
    const end = version.endDate;
    // A day either side covers times that a transition moves across midnight's UTC image.
    let day = addDays(localDateOf(spanFrom, zone), -1);
    const last = addDays(localDateOf(spanTo, zone), 1);
    for (; compareDates(day, last) <= 0; day = addDays(day, 1)) {
      const dayText = formatLocalDate(day);
      if (start && dayText < start) continue;
      if (end && dayText > end) continue;
      if (version.days.length > 0 && !version.days.includes(isoWeekday(day))) continue;
      for (const minute of minutes) {
        const instant = instantOfLocal(day, minute, zone);
        if (instant < spanFrom || instant >= spanTo || doses.has(instant)) continue;
        const wall = wallClockOf(instant, zone);
        doses.set(instant, {
          scheduledAtMs: instant,
          localDate: dayText,
          localTime: formatMinuteOfDay(wall.hour * 60 + wall.minute),
        });
      }
    }
  });
  return [...doses.values()].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
}

/** Whether the schedule has a dose due exactly at `instantMs`. */
export function isScheduledDose(versions: ScheduleVersion[], zone: string, instantMs: number): boolean {
  return expandSchedule(versions, zone, instantMs, instantMs + 1).length === 1;
}

/** The instant a local day starts in `zone` (its first existing minute). */
export function startOfLocalDay(date: string, zone: string): number {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new Error(`not a date: ${date}`);
  return instantOfLocal(parsed, 0, zone);
}

function compareDates(a: { year: number; month: number; day: number }, b: typeof a): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}
