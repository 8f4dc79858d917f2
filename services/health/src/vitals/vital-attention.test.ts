import { describe, expect, it } from 'vitest';
import {
  AttentionReason,
  AttentionSeverity,
  BloodPressureCategory as C,
  VitalKind,
} from '@tend/proto/tend/health/v1/vitals';
import { bloodPressureCategory, rapidWeightChange, readingFlags } from './vital-attention.js';

describe('blood-pressure category (2017 ACC/AHA)', () => {
  it.each([
    [119, 79, C.NORMAL],
    [120, 79, C.ELEVATED],
    [129, 79, C.ELEVATED],
    [130, 79, C.HYPERTENSION_STAGE_1],
    [139, 70, C.HYPERTENSION_STAGE_1],
    [119, 80, C.HYPERTENSION_STAGE_1],
    [125, 89, C.HYPERTENSION_STAGE_1],
    [140, 70, C.HYPERTENSION_STAGE_2],
    [118, 90, C.HYPERTENSION_STAGE_2],
    [179, 119, C.HYPERTENSION_STAGE_2],
    [180, 100, C.HYPERTENSIVE_CRISIS],
    [150, 120, C.HYPERTENSIVE_CRISIS],
  ])('%i/%i is %s', (systolic, diastolic, category) => {
    expect(bloodPressureCategory(systolic, diastolic)).toBe(category);
  });
});

describe('attention flags of one reading', () => {
  const flags = (kind: VitalKind, values: { value?: number; systolic?: number; diastolic?: number }) =>
    readingFlags({
      kind,
      value: values.value ?? null,
      systolic: values.systolic ?? null,
      diastolic: values.diastolic ?? null,
    });

  it('a crisis reading is urgent; stage 2 a warning; low pressure a warning', () => {
    expect(flags(VitalKind.BLOOD_PRESSURE, { systolic: 185, diastolic: 100 })).toEqual([
      { reason: AttentionReason.HYPERTENSIVE_CRISIS, severity: AttentionSeverity.URGENT },
    ]);
    expect(flags(VitalKind.BLOOD_PRESSURE, { systolic: 150, diastolic: 85 })).toEqual([
      { reason: AttentionReason.HIGH_BLOOD_PRESSURE, severity: AttentionSeverity.WARNING },
    ]);
    expect(flags(VitalKind.BLOOD_PRESSURE, { systolic: 89, diastolic: 59 })[0]?.reason).toBe(
      AttentionReason.LOW_BLOOD_PRESSURE,
    );
    expect(flags(VitalKind.BLOOD_PRESSURE, { systolic: 118, diastolic: 76 })).toEqual([]);
  });

  it('heart rate above 120 or below 40', () => {
    expect(flags(VitalKind.HEART_RATE, { value: 121 })[0]?.reason).toBe(AttentionReason.HIGH_HEART_RATE);
    expect(flags(VitalKind.HEART_RATE, { value: 120 })).toEqual([]);
    expect(flags(VitalKind.HEART_RATE, { value: 39 })[0]?.reason).toBe(AttentionReason.LOW_HEART_RATE);
  });

  it('SpO2 under 92 warns, under 88 is urgent', () => {
    expect(flags(VitalKind.SPO2, { value: 92 })).toEqual([]);
    expect(flags(VitalKind.SPO2, { value: 91 })[0]?.severity).toBe(AttentionSeverity.WARNING);
    expect(flags(VitalKind.SPO2, { value: 87 })[0]?.severity).toBe(AttentionSeverity.URGENT);
  });

  it('glucose above 250 warns; below 70 warns; below 54 is urgent', () => {
    expect(flags(VitalKind.GLUCOSE, { value: 251 })[0]?.reason).toBe(AttentionReason.HIGH_GLUCOSE);
    expect(flags(VitalKind.GLUCOSE, { value: 69 })[0]?.severity).toBe(AttentionSeverity.WARNING);
    expect(flags(VitalKind.GLUCOSE, { value: 53 })[0]?.severity).toBe(AttentionSeverity.URGENT);
    expect(flags(VitalKind.GLUCOSE, { value: 100 })).toEqual([]);
  });

  it('fever from 38.0 °C, urgent from 40.0; below 35.0 urgent', () => {
    expect(flags(VitalKind.TEMPERATURE, { value: 37.9 })).toEqual([]);
    expect(flags(VitalKind.TEMPERATURE, { value: 38 })[0]).toEqual({
      reason: AttentionReason.FEVER,
      severity: AttentionSeverity.WARNING,
    });
    expect(flags(VitalKind.TEMPERATURE, { value: 40 })[0]?.severity).toBe(AttentionSeverity.URGENT);
    expect(flags(VitalKind.TEMPERATURE, { value: 34.9 })[0]?.reason).toBe(AttentionReason.LOW_TEMPERATURE);
  });

  it('weight, sleep and steps raise nothing on their own', () => {
    expect(flags(VitalKind.WEIGHT, { value: 400 })).toEqual([]);
    expect(flags(VitalKind.SLEEP, { value: 1 })).toEqual([]);
    expect(flags(VitalKind.STEPS, { value: 0 })).toEqual([]);
  });
});

describe('rapid weight change', () => {
  const day = 86_400_000;
  const at = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * day);

  it('flags more than 2 kg within 7 days, at the newest such reading', () => {
    const readings = [
      { value: 80, at: at(0) },
      { value: 81, at: at(3) },
      { value: 82.5, at: at(6) },
      { value: 82.4, at: at(20) },
    ];
    expect(rapidWeightChange(readings)).toBe(readings[2]);
  });

  it('ignores 2 kg exactly, and changes spread over more than 7 days', () => {
    expect(
      rapidWeightChange([
        { value: 80, at: at(0) },
        { value: 82, at: at(2) },
      ]),
    ).toBeUndefined();
    expect(
      rapidWeightChange([
        { value: 80, at: at(0) },
        { value: 85, at: at(8) },
      ]),
    ).toBeUndefined();
  });
});
