import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ValidationError } from '@tend/core';
import { DoseStatus, type DoseLogEntry } from '@tend/proto/tend/health/v1/doses';
import { DayOfWeek, type Medication } from '@tend/proto/tend/health/v1/medications';
import { Sex, type User } from '@tend/proto/tend/health/v1/people';
import { diastolicLoinc, systolicLoinc, vitalKinds } from '../vitals/vital-kinds.js';
import {
  VitalInputSchema,
  VitalKind,
  VitalSource,
  type Vital,
  type VitalInput,
} from '@tend/proto/tend/health/v1/vitals';

const loincSystem = 'http://loinc.org';
const ucumSystem = 'http://unitsofmeasure.org';
/** Identifier system of every resource Tend exports: the value is Tend's own id. */
export const tendIdentifierSystem = 'urn:tend';

/** Display names of the LOINC codes Tend exports; codes and units come from the vitals rules. */
const loincDisplay: Record<Exclude<VitalKind, VitalKind.UNSPECIFIED>, string> = {
  [VitalKind.BLOOD_PRESSURE]: 'Blood pressure panel',
  [VitalKind.HEART_RATE]: 'Heart rate',
  [VitalKind.WEIGHT]: 'Body weight',
  [VitalKind.GLUCOSE]: 'Glucose [Mass/volume] in Blood',
  [VitalKind.SPO2]: 'Oxygen saturation in Arterial blood by Pulse oximetry',
  [VitalKind.TEMPERATURE]: 'Body temperature',
  [VitalKind.SLEEP]: 'Sleep duration',
  [VitalKind.STEPS]: 'Number of steps',
};

const kindByLoinc = new Map(Object.values(vitalKinds).map((spec) => [spec.loinc, spec.kind]));

/** A FHIR R4 resource as JSON; only the fields Tend reads or writes are typed. */
export type FhirResource = { resourceType: string; [field: string]: unknown };

const codeable = (system: string, code: string, display?: string) => ({ coding: [{ system, code, display }] });
const quantity = (value: number, unit: string) => ({ value, unit, system: ucumSystem, code: unit });

/** A vital as an Observation (category vital-signs or activity), coded with LOINC and UCUM. */
export function vitalToObservation(vital: Vital): FhirResource {
  if (vital.kind === VitalKind.UNSPECIFIED) throw new Error(`vital ${vital.id} has no kind`);
  const spec = vitalKinds[vital.kind];
  const code = { loinc: spec.loinc, display: loincDisplay[vital.kind], unit: spec.unit };
  const measured = vital.measuredAt ? timestampDate(vital.measuredAt).toISOString() : undefined;
  const start = vital.periodStart ? timestampDate(vital.periodStart).toISOString() : undefined;
  const base: FhirResource = {
    resourceType: 'Observation',
    id: vital.id,
    identifier: [{ system: tendIdentifierSystem, value: `vital/${vital.id}` }],
    status: 'final',
    category: [
      codeable(
        'http://terminology.hl7.org/CodeSystem/observation-category',
        vital.kind === VitalKind.STEPS || vital.kind === VitalKind.SLEEP ? 'activity' : 'vital-signs',
      ),
    ],
    code: codeable(loincSystem, code.loinc, code.display),
    subject: { reference: `Patient/${vital.userId}` },
    ...(start ? { effectivePeriod: { start, end: measured } } : { effectiveDateTime: measured }),
  };
  if (vital.kind === VitalKind.BLOOD_PRESSURE) {
    return {
      ...base,
      component: [
        {
          code: codeable(loincSystem, systolicLoinc, 'Systolic blood pressure'),
          valueQuantity: quantity(vital.systolic ?? 0, code.unit),
        },
        {
          code: codeable(loincSystem, diastolicLoinc, 'Diastolic blood pressure'),
          valueQuantity: quantity(vital.diastolic ?? 0, code.unit),
        },
      ],
    };
  }
  return { ...base, valueQuantity: quantity(vital.value ?? 0, code.unit) };
}

interface ObservationJson {
  resourceType?: unknown;
  code?: { coding?: { system?: string; code?: string }[] };
  valueQuantity?: { value?: unknown; unit?: unknown; code?: unknown };
  component?: {
    code?: { coding?: { system?: string; code?: string }[] };
    valueQuantity?: { value?: unknown; code?: unknown; unit?: unknown };
  }[];
  effectiveDateTime?: unknown;
  effectivePeriod?: { start?: unknown; end?: unknown };
  issued?: unknown;
}

function loincOf(code: ObservationJson['code']): string | undefined {
  return code?.coding?.find((c) => c.system === loincSystem)?.code;
}

function instantOf(field: string, value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw ValidationError.field(field, 'must be a FHIR dateTime');
  return date;
}

function numberOf(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw ValidationError.field(field, 'must be a number');
  return value;
}

/**
 * An Observation as a reading to record. Only the LOINC codes Tend knows are accepted; the
 * value's unit travels as given (UCUM code, else unit text) so the vitals rules convert or
 * reject it like any other reading.
 */
