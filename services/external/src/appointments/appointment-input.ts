import { ValidationError, type FieldViolation } from '@tend/core';
import type { Recurrence } from '../calendar/recurrence.js';
import { instantOfLocal, isKnownTimeZone } from '../local-dates.js';

/** An appointment's fields as stored, checked. */
export interface AppointmentFields {
  title: string;
  clinician: string;
  location: string;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  notes: string;
  /** How it repeats: null for a single visit; undefined keeps what an update finds. */
  recurrence?: Recurrence | null | undefined;
}

/** The fields as a request gives them (local wall times in a zone). */
export interface AppointmentDraft {
  title: string;
  clinician: string;
  location: string;
  localStart: string;
  /** Empty means one hour after the start. */
  localEnd: string;
  /** Empty means UTC. */
  timeZone: string;
  notes: string;
}

/**
 * Checks every field at once and turns local times into instants, so a request with several
 * problems hears about all of them and nothing is written: an empty title, a time that is not
 * `YYYY-MM-DDTHH:MM`, an unknown zone, an end not after the start. The fields' lengths are the
 * contract's field rules, checked before a request reaches this.
 */
export function checkAppointment(draft: AppointmentDraft): AppointmentFields {
  const violations: FieldViolation[] = [];
  const title = draft.title.trim();
  if (title === '') violations.push({ field: 'title', message: 'is required' });
  const timeZone = draft.timeZone === '' ? 'UTC' : draft.timeZone;
  const zoneOk = isKnownTimeZone(timeZone);
  if (!zoneOk) violations.push({ field: 'time_zone', message: `"${draft.timeZone}" is not an IANA time zone` });
  const startsAt = zoneOk ? instantOfLocal(draft.localStart, timeZone) : undefined;
  if (zoneOk && !startsAt) {
    violations.push({ field: 'local_start', message: 'must be a local time as YYYY-MM-DDTHH:MM' });
  }
  let endsAt = startsAt && new Date(startsAt.getTime() + 3_600_000);
  if (draft.localEnd !== '' && zoneOk) {
    endsAt = instantOfLocal(draft.localEnd, timeZone);
    if (!endsAt) violations.push({ field: 'local_end', message: 'must be a local time as YYYY-MM-DDTHH:MM' });
  }
  if (startsAt && endsAt && endsAt.getTime() <= startsAt.getTime()) {
    violations.push({ field: 'local_end', message: 'must be after local_start' });
  }
  if (violations.length > 0 || !startsAt || !endsAt) throw new ValidationError(violations);
  return {
    title,
    clinician: draft.clinician.trim(),
    location: draft.location.trim(),
    startsAt,
    endsAt,
    timeZone,
    notes: draft.notes,
  };
}
