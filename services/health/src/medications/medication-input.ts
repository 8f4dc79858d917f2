import {
  ValidationError,
  doseUnits as platformDoseUnits,
  idempotencyKeyChars,
  isTextWithin,
  medicationLimits,
  parseLocalDate,
  parseMinuteOfDay,
  textLimitMessage,
  type FieldViolation,
} from '@tend/core';
import { MedicationForm, type Schedule } from '@tend/proto/tend/health/v1/medications';

/** Units a dose may be given in (the platform's one list, which the gateway's schema shares). */
export const doseUnits: readonly string[] = platformDoseUnits;

/** A schedule as stored: sorted unique times, sorted unique ISO weekdays. */
export interface ScheduleInput {
  times: string[];
  days: number[];
  asNeeded: boolean;
}

/** Collects violations so one reply names every bad field, then throws them together. */
export class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

/** Checks a medication's name: 1–200 characters (code points) after trimming. */
export function checkName(name: string, violations: Violations, field = 'name'): string {
  const trimmed = name.trim();
  const { min, max } = medicationLimits.nameChars;
  if (!isTextWithin(trimmed, min, max)) violations.add(field, textLimitMessage(min, max));
  return trimmed;
}

/** Checks the dose amount: a finite number above zero. */
export function checkDose(dose: number, violations: Violations, field = 'dose'): void {
  if (!Number.isFinite(dose) || dose <= 0) violations.add(field, 'must be greater than 0');
}

/** Checks the unit against `doseUnits`. */
export function checkDoseUnit(unit: string, violations: Violations, field = 'dose_unit'): void {
  if (!doseUnits.includes(unit)) violations.add(field, `must be one of ${doseUnits.join(', ')}`);
}

/** Checks an RxNorm code: empty or digits only (RXCUI). */
export function checkRxnorm(code: string, violations: Violations, field = 'rxnorm_code'): void {
  const digits = new RegExp(`^[0-9]{1,${medicationLimits.rxnormDigits}}$`);
  if (code !== '' && !digits.test(code)) violations.add(field, 'must be digits only (RxNorm RXCUI)');
}

/** Checks a form is a known enum value (unspecified allowed). */
export function checkForm(form: number, violations: Violations, field = 'form'): void {
  if (!Object.values(MedicationForm).includes(form)) violations.add(field, 'is not a known form');
}

/** Checks free text against its limit (instructions, notes), in code points. */
export function checkFreeText(text: string, violations: Violations, field: string): void {
  const { min, max } = medicationLimits.freeTextChars;
  if (!isTextWithin(text, min, max)) violations.add(field, textLimitMessage(min, max));
}

/** Checks an optional "YYYY-MM-DD" day. */
export function checkDate(text: string, violations: Violations, field: string): void {
  if (text !== '' && !parseLocalDate(text)) violations.add(field, 'must be a date YYYY-MM-DD');
}

/**
 * Checks a schedule: HH:MM times (00:00–23:59), unique, at most 24 a day; days 1–7; times empty if and
 * only if as needed. Returns it normalized (sorted, days unique).
 */
export function checkSchedule(schedule: Schedule | undefined, violations: Violations): ScheduleInput {
  if (!schedule) {
    violations.add('schedule', 'is required: times, or as_needed');
    return { times: [], days: [], asNeeded: false };
  }
  const seen = new Set<string>();
  schedule.times.forEach((time, index) => {
    if (parseMinuteOfDay(time) === undefined)
      violations.add(`schedule.times[${index}]`, 'must be HH:MM between 00:00 and 23:59');
    else if (seen.has(time)) violations.add(`schedule.times[${index}]`, `repeats ${time}`);
    seen.add(time);
  });
  if (schedule.times.length > medicationLimits.timesPerDay) {
    violations.add('schedule.times', `must have at most ${medicationLimits.timesPerDay} times`);
  }
  schedule.days.forEach((day: number, index) => {
    if (!Number.isInteger(day) || day < 1 || day > 7)
      violations.add(`schedule.days[${index}]`, 'must be a day of week 1 (Monday) to 7 (Sunday)');
  });
  if (schedule.asNeeded && schedule.times.length > 0) violations.add('schedule.times', 'must be empty when as_needed');
  if (!schedule.asNeeded && schedule.times.length === 0)
    violations.add('schedule.times', 'are required unless as_needed');
  return {
    times: [...new Set(schedule.times)].sort(),
    days: [...new Set(schedule.days)].sort((a, b) => a - b),
    asNeeded: schedule.asNeeded,
  };
}

/** Checks start ≤ end when both are set (after each was checked alone). */
export function checkDateOrder(startDate: string, endDate: string, violations: Violations): void {
  if (startDate && endDate && parseLocalDate(startDate) && parseLocalDate(endDate) && endDate < startDate) {
    violations.add('end_date', 'must not be before start_date');
  }
}

/** Checks an idempotency key: at most 200 characters. */
export function checkIdempotencyKey(key: string, violations: Violations): void {
  if (!isTextWithin(key, 0, idempotencyKeyChars.max)) {
    violations.add('idempotency_key', textLimitMessage(0, idempotencyKeyChars.max));
  }
}
