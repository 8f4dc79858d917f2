import { VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { VitalKindName } from '../understanding/understand.js';

/** The health contract's kind for each kind the brains speak of. */
export const vitalKindValues: Readonly<Record<VitalKindName, VitalKind>> = {
  blood_pressure: VitalKind.BLOOD_PRESSURE,
  heart_rate: VitalKind.HEART_RATE,
  weight: VitalKind.WEIGHT,
  glucose: VitalKind.GLUCOSE,
  spo2: VitalKind.SPO2,
  temperature: VitalKind.TEMPERATURE,
  sleep: VitalKind.SLEEP,
  steps: VitalKind.STEPS,
};
