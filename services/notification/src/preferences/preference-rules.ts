import { ValidationError, addDays, instantOfLocal, isKnownTimeZone, parseMinuteOfDay, wallClockOf } from '@tend/core';

/** The channels a notification can go out on. */
export const channelNames = ['in_app', 'push', 'sms', 'email'] as const;
export type ChannelName = (typeof channelNames)[number];

/** What a notification is about; each kind has its own channels in a person's preferences. */
export const kindNames = [
  'dose_reminder',
  'missed_dose',
  'urgent_reading',
  'emergency',
  'appointment',
  'caregiver_alert',
  'health_advisory',
] as const;
export type KindName = (typeof kindNames)[number];

/** A person's delivery preferences, complete (defaults filled in). */
export interface PersonPreferences {
  channels: Record<KindName, ChannelName[]>;
  quietHours?: { start: string; end: string };
  /** "en", "zh", or '' for the account's language. */
  language: '' | 'en' | 'zh';
  /** IANA zone quiet hours are read in; '' for the account's zone. */
  timeZone: string;
  /** Minutes after a dose's time before one nudge; 0: no nudge. */
  followUpMinutes: number;
}

/**
 * What a person gets before they choose: everything in the app and as a push; an emergency on
 * every channel; a caregiver's alert also by e-mail, since a caregiver may not have the app open.
 */
export function defaultPreferences(): PersonPreferences {
  return {
    channels: {
      dose_reminder: ['in_app', 'push'],
      missed_dose: ['in_app', 'push'],
      urgent_reading: ['in_app', 'push'],
      emergency: ['in_app', 'push', 'sms', 'email'],
      appointment: ['in_app', 'push'],
      caregiver_alert: ['in_app', 'push', 'email'],
      health_advisory: ['in_app', 'push'],
    },
    language: '',
    timeZone: '',
    followUpMinutes: 30,
  };
}

/**
 * Checks preferences as a person sent them, naming the first field at fault. Quiet hours are two
 * local times; a start after the end crosses midnight (22:00–07:00), equal times would mean
 * "always" or "never" and are refused, as is an unknown zone or a channel list without in-app for
 * an emergency (an emergency is always kept in the inbox). The language and the follow-up minutes
 * are held to the contract's field rules before a request reaches this.
 */
export function validatePreferences(preferences: PersonPreferences): PersonPreferences {
  for (const kind of kindNames) {
    const channels = preferences.channels[kind];
    if (new Set(channels).size !== channels.length) {
      throw ValidationError.field(`preferences.channels.${kind}`, 'lists a channel twice');
    }
  }
  if (!preferences.channels.emergency.includes('in_app')) {
    throw ValidationError.field('preferences.channels.emergency', 'must include in_app');
  }
  const quiet = preferences.quietHours;
  if (quiet) {
    if (parseMinuteOfDay(quiet.start) === undefined)
      throw ValidationError.field('preferences.quietHours.start', 'must be HH:MM');
    if (parseMinuteOfDay(quiet.end) === undefined)
      throw ValidationError.field('preferences.quietHours.end', 'must be HH:MM');
    if (quiet.start === quiet.end) {
      throw ValidationError.field(
        'preferences.quietHours.end',
        'must differ from start (22:00–07:00 crosses midnight)',
      );
    }
  }
  if (preferences.timeZone !== '' && !isKnownTimeZone(preferences.timeZone)) {
    throw ValidationError.field('preferences.timeZone', 'must be an IANA time zone, e.g. Europe/Berlin');
  }
  return preferences;
}

/** Whether `at` falls in the quiet hours, read in `timeZone`; start inclusive, end exclusive. */
export function inQuietHours(at: Date, quiet: PersonPreferences['quietHours'], timeZone: string): boolean {
  if (!quiet) return false;
  // The person's wall clock, by the platform's time-zone arithmetic (the one the reminders use).
  const { hour, minute } = wallClockOf(at.getTime(), timeZone);
  const now = hour * 60 + minute;
  const start = parseMinuteOfDay(quiet.start)!;
  const end = parseMinuteOfDay(quiet.end)!;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** The channels that interrupt (a phone buzzing): held back during quiet hours. */
export const interruptingChannels: readonly ChannelName[] = ['push', 'sms'];

/** Kinds that go out at once, quiet hours or not. */
const urgentKinds: readonly KindName[] = ['emergency', 'urgent_reading'];

/** How a notification goes out: on which channels, and when the interrupting ones may be sent. */
export interface DeliveryPlan {
  channels: ChannelName[];
  /** Set in quiet hours: push and SMS wait until then (the end of the quiet hours). */
  holdUntil?: Date;
}

/**
 * The channels a notification of `kind` goes out on: the person's choice for the kind. In quiet
 * hours the interrupting ones (push, SMS) are delayed, not dropped: they are sent when the quiet
 * hours end, while the inbox (and e-mail) have it at once. An emergency or an urgent reading
 * ignores quiet hours, as does a notification its sender marks `urgent` (a danger-level advisory).
 */
export function deliveryPlanFor(
  kind: KindName,
  preferences: PersonPreferences,
  at: Date,
  fallbackZone: string,
  urgent = false,
): DeliveryPlan {
  const channels = preferences.channels[kind];
  if (urgent || urgentKinds.includes(kind)) return { channels };
  const zone = preferences.timeZone || fallbackZone || 'UTC';
  const quiet = preferences.quietHours;
  if (!quiet || !inQuietHours(at, quiet, zone)) return { channels };
  if (!channels.some((channel) => interruptingChannels.includes(channel))) return { channels };
  return { channels, holdUntil: quietHoursEnd(at, quiet, zone) };
}

/** The instant the quiet hours `at` falls in end, in `timeZone` (the same day, or the next). */
export function quietHoursEnd(at: Date, quiet: { start: string; end: string }, timeZone: string): Date {
  const wall = wallClockOf(at.getTime(), timeZone);
  const end = parseMinuteOfDay(quiet.end)!;
  const today = { year: wall.year, month: wall.month, day: wall.day };
  const endDay = wall.hour * 60 + wall.minute < end ? today : addDays(today, 1);
  return new Date(instantOfLocal(endDay, end, timeZone));
}
