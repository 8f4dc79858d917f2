import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@tend/core';
import { VitalInputSchema, VitalKind, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import { normalizeVitalInput } from './vital-input.js';
import { fromCanonical, reportUnit, vitalKinds } from './vital-kinds.js';

const now = new Date('2026-03-10T12:00:00Z');
const input = (fields: MessageInitShape<typeof VitalInputSchema>) =>
  create(VitalInputSchema, { source: VitalSource.APP, ...fields });

function violation(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).violations[0]!;
  }
  throw new Error('expected a ValidationError');
}

describe('vital units and ranges', () => {
  it('keeps a blood pressure in mm[Hg] and accepts "mmHg"', () => {
    const bp = normalizeVitalInput(
      input({ kind: VitalKind.BLOOD_PRESSURE, systolic: 120, diastolic: 80, unit: 'mmHg' }),
      now,
    );
    expect(bp).toMatchObject({ systolic: 120, diastolic: 80, value: null });
    expect(bp.spec.unit).toBe('mm[Hg]');
    expect(bp.spec.loinc).toBe('85354-9');
  });

  it('rejects systolic 900 naming the field', () => {
    const v = violation(() =>
      normalizeVitalInput(input({ kind: VitalKind.BLOOD_PRESSURE, systolic: 900, diastolic: 80 }), now),
    );
    expect(v).toEqual({ field: 'systolic', message: 'must be between 40 and 300 mm[Hg]' });
  });

  it('rejects a diastolic that is not below the systolic', () => {
    expect(
      violation(() =>
        normalizeVitalInput(input({ kind: VitalKind.BLOOD_PRESSURE, systolic: 100, diastolic: 100 }), now),
      ).field,
    ).toBe('diastolic');
  });

  it('accepts the range edges and rejects one past them', () => {
    const bp = (systolic: number, diastolic: number) =>
      normalizeVitalInput(input({ kind: VitalKind.BLOOD_PRESSURE, systolic, diastolic }), now);
    expect(bp(300, 200).systolic).toBe(300);
    expect(bp(40, 20).diastolic).toBe(20);
    expect(violation(() => bp(301, 80)).field).toBe('systolic');
    expect(violation(() => bp(120, 19)).field).toBe('diastolic');
  });

  it('converts pounds to kilograms and rejects a negative or zero weight', () => {
    const w = normalizeVitalInput(input({ kind: VitalKind.WEIGHT, value: 150, unit: 'lb' }), now);
    expect(w.value).toBeCloseTo(68.038856, 6);
    expect(normalizeVitalInput(input({ kind: VitalKind.WEIGHT, value: 70500, unit: 'g' }), now).value).toBe(70.5);
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.WEIGHT, value: -1 }), now))).toEqual({
      field: 'value',
      message: 'must be greater than 0 and at most 500 kg',
    });
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.WEIGHT, value: 0 }), now)).field).toBe('value');
  });

  it('converts glucose from mmol/L at 18.016 without float noise', () => {
    expect(normalizeVitalInput(input({ kind: VitalKind.GLUCOSE, value: 5.5, unit: 'mmol/L' }), now).value).toBe(99.088);
    expect(fromCanonical(vitalKinds[VitalKind.GLUCOSE], 99.088, 'mmol/L')).toBe(5.5);
  });

  it('converts Fahrenheit to Celsius, both spellings', () => {
    expect(normalizeVitalInput(input({ kind: VitalKind.TEMPERATURE, value: 98.6, unit: '[degF]' }), now).value).toBe(
      37,
    );
    expect(
      violation(() => normalizeVitalInput(input({ kind: VitalKind.TEMPERATURE, value: 212, unit: '°F' }), now)).field,
    ).toBe('value');
    expect(fromCanonical(vitalKinds[VitalKind.TEMPERATURE], 37, '[degF]')).toBe(98.6);
  });

  it('converts sleep minutes to hours and takes bpm for heart rate', () => {
    expect(normalizeVitalInput(input({ kind: VitalKind.SLEEP, value: 450, unit: 'min' }), now).value).toBe(7.5);
    expect(normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: 72, unit: 'bpm' }), now).value).toBe(72);
  });

  it('rejects an unknown unit, and a unit of another kind, on the unit field', () => {
    expect(
      violation(() => normalizeVitalInput(input({ kind: VitalKind.WEIGHT, value: 70, unit: 'stone' }), now)).field,
    ).toBe('unit');
    expect(
      violation(() => normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: 70, unit: 'kg' }), now)).field,
    ).toBe('unit');
    expect(() => reportUnit(vitalKinds[VitalKind.WEIGHT], 'mg/dL')).toThrow(ValidationError);
  });

  it('takes whole step counts only', () => {
    expect(normalizeVitalInput(input({ kind: VitalKind.STEPS, value: 8000 }), now).value).toBe(8000);
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.STEPS, value: 10.5 }), now)).field).toBe(
      'value',
    );
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.STEPS, value: 200_001 }), now)).field).toBe(
      'value',
    );
  });

  it('checks SpO2 between 50 and 100 %', () => {
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.SPO2, value: 101 }), now)).field).toBe('value');
    expect(normalizeVitalInput(input({ kind: VitalKind.SPO2, value: 97 }), now).value).toBe(97);
  });

  it('requires a kind, the right value fields and a finite number', () => {
    expect(violation(() => normalizeVitalInput(input({ value: 1 }), now)).field).toBe('kind');
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.HEART_RATE }), now)).field).toBe('value');
    expect(violation(() => normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: NaN }), now)).field).toBe(
      'value',
    );
    expect(
      violation(() => normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: 70, systolic: 120 }), now)).field,
    ).toBe('systolic');
    expect(
      violation(() =>
        normalizeVitalInput(input({ kind: VitalKind.BLOOD_PRESSURE, value: 120, systolic: 120, diastolic: 80 }), now),
      ).field,
    ).toBe('value');
  });

  it('names the item of a batch in the field', () => {
    const v = violation(() =>
      normalizeVitalInput(input({ kind: VitalKind.BLOOD_PRESSURE, systolic: 900, diastolic: 80 }), now, 'vitals[3].'),
    );
    expect(v.field).toBe('vitals[3].systolic');
  });

  it('defaults measured_at to now and refuses more than 5 minutes ahead', () => {
    expect(normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: 70 }), now).measuredAt).toEqual(now);
    const ahead = (ms: number) =>
      normalizeVitalInput(
        input({ kind: VitalKind.HEART_RATE, value: 70, measuredAt: timestampFromDate(new Date(now.getTime() + ms)) }),
        now,
      );
    expect(ahead(5 * 60_000).measuredAt.getTime()).toBe(now.getTime() + 5 * 60_000);
    expect(violation(() => ahead(5 * 60_000 + 1000)).field).toBe('measured_at');
  });

  it('takes period_start only for sleep and steps, and only before measured_at', () => {
    const start = timestampFromDate(new Date(now.getTime() - 8 * 3600_000));
    expect(
      normalizeVitalInput(input({ kind: VitalKind.SLEEP, value: 8, periodStart: start }), now).periodStart,
    ).toEqual(new Date(now.getTime() - 8 * 3600_000));
    expect(
      violation(() => normalizeVitalInput(input({ kind: VitalKind.HEART_RATE, value: 70, periodStart: start }), now))
        .field,
    ).toBe('period_start');
    expect(
      violation(() =>
        normalizeVitalInput(input({ kind: VitalKind.SLEEP, value: 8, periodStart: timestampFromDate(now) }), now),
      ).field,
    ).toBe('period_start');
  });

  it('carries the LOINC code of every kind from DESIGN.md', () => {
    expect(Object.fromEntries(Object.values(vitalKinds).map((s) => [s.name, s.loinc]))).toEqual({
      blood_pressure: '85354-9',
      heart_rate: '8867-4',
      weight: '29463-7',
      glucose: '2339-0',
      spo2: '59408-5',
      temperature: '8310-5',
      sleep: '93832-4',
      steps: '55423-8',
    });
  });
});
