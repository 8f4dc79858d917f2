import { weekdays, type Period, type Weekday } from '../understanding/understand.js';

/** The UTC instant of local midnight `daysFromToday` days from `now`'s local date in `timeZone`. */
export function localMidnight(now: Date, timeZone: string, daysFromToday = 0): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const target = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + daysFromToday);
  // The zone's offset at that moment, found by reading the wall clock there (twice, across DST).
  let guess = target;
  for (let i = 0; i < 2; i++) guess = target - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

function offsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - Math.floor(at.getTime() / 1000) * 1000;
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
  const day = Number(new Intl.DateTimeFormat('en-CA', { timeZone, day: '2-digit' }).format(now));
  return localMidnight(now, timeZone, -(day - 1));
}
