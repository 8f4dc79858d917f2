import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ValidationError } from '@tend/core';
import { VitalKind, type VitalSource, type VitalInput } from '@tend/proto/tend/health/v1/vitals';
import { checkRange, diastolicRange, specOf, toCanonical, type VitalKindSpec } from './vital-kinds.js';

/** How far in the future a reading may be measured: device clocks drift. */
export const maxFutureSkewMs = 5 * 60 * 1000;
/**
 * How far back a reading may be dated by default (`VITAL_HISTORY_DAYS`): ten years covers a
 * device's or an old record's history; an older date is a typo or an attempt to make the
 * service create a month partition per request, and each is refused.
 */
export const defaultVitalHistoryDays = 3660;
const dayMs = 24 * 60 * 60 * 1000;

/** A reading after validation: canonical unit, times resolved. Ready to store. */
export interface NormalizedVital {
  spec: VitalKindSpec;
  value: number | null;
  systolic: number | null;
  diastolic: number | null;
  measuredAt: Date;
  periodStart: Date | null;
  source: VitalSource;
  note: string;
}

/**
 * Validates one reading and converts it to the kind's canonical unit; its time must lie between
 * `historyDays` ago and five minutes ahead. What the contract's field rules say (a defined kind
 * and source, the unit's and note's lengths) was checked before the handler ran; this checks
 * what depends on the kind and the unit. Every error is
 * InvalidArgument naming the field with `prefix` (`''` for RecordVital's body fields,
 * `vitals[3].` in a batch), so the person sees which value to fix.
 */
export function normalizeVitalInput(
  input: VitalInput | undefined,
  now: Date,
  prefix = '',
  historyDays = defaultVitalHistoryDays,
): NormalizedVital {
  const field = (name: string) => `${prefix}${name}`;
  if (!input) throw ValidationError.field(prefix === '' ? 'vital' : prefix.slice(0, -1), 'is required');
  const spec = specOf(input.kind);
  if (!spec) throw ValidationError.field(field('kind'), 'must be a known vital kind');
  let value: number | null = null;
  let systolic: number | null = null;
  let diastolic: number | null = null;
  if (spec.kind === VitalKind.BLOOD_PRESSURE) {
    if (input.value !== undefined) throw ValidationError.field(field('value'), 'is not used for blood_pressure');
    systolic = required(field('systolic'), input.systolic);
    diastolic = required(field('diastolic'), input.diastolic);
    systolic = toCanonical(spec, systolic, input.unit, field('unit'));
    diastolic = toCanonical(spec, diastolic, input.unit, field('unit'));
    checkRange(field('systolic'), systolic, spec.range, spec.unit);
    checkRange(field('diastolic'), diastolic, diastolicRange, spec.unit);
    if (diastolic >= systolic) throw ValidationError.field(field('diastolic'), 'must be lower than systolic');
  } else {
    if (input.systolic !== undefined) throw ValidationError.field(field('systolic'), `is not used for ${spec.name}`);
    if (input.diastolic !== undefined) throw ValidationError.field(field('diastolic'), `is not used for ${spec.name}`);
    value = toCanonical(spec, required(field('value'), input.value), input.unit, field('unit'));
    checkRange(field('value'), value, spec.range, spec.unit);
    if (spec.integer && !Number.isInteger(value)) throw ValidationError.field(field('value'), 'must be a whole number');
  }
  const measuredAt = input.measuredAt ? timestampDate(input.measuredAt) : now;
  if (!Number.isFinite(measuredAt.getTime()) || measuredAt.getTime() < now.getTime() - historyDays * dayMs) {
    throw ValidationError.field(field('measured_at'), `must be within the last ${historyDays} days`);
  }
  if (measuredAt.getTime() > now.getTime() + maxFutureSkewMs) {
    throw ValidationError.field(field('measured_at'), 'must not be more than 5 minutes in the future');
  }
  let periodStart: Date | null = null;
  if (input.periodStart) {
    if (spec.kind !== VitalKind.SLEEP && spec.kind !== VitalKind.STEPS) {
      throw ValidationError.field(field('period_start'), 'is only used for sleep and steps');
    }
    periodStart = timestampDate(input.periodStart);
    if (!(periodStart < measuredAt)) throw ValidationError.field(field('period_start'), 'must be before measured_at');
  }
  return { spec, value, systolic, diastolic, measuredAt, periodStart, source: input.source, note: input.note };
}

function required(field: string, value: number | undefined): number {
  if (value === undefined) throw ValidationError.field(field, 'is required');
  if (!Number.isFinite(value)) throw ValidationError.field(field, 'must be a finite number');
  return value;
}
