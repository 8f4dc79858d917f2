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
