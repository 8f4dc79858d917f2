import {
  AttentionReason,
  AttentionSeverity,
  BloodPressureCategory,
  VitalKind,
} from '@tend/proto/tend/health/v1/vitals';

/**
 * Blood-pressure category of the 2017 ACC/AHA guideline. When systolic and diastolic fall in
 * different categories the higher one applies, so each number is classed alone and the worse
 * class wins.
 */
export function bloodPressureCategory(systolic: number, diastolic: number): BloodPressureCategory {
  const bySystolic =
    systolic >= 180
      ? BloodPressureCategory.HYPERTENSIVE_CRISIS
      : systolic >= 140
        ? BloodPressureCategory.HYPERTENSION_STAGE_2
        : systolic >= 130
          ? BloodPressureCategory.HYPERTENSION_STAGE_1
          : systolic >= 120
            ? BloodPressureCategory.ELEVATED
            : BloodPressureCategory.NORMAL;
  const byDiastolic =
    diastolic >= 120
      ? BloodPressureCategory.HYPERTENSIVE_CRISIS
      : diastolic >= 90
        ? BloodPressureCategory.HYPERTENSION_STAGE_2
        : diastolic >= 80
          ? BloodPressureCategory.HYPERTENSION_STAGE_1
          : BloodPressureCategory.NORMAL;
  return Math.max(bySystolic, byDiastolic);
}

/** One reason a reading needs attention, before it is tied to a stored reading. */
export interface ReadingFlag {
  reason: AttentionReason;
  severity: AttentionSeverity;
}

/** The values of one reading in canonical units, as the flag rules read them. */
export interface FlaggedReading {
  kind: VitalKind;
  value: number | null;
  systolic: number | null;
  diastolic: number | null;
}

const warning = AttentionSeverity.WARNING;
const urgent = AttentionSeverity.URGENT;

// At module level rather than inside readingFlags, which runs for every reading a summary reads.
const flag = (reason: AttentionReason, severity: AttentionSeverity): ReadingFlag[] => [{ reason, severity }];

/**
 * The attention flags of a single reading, with the default thresholds of `vitals.proto`.
 * Urgent ones raise an alert as soon as the reading is stored. Series flags (rapid weight
 * change) are not here: they need more than one reading.
 */
export function readingFlags(reading: FlaggedReading): ReadingFlag[] {
  const v = reading.value;
  switch (reading.kind) {
    case VitalKind.BLOOD_PRESSURE: {
      const systolic = reading.systolic ?? 0;
      const diastolic = reading.diastolic ?? 0;
      const category = bloodPressureCategory(systolic, diastolic);
      if (category === BloodPressureCategory.HYPERTENSIVE_CRISIS)
        return flag(AttentionReason.HYPERTENSIVE_CRISIS, urgent);
      if (category === BloodPressureCategory.HYPERTENSION_STAGE_2)
        return flag(AttentionReason.HIGH_BLOOD_PRESSURE, warning);
      if (systolic < 90 || diastolic < 60) return flag(AttentionReason.LOW_BLOOD_PRESSURE, warning);
      return [];
    }
    case VitalKind.HEART_RATE:
      if (v === null) return [];
      if (v > 120) return flag(AttentionReason.HIGH_HEART_RATE, warning);
      if (v < 40) return flag(AttentionReason.LOW_HEART_RATE, warning);
      return [];
    case VitalKind.SPO2:
      if (v === null) return [];
      if (v < 88) return flag(AttentionReason.LOW_SPO2, urgent);
      if (v < 92) return flag(AttentionReason.LOW_SPO2, warning);
      return [];
    case VitalKind.GLUCOSE:
      if (v === null) return [];
      if (v > 250) return flag(AttentionReason.HIGH_GLUCOSE, warning);
      if (v < 54) return flag(AttentionReason.LOW_GLUCOSE, urgent);
      if (v < 70) return flag(AttentionReason.LOW_GLUCOSE, warning);
      return [];
    case VitalKind.TEMPERATURE:
      if (v === null) return [];
      if (v >= 40) return flag(AttentionReason.FEVER, urgent);
      if (v >= 38) return flag(AttentionReason.FEVER, warning);
      if (v < 35) return flag(AttentionReason.LOW_TEMPERATURE, urgent);
      return [];
    case VitalKind.WEIGHT:
    case VitalKind.SLEEP:
    case VitalKind.STEPS:
    case VitalKind.UNSPECIFIED:
      return [];
  }
}

/** Weight change that is flagged when it happens within `rapidWeightWindowMs`, in kg. */
export const rapidWeightChangeKg = 2;
export const rapidWeightWindowMs = 7 * 24 * 60 * 60 * 1000;

/**
 * The newest weight reading (oldest first in `readings`) that differs by more than 2 kg from an
 * earlier one within the 7 days before it; undefined when there is none.
 */
export function rapidWeightChange<T extends { value: number; at: Date }>(readings: readonly T[]): T | undefined {
  for (let i = readings.length - 1; i > 0; i--) {
    const current = readings[i]!;
    for (let j = i - 1; j >= 0; j--) {
      const earlier = readings[j]!;
      if (current.at.getTime() - earlier.at.getTime() > rapidWeightWindowMs) break;
      if (Math.abs(current.value - earlier.value) > rapidWeightChangeKg) return current;
    }
  }
  return undefined;
}
