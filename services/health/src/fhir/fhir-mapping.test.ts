import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@tend/core';
import { DoseLogEntrySchema, DoseStatus } from '@tend/proto/tend/health/v1/doses';
import { DayOfWeek, MedicationSchema, ScheduleSchema } from '@tend/proto/tend/health/v1/medications';
import { VitalKind, VitalSchema, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import { doseToStatement, medicationToRequest, observationToVitalInput, vitalToObservation } from './fhir-mapping.js';

const measuredAt = timestampFromDate(new Date('2026-03-08T07:30:00Z'));

describe('vitals as FHIR Observations', () => {
  it('codes blood pressure as the 85354-9 panel with systolic and diastolic components in mm[Hg]', () => {
    const observation = vitalToObservation(
      create(VitalSchema, {
        id: 'v1',
        userId: 'u1',
        kind: VitalKind.BLOOD_PRESSURE,
        systolic: 135,
        diastolic: 85,
        unit: 'mm[Hg]',
        measuredAt,
      }),
    );
    expect(observation).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      subject: { reference: 'Patient/u1' },
      effectiveDateTime: '2026-03-08T07:30:00.000Z',
      component: [
        {
          code: { coding: [{ code: '8480-6' }] },
          valueQuantity: { value: 135, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 85, code: 'mm[Hg]' } },
      ],
    });
  });

  it.each([
    [VitalKind.HEART_RATE, 72, '/min', '8867-4'],
    [VitalKind.WEIGHT, 72.5, 'kg', '29463-7'],
    [VitalKind.GLUCOSE, 104, 'mg/dL', '2339-0'],
    [VitalKind.SPO2, 97, '%', '59408-5'],
    [VitalKind.TEMPERATURE, 36.8, 'Cel', '8310-5'],
    [VitalKind.SLEEP, 7.5, 'h', '93832-4'],
    [VitalKind.STEPS, 8042, '{steps}', '55423-8'],
  ])('round-trips kind %i through an Observation coded %s', (kind, value, unit, loinc) => {
    const observation = vitalToObservation(
      create(VitalSchema, { id: 'v', userId: 'u', kind, value, unit, measuredAt }),
    );
    expect(observation).toMatchObject({ code: { coding: [{ code: loinc }] }, valueQuantity: { value, code: unit } });
    const input = observationToVitalInput(JSON.parse(JSON.stringify(observation)));
    expect(input).toMatchObject({ kind, value, unit, source: VitalSource.FHIR_IMPORT });
    expect(input.measuredAt?.seconds).toBe(measuredAt.seconds);
  });

  it('reads blood pressure back from its components', () => {
    const observation = vitalToObservation(
      create(VitalSchema, {
        id: 'v1',
        userId: 'u1',
        kind: VitalKind.BLOOD_PRESSURE,
        systolic: 128,
        diastolic: 79,
        unit: 'mm[Hg]',
        measuredAt,
      }),
    );
    expect(observationToVitalInput(observation)).toMatchObject({
      kind: VitalKind.BLOOD_PRESSURE,
      systolic: 128,
      diastolic: 79,
      unit: 'mm[Hg]',
    });
  });

  it('rejects an observation Tend does not record, naming the field', () => {
    let error: unknown;
    try {
      observationToVitalInput({
        resourceType: 'Observation',
        code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0]?.field).toBe('code');
  });

  it('rejects a value that is not a number', () => {
    expect(() =>
      observationToVitalInput({
        resourceType: 'Observation',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        effectiveDateTime: '2026-03-08T07:30:00Z',
        valueQuantity: { value: 'fast', code: '/min' },
      }),
    ).toThrow(/valueQuantity.value/);
  });
});

describe('medications and doses', () => {
  it('exports a schedule as dosage timing with times of day and days of week', () => {
    const request = medicationToRequest(
      create(MedicationSchema, {
        id: 'm1',
        userId: 'u1',
        name: 'Metformin',
        rxnormCode: '860975',
        dose: 500,
        doseUnit: 'mg',
        active: true,
        startDate: '2026-01-01',
        schedule: create(ScheduleSchema, { times: ['08:00', '20:00'], days: [DayOfWeek.MONDAY, DayOfWeek.FRIDAY] }),
      }),
    );
    expect(request).toMatchObject({
      resourceType: 'MedicationRequest',
      status: 'active',
      medicationCodeableConcept: { text: 'Metformin', coding: [{ code: '860975' }] },
      dosageInstruction: [
        {
          timing: {
            repeat: {
              timeOfDay: ['08:00:00', '20:00:00'],
              dayOfWeek: ['mon', 'fri'],
              boundsPeriod: { start: '2026-01-01' },
            },
          },
          doseAndRate: [{ doseQuantity: { value: 500, unit: 'mg' } }],
        },
      ],
    });
  });

  it('exports a skipped dose as a MedicationStatement not taken, with the reason', () => {
    const statement = doseToStatement(
      create(DoseLogEntrySchema, {
        id: 'd1',
        userId: 'u1',
        medicationId: 'm1',
        medicationName: 'Aspirin',
        status: DoseStatus.SKIPPED,
        scheduledAt: measuredAt,
      }),
    );
    expect(statement).toMatchObject({
      resourceType: 'MedicationStatement',
      status: 'not-taken',
      statusReason: [{ text: 'skipped' }],
      medicationReference: { reference: 'MedicationRequest/m1', display: 'Aspirin' },
    });
  });
});
