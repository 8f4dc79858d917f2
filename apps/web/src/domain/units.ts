/** The kinds of reading the API records (`kind`). */
export const vitalKinds = [
  'blood_pressure',
  'heart_rate',
  'weight',
  'glucose',
  'spo2',
  'temperature',
  'sleep',
  'steps',
] as const;

export type VitalKind = (typeof vitalKinds)[number];

/** A unit a person may type or read a kind in, and how it maps to the unit the API stores. */
export interface DisplayUnit {
  /** What the person sees: `mmHg`, `lb`, `°F`. */
  id: string;
  /** The spelling sent to the API, or undefined when the app converts before sending (kPa). */
  apiUnit: string | undefined;
  /** From the API's canonical unit into this one. */
  fromCanonical(value: number): number;
  /** From this unit into the API's canonical unit. */
  toCanonical(value: number): number;
  /** Decimals worth showing in this unit. */
  decimals: number;
}

const same = (id: string, apiUnit: string, decimals = 0): DisplayUnit => ({
  id,
  apiUnit,
  fromCanonical: (v) => v,
  toCanonical: (v) => v,
  decimals,
});
const scaled = (id: string, apiUnit: string | undefined, canonicalPerUnit: number, decimals: number): DisplayUnit => ({
  id,
  apiUnit,
  fromCanonical: (v) => v / canonicalPerUnit,
  toCanonical: (v) => v * canonicalPerUnit,
  decimals,
});

// 1 kPa = 7.50062 mmHg; 1 lb = 0.45359237 kg; glucose 1 mmol/L = 18.016 mg/dL (the health service's factor).
const mmHgPerKpa = 7.50062;
const kgPerPound = 0.45359237;
const mgdlPerMmol = 18.016;

/**
 * The units each kind can be entered and shown in; the first is the API's canonical unit. Blood
 * pressure in kPa is converted here, because the API takes mmHg only.
 */
export const unitsByKind: Readonly<Record<VitalKind, readonly DisplayUnit[]>> = {
  blood_pressure: [same('mmHg', 'mmHg'), scaled('kPa', undefined, mmHgPerKpa, 1)],
  heart_rate: [same('bpm', 'bpm')],
  weight: [same('kg', 'kg', 1), scaled('lb', 'lb', kgPerPound, 1)],
  glucose: [same('mg/dL', 'mg/dL'), scaled('mmol/L', 'mmol/L', mgdlPerMmol, 1)],
  spo2: [same('%', '%')],
  temperature: [
    same('°C', 'Cel', 1),
    {
      id: '°F',
      apiUnit: '[degF]',
      fromCanonical: (v) => (v * 9) / 5 + 32,
      toCanonical: (v) => ((v - 32) * 5) / 9,
      decimals: 1,
    },
  ],
  sleep: [same('h', 'h', 1)],
  steps: [same('steps', '{steps}')],
};

/** The display unit of a kind by its id, or the kind's canonical unit when the id is unknown. */
export function unitOf(kind: VitalKind, id: string | undefined): DisplayUnit {
  const units = unitsByKind[kind];
  return units.find((unit) => unit.id === id) ?? units[0]!;
}

/** A canonical value shown in a display unit, rounded to what that unit is read to. */
export function displayValue(value: number, unit: DisplayUnit): number {
  const factor = 10 ** unit.decimals;
  return Math.round(unit.fromCanonical(value) * factor) / factor;
}

/** A value typed in a display unit, as the number and unit the API should receive. */
export function apiValue(value: number, unit: DisplayUnit, canonicalId: string): { value: number; unit: string } {
  if (unit.apiUnit !== undefined) return { value, unit: unit.apiUnit };
  return { value: Math.round(unit.toCanonical(value) * 10) / 10, unit: canonicalId };
}

/** True when the API's string is one of the kinds the app knows. */
export function isVitalKind(value: unknown): value is VitalKind {
  return typeof value === 'string' && (vitalKinds as readonly string[]).includes(value);
}
