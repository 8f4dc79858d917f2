import type { BpCategory } from '../domain/bp-category.js';
import type { VitalKind } from '../domain/units.js';

// The API documents most answers as open JSON objects; these are the fields the screens read,
// as the gateway writes them (camelCase, canonical units, ISO instants).

/** Why a reading needs attention: "worth talking to a clinician about", never a diagnosis. */
export interface AttentionFlag {
  reason: string;
  severity: 'warning' | 'urgent';
  kind: VitalKind;
  vitalId?: string;
  measuredAt: string;
}

/** One recorded reading. Blood pressure has systolic/diastolic; every other kind a value. */
export interface Vital {
  id: string;
  kind: VitalKind;
  value?: number;
  systolic?: number;
  diastolic?: number;
  unit: string;
  measuredAt: string;
  source?: string;
  bpCategory?: BpCategory;
  flags?: AttentionFlag[];
}

/** Lowest, highest and average of some readings, in the canonical unit. */
export interface VitalStats {
  min: number;
  max: number;
  mean: number;
}

/** The readings of one local day, as a summary's daily bucket. */
export interface VitalDay {
  /** "YYYY-MM-DD" in the person's time zone. */
  startDate: string;
  count: number;
  /** Every kind but blood pressure. */
  value?: VitalStats;
  systolic?: VitalStats;
  diastolic?: VitalStats;
}

/** When a medication is taken: times of day, on some weekdays (none: every day), or as needed. */
export interface Schedule {
  times: string[];
  days: string[];
  asNeeded: boolean;
}

export interface Medication {
  id: string;
  name: string;
  dose: number;
  doseUnit: string;
  form?: string;
  instructions?: string;
  active: boolean;
  schedule: Schedule;
  startDate?: string;
  endDate?: string;
}

/** A dose the schedule calls for, with what happened to it. */
export interface ScheduledDose {
  medicationId: string;
  medicationName: string;
  dose: number;
  doseUnit: string;
  scheduledAt: string;
  localDate: string;
  localTime: string;
  status: 'pending' | 'taken' | 'skipped' | 'missed';
}

export interface AdherenceCounts {
  taken: number;
  skipped: number;
  missed: number;
  pending: number;
  scheduled: number;
  /** Share taken of the doses that were due, 0–1; null when none were due. */
  rate: number | null;
}

export interface Adherence {
  from: string;
  to: string;
  byMedication: (AdherenceCounts & { medicationId: string; name: string })[];
  overall: AdherenceCounts;
}

/** A caregiver's access to the record of the person who granted it. */
export interface CaregiverGrant {
  id: string;
  patientUserId: string;
  patientDisplayName: string;
  caregiverUserId: string;
  caregiverDisplayName: string;
  caregiverEmail: string;
  scopes: string[];
  createdAt?: string;
}

/** An offer of caregiver access, waiting for (or past) the invitee's answer. */
export interface CaregiverInvitation {
  id: string;
  patientUserId: string;
  patientDisplayName: string;
  email: string;
  scopes: string[];
  status: 'pending' | 'accepted' | 'declined' | 'withdrawn' | 'expired';
  createdAt?: string;
  expiresAt?: string;
}

/** The scopes a person can grant a caregiver. */
export const caregiverScopes = [
  'read_vitals',
  'read_medications',
  'receive_missed_dose_alerts',
  'log_doses',
  'record_vitals',
] as const;

export type CaregiverScope = (typeof caregiverScopes)[number];

/** Who answered a turn: `llm` (the language model) or `basic` (the embedded rules, when there is none or it failed). */
export type ReplyMode = string;

export interface ChatMessage {
  id?: string;
  role: 'user' | 'assistant';
  text: string;
  mode?: ReplyMode;
  intent?: string;
  createdAt?: string;
}

/** What a notification is about, as the API names it. */
export type NotificationKind =
  | 'dose_reminder'
  | 'missed_dose'
  | 'urgent_reading'
  | 'emergency'
  | 'appointment'
  | 'caregiver_alert'
  | 'health_advisory';

/** A way a notification reaches a person. */
export type Channel = 'push' | 'sms' | 'email' | 'in_app';

/** One message in the in-app inbox; `data.reminderId` marks one that Taken/Skip/Snooze can answer. */
export interface InboxNotification {
  id: string;
  kind: string;
  channel: Channel;
  title: string;
  body: string;
  createdAt: string;
  readAt?: string;
  data?: Record<string, string>;
}

/** A reminder that will fire within the next 24 hours. */
export interface UpcomingReminder {
  id: string;
  kind: 'dose_due' | 'missed_dose_alert' | 'dose_follow_up';
  fireAt: string;
  medicationName?: string;
  localTime?: string;
  state: string;
}

/** How and when the person is told: channels per kind, quiet hours, and the follow-up delay. */
export interface NotificationPreferences {
  channels: Partial<Record<NotificationKind, Channel[]>>;
  quietHours: { start: string; end: string } | null;
  language: 'en' | 'zh' | '';
  timeZone: string;
  followUpMinutes: number;
}

/** A phone, e-mail address or browser push subscription; phones and addresses need a code first. */
export interface Device {
  id: string;
  kind: 'push' | 'phone' | 'email';
  address: string;
  verified?: boolean;
  createdAt: string;
}
