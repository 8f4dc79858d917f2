import { ValidationError } from '@tend/core';
import { VitalKind, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import { exactOf, exactZero, identityConversion, type LinearConversion } from './exact-numbers.js';

/** A unit a kind accepts, and how a value in it becomes the canonical unit and back. */
interface UnitConversion {
  toCanonical(value: number): number;
  fromCanonical(value: number): number;
  /** `fromCanonical` as exact numbers, for statistics computed exactly. */
  exact: LinearConversion;
}

/** The allowed range of a value in the canonical unit; `minExclusive` for "> 0". */
interface ValueRange {
  min: number;
  max: number;
  minExclusive?: boolean;
}

/** What the service knows about one kind of vital: its REST name, LOINC code, units and range. */
export interface VitalKindSpec {
  kind: VitalKind;
  /** The REST name: the enum name without its prefix, lower-cased. */
  name: string;
  /** LOINC code of the observation (for blood pressure, the panel). */
  loinc: string;
  /** Canonical UCUM unit: every value is stored and returned in it. */
  unit: string;
  /** Accepted units, canonical included, by their spelling. */
  units: Readonly<Record<string, UnitConversion>>;
  /** Range of `value` (or of systolic for blood pressure) after conversion. */
  range: ValueRange;
  /** Steps are counted: whole numbers only. */
  integer?: boolean;
}

const same: UnitConversion = { toCanonical: (v) => v, fromCanonical: (v) => v, exact: identityConversion };
const scale = (factor: number): UnitConversion => {
  const exact = exactOf(factor);
  return {
    toCanonical: (v) => v * factor,
    fromCanonical: (v) => v / factor,
    exact: { num: 10n ** BigInt(exact.scale), den: exact.num, offset: exactZero },
  };
};
// Exact by definition of the international avoirdupois pound.
const poundInKg = 0.45359237;
// The factor the contract fixes for glucose (molar mass 180.16 g/mol).
const glucoseMgPerMmol = 18.016;
const fahrenheit: UnitConversion = {
  toCanonical: (v) => ((v - 32) * 5) / 9,
  fromCanonical: (v) => (v * 9) / 5 + 32,
  exact: { num: 9n, den: 5n, offset: { num: 32n, scale: 0 } },
};

/** LOINC codes of the blood-pressure components. */
export const systolicLoinc = '8480-6';
export const diastolicLoinc = '8462-4';
/** Diastolic range in mm[Hg]; systolic is the kind's `range`. */
export const diastolicRange: ValueRange = { min: 20, max: 200 };

/** Every kind the service records, with the defaults of `vitals.proto`. */
export const vitalKinds: Readonly<Record<Exclude<VitalKind, VitalKind.UNSPECIFIED>, VitalKindSpec>> = {
  [VitalKind.BLOOD_PRESSURE]: {
    kind: VitalKind.BLOOD_PRESSURE,
    name: 'blood_pressure',
    loinc: '85354-9',
    unit: 'mm[Hg]',
    units: { 'mm[Hg]': same, mmHg: same },
    range: { min: 40, max: 300 },
  },
  [VitalKind.HEART_RATE]: {
    kind: VitalKind.HEART_RATE,
    name: 'heart_rate',
    loinc: '8867-4',
    unit: '/min',
    units: { '/min': same, bpm: same },
    range: { min: 20, max: 300 },
  },
  [VitalKind.WEIGHT]: {
    kind: VitalKind.WEIGHT,
    name: 'weight',
    loinc: '29463-7',
    unit: 'kg',
    units: { kg: same, lb: scale(poundInKg), '[lb_av]': scale(poundInKg), g: scale(0.001) },
    range: { min: 0, max: 500, minExclusive: true },
  },
  [VitalKind.GLUCOSE]: {
    kind: VitalKind.GLUCOSE,
    name: 'glucose',
    loinc: '2339-0',
    unit: 'mg/dL',
    units: { 'mg/dL': same, 'mmol/L': scale(glucoseMgPerMmol) },
    range: { min: 10, max: 1000 },
  },
  [VitalKind.SPO2]: {
    kind: VitalKind.SPO2,
    name: 'spo2',
    loinc: '59408-5',
    unit: '%',
    units: { '%': same },
    range: { min: 50, max: 100 },
  },
  [VitalKind.TEMPERATURE]: {
    kind: VitalKind.TEMPERATURE,
    name: 'temperature',
    loinc: '8310-5',
    unit: 'Cel',
    units: { Cel: same, '°C': same, '[degF]': fahrenheit, '°F': fahrenheit },
    range: { min: 25, max: 45 },
  },
  [VitalKind.SLEEP]: {
    kind: VitalKind.SLEEP,
    name: 'sleep',
    loinc: '93832-4',
    unit: 'h',
    units: { h: same, min: scale(1 / 60) },
    range: { min: 0, max: 24 },
  },
  [VitalKind.STEPS]: {
    kind: VitalKind.STEPS,
    name: 'steps',
    loinc: '55423-8',
    unit: '{steps}',
    units: { '{steps}': same },
    range: { min: 0, max: 200_000 },
    integer: true,
  },
};

/** The spec of a known kind, or undefined for UNSPECIFIED and unknown numbers. */
export function specOf(kind: VitalKind): VitalKindSpec | undefined {
  return kind === VitalKind.UNSPECIFIED ? undefined : (vitalKinds as Partial<Record<VitalKind, VitalKindSpec>>)[kind];
}

// A map, not a search: summaries look up the kind of every reading they read.
const kindsByName = new Map(Object.values(vitalKinds).map((spec) => [spec.name, spec]));

/** The kind stored under a REST name (`blood_pressure`), for rows read back from the table. */
export function kindByName(name: string): VitalKindSpec | undefined {
  return kindsByName.get(name);
}

/** Names of VitalSource as stored in `vitals.source`. */
export const sourceNames: Readonly<Record<VitalSource, string>> = {
  [VitalSource.UNSPECIFIED]: 'unspecified',
  [VitalSource.APP]: 'app',
  [VitalSource.VOICE]: 'voice',
  [VitalSource.DEVICE]: 'device',
  [VitalSource.CAREGIVER]: 'caregiver',
  [VitalSource.FHIR_IMPORT]: 'fhir_import',
};

/** The VitalSource of a stored name; UNSPECIFIED for anything unknown. */
export function sourceByName(name: string): VitalSource {
  const entry = Object.entries(sourceNames).find(([, n]) => n === name);
  return entry ? Number(entry[0]) : VitalSource.UNSPECIFIED;
}

/**
 * Converts `value` in `unit` (empty: canonical) to the kind's canonical unit. Unknown units are
 * InvalidArgument on `unitField`. Rounded to 1e-6 so conversions do not leave float noise
 * (99.08800000000001) in stored values.
 */
export function toCanonical(spec: VitalKindSpec, value: number, unit: string, unitField = 'unit'): number {
  return roundMicro(conversionOf(spec, unit, unitField).toCanonical(value));
}

/** Converts a canonical value to `unit` (empty: canonical), e.g. for a summary in pounds. */
export function fromCanonical(spec: VitalKindSpec, value: number, unit: string, unitField = 'unit'): number {
  return roundMicro(conversionOf(spec, unit, unitField).fromCanonical(value));
}

/** `fromCanonical` to `unit` (empty: canonical) as exact numbers, for exact statistics. */
export function exactConversion(spec: VitalKindSpec, unit: string): LinearConversion {
  return conversionOf(spec, unit, 'unit').exact;
}

/** The UCUM spelling a summary reports in: the canonical unit when `unit` is empty. */
export function reportUnit(spec: VitalKindSpec, unit: string, unitField = 'unit'): string {
  conversionOf(spec, unit, unitField);
  return unit === '' ? spec.unit : unit;
}

function conversionOf(spec: VitalKindSpec, unit: string, unitField: string): UnitConversion {
  if (unit === '') return same;
  const conversion = Object.hasOwn(spec.units, unit) ? spec.units[unit] : undefined;
  if (!conversion) {
    throw ValidationError.field(
      unitField,
      `"${unit}" is not a unit for ${spec.name}; use one of ${Object.keys(spec.units).join(', ')}`,
    );
  }
  return conversion;
}

function roundMicro(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Throws InvalidArgument on `field` unless `value` (canonical) lies in `range`. */
export function checkRange(field: string, value: number, range: ValueRange, unit: string): void {
  if (!Number.isFinite(value)) throw ValidationError.field(field, 'must be a finite number');
  const belowMin = range.minExclusive ? value <= range.min : value < range.min;
  if (belowMin || value > range.max) {
    const lower = range.minExclusive ? `greater than ${range.min}` : `between ${range.min}`;
    const message = range.minExclusive
      ? `must be ${lower} and at most ${range.max} ${unit}`
      : `must be ${lower} and ${range.max} ${unit}`;
    throw ValidationError.field(field, message);
  }
}
