import type { Period } from '../understanding/understand.js';

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
  const weekday = (new Date(localMidnight(now, timeZone).getTime() + 12 * 3_600_000).getUTCDay() + 6) % 7;
  switch (period) {
    case 'today':
      return { from: localMidnight(now, timeZone), to: localMidnight(now, timeZone, 1) };
    case 'yesterday':
      return { from: localMidnight(now, timeZone, -1), to: localMidnight(now, timeZone) };
    case 'tomorrow':
      return { from: localMidnight(now, timeZone, 1), to: localMidnight(now, timeZone, 2) };
    case 'this_week':
      return { from: localMidnight(now, timeZone, -weekday), to: now };
    case 'last_week':
      return { from: localMidnight(now, timeZone, -weekday - 7), to: localMidnight(now, timeZone, -weekday) };
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