export function observationToVitalInput(resource: unknown): VitalInput {
  const observation = resource as ObservationJson;
  const loinc = loincOf(observation.code);
  const kind = loinc === undefined ? undefined : kindByLoinc.get(loinc);
  if (kind === undefined)
    throw ValidationError.field('code', `LOINC code ${loinc ?? '(none)'} is not a vital Tend records`);
  const end = observation.effectivePeriod?.end ?? observation.effectiveDateTime ?? observation.issued;
  const measuredAt = timestampFromDate(instantOf('effectiveDateTime', end));
  const periodStart =
    observation.effectivePeriod?.start !== undefined
      ? timestampFromDate(instantOf('effectivePeriod.start', observation.effectivePeriod.start))
      : undefined;
  const unitOf = (q: { code?: unknown; unit?: unknown } | undefined) =>
    typeof q?.code === 'string' ? q.code : typeof q?.unit === 'string' ? q.unit : '';
  if (kind === VitalKind.BLOOD_PRESSURE) {
    const part = (loincCode: string) =>
      observation.component?.find((c) => loincOf(c.code) === loincCode)?.valueQuantity;
    const systolic = part(systolicLoinc);
    const diastolic = part(diastolicLoinc);
    return create(VitalInputSchema, {
      kind,
      systolic: numberOf('component[systolic].valueQuantity.value', systolic?.value),
      diastolic: numberOf('component[diastolic].valueQuantity.value', diastolic?.value),
      unit: unitOf(systolic),
      measuredAt,
      periodStart,
      source: VitalSource.FHIR_IMPORT,
    });
  }
  return create(VitalInputSchema, {
    kind,
    value: numberOf('valueQuantity.value', observation.valueQuantity?.value),
    unit: unitOf(observation.valueQuantity),
    measuredAt,
    periodStart,
    source: VitalSource.FHIR_IMPORT,
  });
}

const fhirGender: Record<Sex, string | undefined> = {
  [Sex.UNSPECIFIED]: undefined,
  [Sex.FEMALE]: 'female',
  [Sex.MALE]: 'male',
  [Sex.OTHER]: 'other',
  [Sex.UNKNOWN]: 'unknown',
};

/** The person as a Patient: name, gender, birth date. Contact details stay out of exports. */
export function userToPatient(user: User): FhirResource {
  return {
    resourceType: 'Patient',
    id: user.id,
    identifier: [{ system: tendIdentifierSystem, value: `user/${user.id}` }],
    name: [{ text: user.displayName }],
    ...(user.profile && fhirGender[user.profile.sex] ? { gender: fhirGender[user.profile.sex] } : {}),
    ...(user.profile?.birthDate ? { birthDate: user.profile.birthDate } : {}),
    communication: [{ language: codeable('urn:ietf:bcp:47', user.locale) }],
  };
}

const fhirDay: Record<DayOfWeek, string | undefined> = {
  [DayOfWeek.UNSPECIFIED]: undefined,
  [DayOfWeek.MONDAY]: 'mon',
  [DayOfWeek.TUESDAY]: 'tue',
  [DayOfWeek.WEDNESDAY]: 'wed',
  [DayOfWeek.THURSDAY]: 'thu',
  [DayOfWeek.FRIDAY]: 'fri',
  [DayOfWeek.SATURDAY]: 'sat',
  [DayOfWeek.SUNDAY]: 'sun',
};

/** A medication and its schedule as a MedicationRequest with dosage timing. */
export function medicationToRequest(medication: Medication): FhirResource {
  const schedule = medication.schedule;
  return {
    resourceType: 'MedicationRequest',
    id: medication.id,
    identifier: [{ system: tendIdentifierSystem, value: `medication/${medication.id}` }],
    status: medication.active ? 'active' : 'stopped',
    intent: 'order',
    medicationCodeableConcept: medication.rxnormCode
      ? { ...codeable('http://www.nlm.nih.gov/research/umls/rxnorm', medication.rxnormCode), text: medication.name }
      : { text: medication.name },
    subject: { reference: `Patient/${medication.userId}` },
    dosageInstruction: [
      {
        ...(medication.instructions ? { text: medication.instructions } : {}),
        asNeededBoolean: schedule?.asNeeded ?? false,
        timing: {
          repeat: {
            ...(schedule?.times.length ? { timeOfDay: schedule.times.map((t) => `${t}:00`) } : {}),
            ...(schedule?.days.length ? { dayOfWeek: schedule.days.map((d) => fhirDay[d]).filter(Boolean) } : {}),
            ...(medication.startDate
              ? {
                  boundsPeriod: {
                    start: medication.startDate,
                    ...(medication.endDate ? { end: medication.endDate } : {}),
                  },
                }
              : {}),
          },
        },
        doseAndRate: [{ doseQuantity: { value: medication.dose, unit: medication.doseUnit } }],
      },
    ],
  };
}

const statementStatus: Record<DoseStatus, string> = {
  [DoseStatus.UNSPECIFIED]: 'unknown',
  [DoseStatus.TAKEN]: 'completed',
  [DoseStatus.SKIPPED]: 'not-taken',
  [DoseStatus.MISSED]: 'not-taken',
  [DoseStatus.PENDING]: 'intended',
};

/** One entry of the dose log as a MedicationStatement (taken, or not taken and why). */
export function doseToStatement(entry: DoseLogEntry): FhirResource {
  const when = entry.occurredAt ?? entry.scheduledAt;
  return {
    resourceType: 'MedicationStatement',
    id: entry.id,
    identifier: [{ system: tendIdentifierSystem, value: `dose/${entry.id}` }],
    status: statementStatus[entry.status],
    ...(entry.status === DoseStatus.SKIPPED || entry.status === DoseStatus.MISSED
      ? { statusReason: [{ text: entry.status === DoseStatus.SKIPPED ? 'skipped' : 'missed' }] }
      : {}),
    medicationReference: { reference: `MedicationRequest/${entry.medicationId}`, display: entry.medicationName },
    subject: { reference: `Patient/${entry.userId}` },
    ...(when ? { effectiveDateTime: timestampDate(when).toISOString() } : {}),
  };
}
