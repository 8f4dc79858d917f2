import { addDays, instantOfLocal, localDateOf } from '@tend/core';
import { weekdays, type Period, type Weekday } from '../understanding/understand.js';

/**
 * The UTC instant of local midnight `daysFromToday` days from `now`'s local date in `timeZone`
 * (the platform's time-zone arithmetic; a midnight skipped by a clock change is the first
 * instant of that day).
 */
export function localMidnight(now: Date, timeZone: string, daysFromToday = 0): Date {
  return new Date(instantOfLocal(addDays(localDateOf(now.getTime(), timeZone), daysFromToday), 0, timeZone));
}

/** The instants [from, to) a spoken period covers in the person's time zone; weeks start on Monday. */
export function rangeOf(period: Period, now: Date, timeZone: string): { from: Date; to: Date } {
  const today = (new Date(localMidnight(now, timeZone).getTime() + 12 * 3_600_000).getUTCDay() + 6) % 7;
  const day = (daysFromToday: number) => ({
    from: localMidnight(now, timeZone, daysFromToday),
    to: localMidnight(now, timeZone, daysFromToday + 1),
  });
  const weekday = weekdays.indexOf(period.replace(/^last_week_/, '') as Weekday);
  if (weekday >= 0 && period.startsWith('last_week_')) return day(-today - 7 + weekday);
  // The last such day before today: on a Monday, "last Monday" is a week ago.
  if (weekday >= 0) return day(-((today - weekday + 7) % 7 || 7));
  switch (period as Exclude<Period, Weekday | `last_week_${Weekday}`>) {
    case 'today':
      return day(0);
    case 'yesterday':
      return day(-1);
    case 'day_before_yesterday':
      return day(-2);
    case 'tomorrow':
      return day(1);
    case 'this_week':
      return { from: localMidnight(now, timeZone, -today), to: now };
    case 'last_week':
      return { from: localMidnight(now, timeZone, -today - 7), to: localMidnight(now, timeZone, -today) };
    case 'this_month':
      return { from: firstOfMonth(now, timeZone), to: now };
    case 'last_month': {
      const thisMonth = firstOfMonth(now, timeZone);
      // The day before the first of this month lies in last month.
      return { from: firstOfMonth(new Date(thisMonth.getTime() - 12 * 3_600_000), timeZone), to: thisMonth };
    }
  }
}

/** Local midnight on the first of `now`'s month in `timeZone`. */
function firstOfMonth(now: Date, timeZone: string): Date {
  return localMidnight(now, timeZone, -(localDateOf(now.getTime(), timeZone).day - 1));
}
